import type { DatasetManifest } from '../../data/index.js';
import { InfrastructureError } from '../../errors.js';
import {
  type CostModel,
  choosePlacement,
  DEFAULT_COST_MODEL,
  type PlacementChoice,
  type PlacementDecisionSummary,
  type Workload,
  workloadOf,
} from '../../planner/index.js';
import type { JobLauncher } from '../../ports.js';
import { keys } from '../keys.js';
import { type EngineDeps, startJob } from './coordinator.js';
import { makeJobPlan } from './job-plan.js';
import type { JobPlacement, JobSpec } from './job-spec.js';
import { writeJsonIfAbsent } from './job-store.js';

/**
 * The planner a runtime places jobs with: AWS prices on AWS, this machine at $0 locally (at its
 * calibrated rates, which may have to be measured first: hence the promise).
 */
export type JobPlanner = (
  workload: Workload,
  workers: number,
) => { summary: PlacementDecisionSummary } | Promise<{ summary: PlacementDecisionSummary }>;

/** What a job started without a person (schedule, upload, drift) needs to be placed. */
export interface PlaceJobDeps {
  readonly engine: EngineDeps;
  /** The Batch job queue (AWS) or a child process (local); without one, Batch is not an option. */
  readonly launcher?: JobLauncher;
  /** @default choosePlacement with `costModel` */
  readonly planner?: JobPlanner;
  /** @default DEFAULT_COST_MODEL (Lambda-hosted in-process, published prices) */
  readonly costModel?: CostModel;
}

/**
 * Starts a job where the planner puts it, as `train --placement auto` does (or where `requested`
 * says): the planner prices the queued plan; `batch` goes to the launcher (spec stored first, its
 * key in the environment), and everything else to the queued runner (a scheduled run has no
 * process of its own to run a job in, so the planner's in-process choice runs as a fan-out of the
 * job's workers). When the planner picks Batch and no launcher is wired, the job runs queued and
 * the reason says so. The decision and its reason are stored in the spec (and so the plan).
 *
 * @example
 * const { spec, launchId } = await startPlacedJob(runtime.pipelines(), draft, manifest, manifestKey);
 * spec.placement; // { requested: 'auto', placement: 'batch', planned: 'batch-gpu g4dn.xlarge (spot)', reason: '…' }
 */
export async function startPlacedJob(
  deps: PlaceJobDeps,
  draft: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
  requested: PlacementChoice = 'auto',
): Promise<{ spec: JobSpec; placement: JobPlacement; launchId?: string }> {
  const queued = makeJobPlan(draft, manifest, manifestKey, { queued: true });
  const { why: _why, ...workload } = workloadOf(
    queued.config,
    queued.partitions.map((p) => p.rows),
    manifest.shardBytes,
  );
  const planner: JobPlanner =
    deps.planner ?? ((w) => choosePlacement(w, deps.costModel ?? DEFAULT_COST_MODEL));
  const { summary } = await planner(workload, queued.partitions.length);
  const wanted = requested === 'auto' ? summary.placement : requested;
  if (requested === 'batch' && deps.launcher === undefined) {
    throw new InfrastructureError(
      `job ${draft.jobId} asks for Batch, but this runtime has no job launcher (locally: npm run build; on AWS: BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION)`,
    );
  }
  const onBatch = wanted === 'batch' && deps.launcher !== undefined;
  const placement: JobPlacement = {
    requested,
    placement: onBatch ? 'batch' : 'lambda',
    planned: summary.label,
    reason:
      wanted === 'batch' && !onBatch
        ? `${summary.reason} No job launcher is wired, so it runs queued.`
        : summary.reason,
    seconds: summary.seconds,
    dollars: summary.dollars,
    rounds: summary.rounds,
  };
  const spec: JobSpec = { ...draft, placement };
  if (onBatch && deps.launcher !== undefined) {
    const specKey = keys.job.spec(spec.jobId);
    await writeJsonIfAbsent(deps.engine.store, specKey, spec);
    const { launchId } = await deps.launcher.submit({
      jobId: spec.jobId,
      jobName: `train-${spec.jobId}`,
      command: [spec.jobId],
      environment: { SHARDTRAIN_SPEC_KEY: specKey },
    });
    return { spec, placement, launchId };
  }
  await startJob(deps.engine, spec, manifest, manifestKey);
  return { spec, placement };
}
