import type { CostModel } from './cost-model.js';
import type { WorkKernel } from './workload.js';

/**
 * One gradient rate measured on a work Lambda: the worker of shard 0 times its compute in round 1
 * of a job and stores this under `calibration/lambda/<memoryMb>/<kernel>/<jobId>.json` (one small
 * PUT per job, outside the training state). `workPerSecond` is in the planner's unit of work
 * (multiply-adds: rows × d·K for the linear families, rows × ≈ 3 × weights for an MLP).
 */
export interface LambdaCalibrationRecord {
  readonly v: 1;
  readonly kernel: WorkKernel;
  /** The function's memory size (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`). */
  readonly memoryMb: number;
  /** The gradient kernel that ran (`wasm-simd`, `typed-array`, …). */
  readonly kernelName: string;
  readonly rows: number;
  /** Multiply-adds of one gradient per row. */
  readonly rowWork: number;
  readonly seconds: number;
  /** rows × rowWork / seconds. */
  readonly workPerSecond: number;
  readonly measuredAt: string;
  readonly jobId: string;
}

/** The rate the planner uses for Lambdas of one memory size and kernel: a median of recent records. */
export interface LambdaMeasuredRate {
  readonly memoryMb: number;
  readonly kernel: WorkKernel;
  /** Median of the last `count` records' `workPerSecond`. */
  readonly workPerSecond: number;
  readonly count: number;
  /** When the newest of them was measured. */
  readonly measuredAt: string;
}

/** How many of the newest records per memory size and kernel the median takes. */
export const LAMBDA_CALIBRATION_WINDOW = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The measured rates per (memory size, kernel): the median `workPerSecond` of the newest `window`
 * records (by `measuredAt`); records with a rate that is not a positive finite number are left out.
 */
export function lambdaMeasuredRates(
  records: readonly LambdaCalibrationRecord[],
  window = LAMBDA_CALIBRATION_WINDOW,
): LambdaMeasuredRate[] {
  const groups = new Map<string, LambdaCalibrationRecord[]>();
  for (const r of records) {
    if (!(r.workPerSecond > 0 && Number.isFinite(r.workPerSecond))) continue;
    const k = `${r.memoryMb}/${r.kernel}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const newest = [...group].sort((a, b) => b.measuredAt.localeCompare(a.measuredAt)).slice(0, window);
    return {
      memoryMb: newest[0]!.memoryMb,
      kernel: newest[0]!.kernel,
      workPerSecond: median(newest.map((r) => r.workPerSecond)),
      count: newest.length,
      measuredAt: newest[0]!.measuredAt,
    };
  });
}

/** The cost model with Lambda candidates of the measured sizes priced at their measured rates. */
export function withLambdaMeasurements(cost: CostModel, rates: readonly LambdaMeasuredRate[]): CostModel {
  return rates.length === 0 ? cost : { ...cost, lambdaMeasured: rates };
}

/** The measured rate for Lambdas of `memoryMb` running `kernel`, if the cost model has one. */
export function measuredLambdaRate(
  cost: CostModel,
  memoryMb: number,
  kernel: WorkKernel,
): LambdaMeasuredRate | undefined {
  return cost.lambdaMeasured?.find((r) => r.memoryMb === memoryMb && r.kernel === kernel);
}

/** Where a Lambda size's rate comes from, in words (`plan`'s output). */
export function lambdaRateSource(cost: CostModel, memoryMb: number, kernel: WorkKernel): string {
  const m = measuredLambdaRate(cost, memoryMb, kernel);
  return m === undefined
    ? 'published'
    : `measured at ${memoryMb} MB on ${m.measuredAt.slice(0, 10)} (median of ${m.count})`;
}
