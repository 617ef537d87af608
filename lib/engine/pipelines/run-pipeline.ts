import { resolveDataset } from '../datasets/uploads.js';
import { keys } from '../keys.js';
import { buildJobSpec } from '../training/build-job-spec.js';
import type { JobPlacement } from '../training/job-spec.js';
import { startPlacedJob } from '../training/place-job.js';
import { loadPipeline } from './pipeline-store.js';
import { nowIso, type PipelineDecision, type PipelineDeps } from './schema.js';

/**
 * One scheduled (or forced) run: trains on the newest dataset version, unless the champion was
 * trained on exactly that version already (then the skip and its reason are recorded). The gate
 * runs when the job finishes ({@link onPipelineJobFinished}), wherever it runs.
 * `options.reason`: what set the run off (`drift`, `upload`, ...); it is recorded as the
 * `trigger` of a skip and of the `PipelineRunStarted` event.
 */
export async function runPipeline(
  deps: PipelineDeps,
  name: string,
  options: { force?: boolean; reason?: string } = {},
): Promise<
  | { kind: 'started'; jobId: string; placement: JobPlacement; launchId?: string }
  | { kind: 'skipped'; reason: string }
> {
  const p = await loadPipeline(deps, name);
  const { manifest, manifestKey } = await resolveDataset(deps.engine.store, p.dataset);
  const championVersion = await deps.registry.getAlias(p.modelName, 'champion');
  if (championVersion !== undefined && options.force !== true) {
    const champion = await deps.registry.getVersion(p.modelName, championVersion);
    if (champion.lineage.datasetVersion === manifest.version) {
      const at = nowIso(deps);
      const reason = `data unchanged: champion ${p.modelName}@${championVersion} was trained on ${p.dataset}@${manifest.version}, the newest version`;
      await deps.engine.store.put(
        keys.pipeline.skip(name, at),
        JSON.stringify({
          v: 1,
          kind: 'skipped',
          pipeline: name,
          at,
          reason,
          ...(options.reason !== undefined ? { trigger: options.reason } : {}),
        } satisfies PipelineDecision),
      );
      return { kind: 'skipped', reason };
    }
  }
  const spec = buildJobSpec(
    {
      dataset: p.dataset,
      target: p.target,
      model: p.model,
      features: p.features,
      modelName: p.modelName,
      workers: p.workers,
      options: p.options,
      holdoutFraction: p.holdoutFraction,
      pipeline: name,
      idStem: name,
      now: (deps.now ?? (() => new Date()))(),
    },
    manifest,
  );
  // Placed by the planner, as `train --placement auto` (Batch when a launcher is wired).
  const placed = await startPlacedJob(deps, spec, manifest, manifestKey, p.placement ?? 'auto');
  await deps.events.publish({
    type: 'PipelineRunStarted',
    time: spec.createdAt,
    detail: {
      pipeline: name,
      jobId: spec.jobId,
      dataset: p.dataset,
      version: manifest.version,
      ...(options.reason !== undefined ? { trigger: options.reason } : {}),
    },
  });
  return {
    kind: 'started',
    jobId: spec.jobId,
    placement: placed.placement,
    ...(placed.launchId !== undefined ? { launchId: placed.launchId } : {}),
  };
}
