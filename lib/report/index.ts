import type { ObjectStore } from '../ports.js';
import type { ModelRegistry } from '../registry/index.js';
import { chartAssets } from './assets.js';
import { gatherJobReport, type ReportOptions } from './gather-job-report.js';
import { renderJobReport } from './render-job-report.js';

export { chartAssets } from './assets.js';
export { type DatasetSummary, datasetSummary, versionDrift } from './dataset-charts.js';
export * from './gather-job-report.js';
export type { ChartAssets, ChartSpec } from './html.js';
export { evaluationHtml, jobReportBody, renderJobReport, roundChartData } from './render-job-report.js';
export { type RoundHistory, type RoundPoint, readRoundHistory, roundMetricsPrefix } from './round-history.js';

/** Where the finishing aggregator leaves a job's report, next to the job's other documents. */
export const reportKey = (jobId: string): string => `jobs/${jobId}/report.html`;

/** The stand-alone report of a job as one HTML string. */
export async function jobReportHtml(
  store: ObjectStore,
  registry: ModelRegistry,
  jobId: string,
  options: ReportOptions = {},
): Promise<string> {
  return renderJobReport(await gatherJobReport(store, registry, jobId, options), chartAssets());
}

/** Writes the report to {@link reportKey} (overwriting: a rerun after a crash writes it again). */
export async function writeJobReport(
  store: ObjectStore,
  registry: ModelRegistry,
  jobId: string,
): Promise<string> {
  const key = reportKey(jobId);
  await store.put(key, await jobReportHtml(store, registry, jobId));
  return key;
}
