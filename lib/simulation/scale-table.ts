import { type JobSpec, jobSpecSchema, type TrainOptions } from '../engine/training/job-spec.js';
import type { GradientKernel } from '../optim/index.js';
import type { CostModel } from '../planner/cost-model.js';
import type { ObjectStore } from '../ports.js';
import type { LatencyModel } from './latency-distribution.js';
import { S3_REQUESTS_PER_SECOND } from './s3-request-rate.js';
import { type ScaleJob, type ScaleRunReport, simulateScaledJob } from './scale-run.js';

/** The solvers the scale table compares, as job options. */
export const SCALE_SOLVERS = {
  'sync-gd': { solver: 'gd', algorithm: 'batch' },
  'local-sgd': { solver: 'gd', algorithm: 'batch', sync: 'local-sgd' },
  lbfgs: { solver: 'lbfgs' },
} as const satisfies Record<string, TrainOptions>;
export type ScaleSolver = keyof typeof SCALE_SOLVERS;

/** One (solver, W) line of the table. */
export interface ScaleRow {
  readonly solver: ScaleSolver;
  readonly workers: number;
  readonly wallSeconds: number;
  /** T1 / (W · T_W), T1 the same solver's wall time at W = 1. */
  readonly efficiency: number;
  readonly rounds: number;
  readonly dollars: number;
  /** Per round: wall seconds, one worker's compute, the aggregator's busy time, S3 transfers per worker. */
  readonly perRound: {
    readonly seconds: number;
    readonly compute: number;
    readonly aggregator: number;
    readonly transfer: number;
  };
  readonly s3PeakPerSecond: number;
  readonly s3ThrottledSeconds: number;
  /** Below 80 % efficiency: what the round time went to beyond compute. */
  readonly why: string | null;
}

/** Options of {@link scaleTable}. */
export interface ScaleTableOptions {
  readonly store: ObjectStore;
  /** The job at W = 1 (solver options are merged in); its dataset is in `store`. */
  readonly base: ScaleJob;
  readonly workers: readonly number[];
  readonly solvers: readonly ScaleSolver[];
  readonly kernel: GradientKernel;
  readonly latency: LatencyModel;
  readonly workerRowParamsPerSecond: number;
  readonly cost: CostModel;
  /** Worker Lambda memory, MB (billing). */
  readonly workerMemoryMb: number;
  readonly rowScale?: number;
  readonly bytesPerSecond?: number;
  readonly seed?: number;
  /** The fan-in fix: result reads in flight at once (1 = as deployed before) and FIFO batch size. */
  readonly aggregatorReadConcurrency?: number;
  readonly aggregatorBatchSize?: number;
  /** Largest worker result riding in its notification (AWS ships 24 KiB; 0 = every result stored). */
  readonly inlineResultMaxBytes?: number;
  /** Shard s's work goes to worker instance s (see `ScaleRunOptions.shardAffinity`). */
  readonly shardAffinity?: boolean;
  /** Passed to the engine (see `ScaleRunOptions.partitionClaims`); default: as shipped. */
  readonly partitionClaims?: boolean;
  /** Called after each simulated job (progress). */
  readonly onRow?: (row: ScaleRow) => void;
}

/** Dollars of one simulated job: Lambda GB-seconds and requests, SQS and S3 requests. */
export function jobDollars(r: ScaleRunReport, cost: CostModel, workerMemoryMb: number): number {
  const gbSeconds =
    (r.billedSeconds.worker * workerMemoryMb + r.billedSeconds.aggregator * cost.aggregatorMemoryMb) / 1024;
  return (
    gbSeconds * cost.lambdaUsdPerGbSecond +
    (r.invocations.work + r.invocations.aggregate) * cost.lambdaUsdPerRequest +
    (r.sqs.standardRequests * cost.sqsStandardUsdPerMillion +
      r.sqs.fifoRequests * cost.sqsFifoUsdPerMillion) /
      1e6 +
    ((r.s3.get + r.s3.head) * cost.s3GetUsdPer1000 + (r.s3.put + r.s3.list) * cost.s3PutUsdPer1000) / 1000
  );
}

/**
 * Parallel efficiency T1 / (W · T_W).
 *
 * @example
 * parallelEfficiency(100, 4, 30); // 100 / 120 = 0.8333
 */
export function parallelEfficiency(t1: number, workers: number, tw: number): number {
  return t1 / (workers * tw);
}

/** Why a round takes longer than its compute, from the run's figures (null at ≥ 80 % efficiency). */
export function explainShortfall(row: Omit<ScaleRow, 'why'>): string | null {
  if (row.efficiency >= 0.8) return null;
  const p = row.perRound;
  const overhead = Math.max(0, p.seconds - p.compute);
  const reasons: string[] = [];
  if (row.s3PeakPerSecond >= 0.5 * S3_REQUESTS_PER_SECOND.put)
    reasons.push(
      `S3 request rate (peak ${row.s3PeakPerSecond}/s on one prefix; limits ${S3_REQUESTS_PER_SECOND.put} PUT, ${S3_REQUESTS_PER_SECOND.get} GET)`,
    );
  if (p.aggregator > 0.4 * overhead) reasons.push(`aggregator fan-in ${p.aggregator.toFixed(2)} s/round`);
  if (p.transfer > 0.25 * overhead) reasons.push(`shard loads ${p.transfer.toFixed(2)} s/round per worker`);
  if (p.compute < overhead)
    reasons.push(`compute ${p.compute.toFixed(2)} s < coordination ${overhead.toFixed(2)} s a round`);
  return reasons.length > 0 ? reasons.join('; ') : `coordination ${overhead.toFixed(2)} s a round`;
}

/** `base` with W workers, the solver's options and a job id of its own. */
export function scaledSpec(base: JobSpec, solver: ScaleSolver, workers: number): JobSpec {
  return jobSpecSchema.parse({
    ...base,
    jobId: `${base.jobId.slice(0, 60)}-${solver}-w${workers}`,
    workers,
    options: { ...base.options, ...SCALE_SOLVERS[solver] },
  });
}

/**
 * Simulates the job for each solver and each W (and W = 1, the efficiency baseline, when it is
 * not asked for) and returns one row per (solver, W) asked for.
 */
export async function scaleTable(o: ScaleTableOptions): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const ws = [...new Set([1, ...o.workers])].sort((a, b) => a - b);
  for (const solver of o.solvers) {
    let t1 = Number.NaN;
    for (const w of ws) {
      const spec = scaledSpec(o.base.spec, solver, w);
      const r = await simulateScaledJob({
        store: o.store,
        job: { ...o.base, spec },
        kernel: o.kernel,
        latency: o.latency,
        workerRowParamsPerSecond: o.workerRowParamsPerSecond,
        ...(o.rowScale !== undefined ? { rowScale: o.rowScale } : {}),
        ...(o.bytesPerSecond !== undefined ? { bytesPerSecond: o.bytesPerSecond } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(o.aggregatorReadConcurrency !== undefined
          ? { aggregatorReadConcurrency: o.aggregatorReadConcurrency }
          : {}),
        ...(o.aggregatorBatchSize !== undefined ? { aggregatorBatchSize: o.aggregatorBatchSize } : {}),
        ...(o.inlineResultMaxBytes !== undefined ? { inlineResultMaxBytes: o.inlineResultMaxBytes } : {}),
        ...(o.shardAffinity !== undefined ? { shardAffinity: o.shardAffinity } : {}),
        ...(o.partitionClaims !== undefined ? { partitionClaims: o.partitionClaims } : {}),
      });
      if (w === 1) t1 = r.wallSeconds;
      if (!o.workers.includes(w)) continue;
      const rounds = Math.max(1, r.rounds);
      const partial: Omit<ScaleRow, 'why'> = {
        solver,
        workers: w,
        wallSeconds: r.wallSeconds,
        efficiency: parallelEfficiency(t1, w, r.wallSeconds),
        rounds: r.rounds,
        dollars: jobDollars(r, o.cost, o.workerMemoryMb),
        perRound: {
          seconds: r.wallSeconds / rounds,
          compute: r.computeSeconds / (w * rounds),
          aggregator: r.billedSeconds.aggregator / rounds,
          transfer: r.transferSeconds / (w * rounds),
        },
        s3PeakPerSecond: r.s3PeakPerSecond,
        s3ThrottledSeconds: r.s3ThrottledSeconds,
      };
      const row = { ...partial, why: explainShortfall(partial) };
      rows.push(row);
      o.onRow?.(row);
    }
  }
  return rows;
}

/** The table as text, one line per row. */
export function formatScaleTable(rows: readonly ScaleRow[]): string[] {
  const head = `${'solver'.padEnd(10)}${'W'.padStart(5)}${'wall s'.padStart(11)}${'eff'.padStart(7)}${'rounds'.padStart(8)}${'$/job'.padStart(11)}${'s/round'.padStart(9)}${'compute'.padStart(9)}${'aggr'.padStart(7)}  why (below 80 %)`;
  return [
    head,
    ...rows.map(
      (r) =>
        `${r.solver.padEnd(10)}${String(r.workers).padStart(5)}${r.wallSeconds.toFixed(1).padStart(11)}${`${(100 * r.efficiency).toFixed(0)}%`.padStart(7)}${String(r.rounds).padStart(8)}${r.dollars.toPrecision(3).padStart(11)}${r.perRound.seconds.toFixed(2).padStart(9)}${r.perRound.compute.toFixed(2).padStart(9)}${r.perRound.aggregator.toFixed(2).padStart(7)}  ${r.why ?? ''}`,
    ),
  ];
}
