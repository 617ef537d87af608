import { z } from 'zod';
import { readDocument, storedAs } from '../../documents.js';
import type { StopReason, TrainState } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';

/**
 * One applied round of a job, stored at `jobs/<id>/metrics/<round>.json` by the aggregator right
 * after the round's state: the job's loss history, append-only, one small object per round (the
 * round states themselves stay the same size however long the job runs). `status`, the progress
 * display and reports read these.
 */
export interface RoundMetrics {
  readonly jobId: string;
  readonly round: number;
  readonly epoch: number;
  /** Mean loss (with the L2 term) at the round's parameters. */
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  /** Mean loss over the epoch this round closed; null when the round did not end an epoch. */
  readonly epochLoss: number | null;
  /** Why training stopped, on the last round's record; null while it runs. */
  readonly stop: StopReason | null;
  /** Wall time since the aggregator fanned out this round (null when another process did). */
  readonly roundMs: number | null;
  readonly at: string;
  /** `at` in milliseconds since the epoch, sub-millisecond (for per-round timings). */
  readonly atMs: number;
}

/** `jobs/<id>/metrics/<round>.json` (a diverged round's loss is stored as null). */
export const roundMetricsDocument = storedAs<RoundMetrics>(
  z.looseObject({
    jobId: z.string(),
    round: z.number().int().nonnegative(),
    epoch: z.number().int().nonnegative(),
    loss: z.number().nullable(),
    gradNorm: z.number().nullable(),
    lr: z.number().nullable(),
  }),
);

/** When each job's current round was fanned out, as this process saw it (for `roundMs`). */
const fannedOut = new Map<string, { round: number; at: number }>();

/** Notes that `round` of `jobId` was fanned out now (the start of its `roundMs`). */
export function noteFanOut(jobId: string, round: number): void {
  fannedOut.set(jobId, { round, at: performance.now() });
  if (fannedOut.size > 256) fannedOut.delete(fannedOut.keys().next().value!);
}

/** The record of the round that produced `state` (its `last`), or null before round 0 is applied. */
export function roundRecordOf(jobId: string, state: TrainState): RoundMetrics | null {
  const last = state.last;
  if (last === null) return null;
  const seen = fannedOut.get(jobId);
  return {
    jobId,
    round: last.round,
    epoch: last.epoch,
    loss: last.loss,
    gradNorm: last.gradNorm,
    lr: last.lr,
    epochLoss: state.lastEpoch !== null && state.lastEpoch.epoch === last.epoch ? state.lastEpoch.loss : null,
    stop: state.status.status === 'done' ? state.status.reason : null,
    roundMs: seen?.round === last.round ? performance.now() - seen.at : null,
    at: new Date().toISOString(),
    atMs: performance.timeOrigin + performance.now(),
  };
}

/**
 * Stores the record of the round that produced `state`, put-if-absent (a redelivered message
 * records nothing twice). Returns the record when this call wrote it.
 */
export async function writeRoundRecord(
  store: ObjectStore,
  jobId: string,
  state: TrainState,
): Promise<RoundMetrics | undefined> {
  const record = roundRecordOf(jobId, state);
  if (record === null) return undefined;
  const wrote = await store.putIfAbsent(keys.job.metrics(jobId, record.round), JSON.stringify(record));
  return wrote ? record : undefined;
}

/** Every round record of a job from round `from` on, in round order. */
export async function readRoundRecords(store: ObjectStore, jobId: string, from = 0): Promise<RoundMetrics[]> {
  const listed = await store.list(keys.job.metricsPrefix(jobId));
  const wanted = listed.filter((i) => i.key >= keys.job.metrics(jobId, from));
  const records = await Promise.all(wanted.map((i) => readDocument(store, i.key, roundMetricsDocument)));
  return records.filter((r): r is RoundMetrics => r !== undefined);
}

/**
 * The newest round record of a job, found with O(log R) existence checks instead of a listing
 * (records are contiguous from round 0: each is stored before the next round is fanned out).
 * `hint`: a round known to be recorded already (the previous answer), to start from.
 */
export async function latestRoundRecord(
  store: ObjectStore,
  jobId: string,
  hint = 0,
): Promise<RoundMetrics | undefined> {
  const has = async (r: number) => (await store.head(keys.job.metrics(jobId, r))) !== undefined;
  let lo = Math.max(0, hint);
  if (!(await has(lo))) {
    if (lo === 0) return undefined;
    lo = 0;
    if (!(await has(0))) return undefined;
  }
  // gallop: lo is recorded; find hi that is not
  let step = 1;
  let hi = lo + step;
  while (await has(hi)) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await has(mid)) lo = mid;
    else hi = mid;
  }
  return readDocument(store, keys.job.metrics(jobId, lo), roundMetricsDocument);
}
