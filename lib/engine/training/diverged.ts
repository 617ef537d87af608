import { z } from 'zod';
import { readDocument } from '../../documents.js';
import { UsageError } from '../../errors.js';
import type { TrainState } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';
import { writeJsonIfAbsent } from './job-store.js';

/** What `jobs/<id>/failed.json` holds for a job that stopped without a model. */
export const jobFailureSchema = z.object({
  v: z.literal(1),
  jobId: z.string(),
  reason: z.literal('diverged'),
  /** The round whose loss, gradient or parameters became non-finite. */
  round: z.number().int().nonnegative(),
  /** The step size that round used (what to lower). */
  lr: z.number().nullable(),
  message: z.string(),
});
export type JobFailure = z.infer<typeof jobFailureSchema>;

/** A job whose loss or parameters became non-finite: nothing is registered (exit 2: lower --lr). */
export class TrainingDivergedError extends UsageError {
  public constructor(public readonly failure: JobFailure) {
    super(failure.message);
    this.name = 'TrainingDivergedError';
  }
}

/** Whether a finished state stopped because training diverged. */
export function isDiverged(state: TrainState): boolean {
  return state.status.status === 'done' && state.status.reason === 'diverged';
}

/** The failure record of a diverged state (the last round record names the step size). */
export function divergedFailure(jobId: string, state: TrainState): JobFailure {
  const last = state.last ?? undefined;
  const lr = last !== undefined && Number.isFinite(last.lr) ? last.lr : null;
  const round = last?.round ?? state.round;
  return {
    v: 1,
    jobId,
    reason: 'diverged',
    round,
    lr,
    message: `job ${jobId} diverged at round ${round}${lr !== null ? ` with step size ${lr}` : ''}: the loss or parameters became non-finite, so no model was registered; try a smaller --lr`,
  };
}

/** Records a diverged job's failure (put-if-absent: the first record stays). */
export async function recordDivergence(
  store: ObjectStore,
  jobId: string,
  state: TrainState,
): Promise<JobFailure> {
  const failure = divergedFailure(jobId, state);
  await writeJsonIfAbsent(store, keys.job.failed(jobId), failure);
  return (await readJobFailure(store, jobId)) ?? failure;
}

/** The failure record of a job, if it stopped without a model. */
export async function readJobFailure(store: ObjectStore, jobId: string): Promise<JobFailure | undefined> {
  return readDocument(store, keys.job.failed(jobId), jobFailureSchema);
}
