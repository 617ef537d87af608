import type { DatasetManifest } from '../../data/index.js';
import { type CostModel, choosePlacement, DEFAULT_COST_MODEL, workloadOf } from '../../planner/index.js';
import type { JobLauncher } from '../../ports.js';
import { keys } from '../keys.js';
import { type EngineDeps, startJob } from './coordinator.js';
import { makeJobPlan } from './job-plan.js';
import type { JobPlacement, JobSpec } from './job-spec.js';
import { writeJsonIfAbsent } from './job-store.js';

/** What a job started without a person (schedule, upload, drift) needs to be placed. */
export interface PlaceJobDeps {
  readonly engine: EngineDeps;
  /** The Batch job queue (AWS) or a child process (local); without one, Batch is not an option. */
  readonly launcher?: JobLauncher;
  /** @default DEFAULT_COST_MODEL (Lambda-hosted in-process, published prices) */
  readonly costModel?: CostModel;
}

/**
 * Starts a job where the planner puts it, as `train --placement auto` does: the planner prices the
 * queued plan; `batch` goes to the launcher (spec stored first, its key in the environment), and
 * everything else to the queued runner (a scheduled run has no process of its own to run a job
 * in, so the planner's in-process choice runs as a one-worker fan-out). The decision and its
 * reason are stored in the spec (and so the plan).
 */
export async function startPlacedJob(
  deps: PlaceJobDeps,
  draft: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
): Promise<{ spec: JobSpec; launchId?: string }> {
  const queued = makeJobPlan(draft, manifest, manifestKey, { queued: true });
  const { why: _why, ...workload } = workloadOf(
    queued.config,
    queued.partitions.map((p) => p.rows),
    manifest.shardBytes,
  );
  const { summary } = choosePlacement(workload, deps.costModel ?? DEFAULT_COST_MODEL);
  const placement: JobPlacement = {
    requested: 'auto',
    placement: summary.placement === 'batch' && deps.launcher !== undefined ? 'batch' : 'lambda',
    planned: summary.label,
    reason: summary.reason,
    seconds: summary.seconds,
    dollars: summary.dollars,
    rounds: summary.rounds,
  };
  const spec: JobSpec = { ...draft, placement };
  if (placement.placement === 'batch' && deps.launcher !== undefined) {
    const specKey = keys.job.spec(spec.jobId);
    await writeJsonIfAbsent(deps.engine.store, specKey, spec);
    const { launchId } = await deps.launcher.submit({
      jobId: spec.jobId,
      jobName: `train-${spec.jobId}`,
      command: [spec.jobId],
      environment: { SHARDTRAIN_SPEC_KEY: specKey },
    });
    return { spec, launchId };
  }
  await startJob(deps.engine, spec, manifest, manifestKey);
  return { spec };
}
