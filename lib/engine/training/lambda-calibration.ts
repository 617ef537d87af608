import { z } from 'zod';
import { readDocument } from '../../documents.js';
import { SchemaError } from '../../errors.js';
import type { ShardResult } from '../../optim/index.js';
import {
  type LambdaCalibrationRecord,
  type LambdaMeasuredRate,
  lambdaMeasuredRates,
  modelRowWork,
  workKernelOf,
} from '../../planner/index.js';
import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';
import type { JobContext } from './job-store.js';

/**
 * Measuring the work Lambdas (issue 13): the worker of shard 0 times its gradient compute in
 * {@link CALIBRATION_ROUND} and stores one {@link LambdaCalibrationRecord} per job under
 * `calibration/lambda/<memoryMb>/<kernel>/` — no extra round, one small put-if-absent per job,
 * nothing in the training state. The AWS planner reads the newest of them back
 * ({@link readLambdaMeasuredRates}).
 */

/** What the worker's host says about where it runs; absent memory (not on Lambda) skips the record. */
export interface LambdaCalibrationHost {
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`. */
  readonly memoryMb?: number;
  /** Milliseconds clock around the compute. @default performance.now */
  readonly clock?: () => number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Round 1, not 0: round 0 pays the container's first JIT and data load. */
export const CALIBRATION_ROUND = 1;

/** The Lambda's memory size from its environment; `undefined` off Lambda or when it does not parse. */
export function lambdaMemoryFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  const mb = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(mb) && mb > 0 ? mb : undefined;
}

/**
 * Runs `compute` (the shard's gradient) and, when this is the calibrating task (shard 0 of
 * round {@link CALIBRATION_ROUND}, on a Lambda, a gradient or local-SGD task that used rows),
 * stores the timed rate once per job. The result is returned untouched.
 */
export async function timedCompute(
  store: ObjectStore,
  ctx: JobContext,
  at: { readonly round: number; readonly shard: number; readonly mode: string },
  host: LambdaCalibrationHost | undefined,
  kernelName: string,
  compute: () => ShardResult,
): Promise<ShardResult> {
  const memoryMb = host?.memoryMb;
  const calibrating =
    memoryMb !== undefined &&
    at.shard === 0 &&
    at.round === CALIBRATION_ROUND &&
    (at.mode === 'gradient' || at.mode === 'local-sgd');
  if (!calibrating) return compute();
  const clock = host?.clock ?? (() => performance.now());
  const start = clock();
  const result = compute();
  const seconds = (clock() - start) / 1000;
  if (result.rows > 0 && seconds > 0) {
    const spec = ctx.plan.config.spec;
    const kernel = workKernelOf(spec);
    const rowWork = modelRowWork(spec);
    const jobId = ctx.spec.jobId;
    const record: LambdaCalibrationRecord = {
      v: 1,
      kernel,
      memoryMb,
      kernelName,
      rows: result.rows,
      rowWork,
      seconds,
      workPerSecond: (result.rows * rowWork) / seconds,
      measuredAt: (host?.now?.() ?? new Date()).toISOString(),
      jobId,
    };
    // A redelivered task would measure again: the first record of the job stands.
    await store.putIfAbsent(keys.calibration.lambda(memoryMb, kernel, jobId), JSON.stringify(record));
  }
  return result;
}

const recordSchema = z.object({
  v: z.literal(1),
  kernel: z.enum(['linear', 'mlp']),
  memoryMb: z.number().int().positive(),
  kernelName: z.string(),
  rows: z.number(),
  rowWork: z.number(),
  seconds: z.number(),
  workPerSecond: z.number(),
  measuredAt: z.string(),
  jobId: z.string(),
});

/** Calibration records read at once: a plan waits on these reads, one small GET each. */
export const CALIBRATION_READS_IN_FLIGHT = 8;

/**
 * The measured Lambda rates in `store`: per memory size and kernel, the median of the newest
 * `window` records (newest by the store's last-modified time, so only those are read, up to
 * {@link CALIBRATION_READS_IN_FLIGHT} at once, kept in listing order). Records that do not parse
 * are skipped: a calibration is a hint, never a reason to fail a plan.
 */
export async function readLambdaMeasuredRates(store: ObjectStore, window = 5): Promise<LambdaMeasuredRate[]> {
  const listed = await store.list(keys.calibration.lambdaPrefix);
  const groups = new Map<string, typeof listed>();
  for (const info of listed) {
    const group = info.key.split('/').slice(0, 4).join('/');
    groups.set(group, [...(groups.get(group) ?? []), info]);
  }
  const wanted = [...groups.values()].flatMap((infos) =>
    [...infos].sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime()).slice(0, window),
  );
  const read: (LambdaCalibrationRecord | undefined)[] = new Array(wanted.length);
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < wanted.length) {
      const i = next++;
      read[i] = await readRecord(store, wanted[i]!.key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CALIBRATION_READS_IN_FLIGHT, wanted.length) }, reader));
  return lambdaMeasuredRates(
    read.filter((r) => r !== undefined),
    window,
  );
}

/** One calibration record; undefined when it is gone, not JSON, or not a record (storage errors throw). */
async function readRecord(store: ObjectStore, key: string): Promise<LambdaCalibrationRecord | undefined> {
  try {
    return await readDocument(store, key, recordSchema);
  } catch (error) {
    if (error instanceof SchemaError) return undefined;
    throw error;
  }
}
