import type { DatasetManifest } from '../../data/index.js';
import {
  applyRound,
  type Batch,
  computeTask,
  initTrainState,
  PermutationCache,
  planRound,
  type TrainState,
} from '../../optim/index.js';
import { keys } from '../keys.js';
import type { ModelArtifact } from '../serving/model-artifact.js';
import { type EngineDeps, finishJob } from './coordinator.js';
import type { JobSpec } from './job-spec.js';
import { type JobContext, latestState, writeJsonIfAbsent, writeState } from './job-store.js';
import { loadPartition } from './partition-data.js';
import { planJob } from './plan-job.js';
import { type RoundMetrics, roundRecordOf } from './round-records.js';

/**
 * When the Batch job saves its state: after `everyRounds` rounds or `everySeconds` seconds since
 * the last save, whichever comes first. A Spot interruption comes with a two-minute notice, so
 * the default 60 s loses at most a minute of work.
 */
export interface CheckpointPolicy {
  /** @default 50 */
  readonly everyRounds: number;
  /** @default 60 */
  readonly everySeconds: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyRounds: 50, everySeconds: 60 };

/** Options of {@link runCheckpointed}. */
export interface CheckpointedRunOptions {
  readonly checkpoint?: Partial<CheckpointPolicy>;
  /** Milliseconds clock. @default performance.now */
  readonly clock?: () => number;
  /** Called after every applied round, before a checkpoint may be written. */
  readonly onRound?: (state: TrainState) => void;
  /** Called after each checkpoint is stored, with the round it resumes from. */
  readonly onCheckpoint?: (round: number) => void;
}

/** What {@link runCheckpointed} did: where it started and how many checkpoints it stored. */
export interface CheckpointedRun {
  readonly artifact: ModelArtifact;
  readonly state: TrainState;
  readonly ctx: JobContext;
  /** The round it started from: 0 for a fresh job, the checkpoint's round after an interruption. */
  readonly resumedFrom: number;
  readonly checkpoints: number;
}

/**
 * The in-process runner for long jobs that may be interrupted (the Batch GPU job on Spot): the
 * same planRound → computeTask → applyRound loop as `fit`, but asynchronous, saving the state to
 * `jobs/<id>/state/<round>` (and the per-round records since the last save) by the
 * {@link CheckpointPolicy}. Started again after an interruption it continues from the newest
 * saved state; rounds are deterministic, so the final parameters are the uninterrupted run's bits.
 *
 * @example
 * const run = await runCheckpointed(deps, spec, manifest, manifestKey, { checkpoint: { everyRounds: 20 } });
 * run.resumedFrom; // 0 on the first attempt, e.g. 140 after a Spot reclaim
 */
export async function runCheckpointed(
  deps: Pick<EngineDeps, 'store' | 'kernel' | 'backend' | 'onFinish'>,
  spec: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
  options: CheckpointedRunOptions = {},
): Promise<CheckpointedRun> {
  const policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoint };
  const clock = options.clock ?? (() => performance.now());
  const plan = await planJob(deps.store, spec, manifest, manifestKey);
  await writeJsonIfAbsent(deps.store, keys.job.spec(spec.jobId), spec);
  await writeJsonIfAbsent(deps.store, keys.job.plan(spec.jobId), plan);
  const ctx: JobContext = { spec, plan, manifest };
  const config = plan.config;
  const saved = await latestState(deps.store, spec.jobId);
  let state = saved ?? initTrainState(config);
  const resumedFrom = state.round;
  if (saved === undefined) await writeState(deps.store, spec.jobId, state);
  const partitions: Batch[] = [];
  for (let p = 0; p < plan.partitions.length; p++) {
    partitions.push(await loadPartition(deps.store, manifest, spec, plan, p));
  }
  const rows = partitions.map((b) => b.rows);
  const cache = new PermutationCache();
  let pending: RoundMetrics[] = [];
  let checkpoints = 0;
  let sinceRounds = 0;
  let savedAt = clock();
  let lastAt = savedAt;
  const save = async (): Promise<void> => {
    for (let i = 0; i < pending.length; i += 64) {
      await Promise.all(
        pending
          .slice(i, i + 64)
          .map((m) => deps.store.putIfAbsent(keys.job.metrics(spec.jobId, m.round), JSON.stringify(m))),
      );
    }
    pending = [];
    await writeState(deps.store, spec.jobId, state);
    checkpoints++;
    sinceRounds = 0;
    savedAt = clock();
    options.onCheckpoint?.(state.round);
  };
  while (state.status.status === 'running') {
    const round = planRound(config, state, rows);
    const params = Float64Array.from(state.params);
    const results = round.tasks.map((task, p) =>
      computeTask(config, params, partitions[p]!, task, deps.kernel, cache),
    );
    state = applyRound(config, state, results);
    const now = clock();
    const record = roundRecordOf(spec.jobId, state);
    if (record !== null) pending.push({ ...record, roundMs: now - lastAt });
    lastAt = now;
    sinceRounds++;
    options.onRound?.(state);
    const due = sinceRounds >= policy.everyRounds || (now - savedAt) / 1000 >= policy.everySeconds;
    if (due || state.status.status !== 'running') await save();
  }
  const artifact = await finishJob(
    { ...deps, outbox: { sendWork: async () => {}, sendResult: async () => {} } },
    ctx,
    state,
  );
  return { artifact, state, ctx, resumedFrom, checkpoints };
}
