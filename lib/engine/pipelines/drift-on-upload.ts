import { histogramCdf, histogramQuantile } from '../../data/index.js';
import {
  type DistributionView,
  type DriftReport,
  driftReport,
  type ModelVersion,
} from '../../registry/index.js';
import { resolveDataset } from '../datasets/uploads.js';
import { keys } from '../keys.js';
import { listPipelines } from './pipeline-store.js';
import { runPipeline } from './run-pipeline.js';
import { nowIso, type Pipeline, type PipelineDeps } from './schema.js';

/** A histogram of the data pipeline, seen as a CDF/quantile view for PSI. */
function view(h: Parameters<typeof histogramCdf>[0]): DistributionView {
  return { cdf: (x) => histogramCdf(h, x), quantile: (q) => histogramQuantile(h, q) };
}

/**
 * After a new dataset version is ready: for each pipeline on that dataset, compares the new
 * data's feature distributions with the champion's training data (PSI per feature from the
 * mergeable histograms), records drift, and retrains when the pipeline asks for it (on drift,
 * or on every upload). What happened is stored at `pipelines/<name>/drift/<version>.json`.
 */
export async function onDatasetReady(
  deps: PipelineDeps,
  dataset: string,
  version: string,
): Promise<UploadEffect[]> {
  const out: UploadEffect[] = [];
  for (const p of (await listPipelines(deps)).filter((x) => x.dataset === dataset)) {
    const at = nowIso(deps);
    const championVersion = await deps.registry.getAlias(p.modelName, 'champion');
    const champion =
      championVersion === undefined
        ? undefined
        : await deps.registry.getVersion(p.modelName, championVersion);
    // The champion saw this very version: nothing drifted and nothing new to train on.
    if (champion?.lineage.datasetVersion === version) {
      out.push({ pipeline: p.name });
      continue;
    }
    const drift =
      champion === undefined ? undefined : await driftFromChampion(deps, p, champion, dataset, version);
    if (drift?.drifted === true) {
      await deps.events.publish({
        type: 'DriftDetected',
        time: at,
        detail: { pipeline: p.name, dataset, version, maxPsi: drift.maxPsi, features: drift.features },
      });
    }
    let started: string | undefined;
    if ((drift?.drifted === true && p.retrainOnDrift) || p.trainOnUpload) {
      const run = await runPipeline(deps, p.name, { reason: drift?.drifted === true ? 'drift' : 'upload' });
      if (run.kind === 'started') started = run.jobId;
    }
    await deps.engine.store.put(
      keys.pipeline.drift(p.name, version),
      JSON.stringify({
        v: 1,
        pipeline: p.name,
        dataset,
        version,
        at,
        ...(champion !== undefined ? { reference: champion.lineage.datasetVersion } : {}),
        ...(drift !== undefined ? { report: drift } : {}),
        ...(started !== undefined ? { startedJob: started } : {}),
      }),
    );
    out.push({
      pipeline: p.name,
      ...(drift !== undefined ? { drift } : {}),
      ...(started !== undefined ? { started } : {}),
    });
  }
  return out;
}

/** What a new dataset version did to one pipeline. */
export interface UploadEffect {
  readonly pipeline: string;
  readonly drift?: DriftReport;
  readonly started?: string;
}

/** PSI of the champion's features between its training data and the new version. */
async function driftFromChampion(
  deps: PipelineDeps,
  p: Pipeline,
  champion: ModelVersion,
  dataset: string,
  version: string,
): Promise<DriftReport> {
  const [ref, cur] = await Promise.all([
    resolveDataset(deps.engine.store, champion.lineage.dataset, champion.lineage.datasetVersion),
    resolveDataset(deps.engine.store, dataset, version),
  ]);
  const features = (champion.artifact.features as string[] | undefined) ?? [];
  const hist = (m: typeof ref.manifest) =>
    Object.fromEntries(
      features.flatMap((f) => {
        const h = m.columns.find((c) => c.name === f)?.histogram;
        return h === undefined ? [] : [[f, view(h)]];
      }),
    );
  return driftReport(hist(ref.manifest), hist(cur.manifest), { threshold: p.driftThreshold });
}
