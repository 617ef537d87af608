import { keys } from '../engine/keys.js';
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
export { type RoundHistory, type RoundPoint, readRoundHistory } from './round-history.js';

/** Where the finishing aggregator leaves a job's report, next to the job's other documents. */

/** The stand-alone report of a job as one HTML string. */
export async function jobReportHtml(
  store: ObjectStore,
  registry: ModelRegistry,
  jobId: string,
  options: ReportOptions = {},
): Promise<string> {
  return renderJobReport(await gatherJobReport(store, registry, jobId, options), chartAssets());
}

/** Writes the report to `keys.job.report` (overwriting: a rerun after a crash writes it again). */
export async function writeJobReport(
  store: ObjectStore,
  registry: ModelRegistry,
  jobId: string,
): Promise<string> {
  const key = keys.job.report(jobId);
  await store.put(key, await jobReportHtml(store, registry, jobId));
  return key;
}
