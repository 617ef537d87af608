import { UsageError } from '../errors.js';
import { type BatchInstanceSpec, type CostModel, coordinationOf, DEFAULT_COST_MODEL } from './cost-model.js';
import { measuredLambdaRate } from './lambda-calibration.js';
import { decodedBytes, lambdaVcpus, type Placement, type Workload, workPerRound } from './workload.js';

/** Time estimate of one placement; wall = startSeconds + rounds × roundSeconds. */
export interface TimeEstimate {
  /** One-time seconds before the first round: start-up and the first data load. */
  readonly startSeconds: number;
  /** Steady-state seconds per round. */
  readonly roundSeconds: number;
  readonly wallSeconds: number;
  /** Longest single run that a platform limit applies to (one Lambda invocation). */
  readonly invocationSeconds: number;
  /** Gradient seconds of one worker (or the single process) per round. */
  readonly computeSeconds: number;
  /** Seconds to download and decode one worker's shards once (the whole dataset for one process). */
  readonly loadSeconds: number;
}

/** The Batch instance spec named by a placement; `UsageError` when the model has no such type. */
export function batchInstance(cost: CostModel, instanceType: string): BatchInstanceSpec {
  const spec = cost.batchInstances.find((i) => i.instanceType === instanceType);
  if (spec === undefined)
    throw new UsageError(`planner: no Batch instance type "${instanceType}" in the cost model`);
  return spec;
}

/**
 * CPU throughput of one process on `vcpus` vCPUs, multiply-adds per second: v·T for the linear
 * kernel (it spreads over every vCPU); the MLP kernel runs on one thread, so min(v, 1) × its own
 * per-vCPU rate (`hostRate`: the host's calibrated MLP rate instead, when it has one).
 */
export function cpuWorkPerSecond(w: Workload, vcpus: number, cost: CostModel, hostRate?: number): number {
  if (w.kernel === 'mlp') return hostRate ?? Math.min(vcpus, 1) * cost.mlpWorkPerVcpuSecond;
  return vcpus * cost.rowFeaturesPerVcpuSecond;
}

/**
 * Throughput of one Lambda of `memoryMb`, multiply-adds per second: the rate measured on the work
 * Lambdas of that size for this kernel (`cost.lambdaMeasured`) when there is one, else the
 * published figure ({@link cpuWorkPerSecond} on its vCPUs).
 */
export function lambdaWorkPerSecond(w: Workload, memoryMb: number, cost: CostModel): number {
  return (
    measuredLambdaRate(cost, memoryMb, w.kernel ?? 'linear')?.workPerSecond ??
    cpuWorkPerSecond(w, lambdaVcpus(memoryMb, cost), cost)
  );
}

/**
 * Time of a placement. With v = vCPUs used, T = `rowFeaturesPerVcpuSecond`, R = rounds, h = cache hit rate:
 * - lambda (W, M): compute = work(W) / (v·T), or / the rate measured at M ({@link lambdaWorkPerSecond}); load = bytes / W / S3 rate;
 *   round = overhead + W·aggPerWorker + compute + (1−h)·load (overhead, aggPerWorker and workerIo
 *   per W: {@link coordinationOf}); start = lambdaStart + h·load
 *   (so the first round always loads); invocation = workerIo + load + compute ≤ 900 s.
 * - in-process on a Lambda of M: round = work(1) / (v·T); start = lambdaStart + load (whole
 *   dataset); invocation = load + R·round (one invocation runs the whole job).
 * - in-process on `inProcessHost`: as above with v = min(host vCPUs, threads) and no Lambda start.
 * - batch-gpu: round = work(1) / rate with rate = GPU rate if decoded bytes × memoryFactor fit in GPU
 *   memory, else min(GPU, stream) rate; start = batchStart + bytes / Batch S3 rate.
 */
export function estimateTime(w: Workload, p: Placement, cost: CostModel = DEFAULT_COST_MODEL): TimeEstimate {
  const rounds = w.rounds;
  if (p.kind === 'lambda') {
    const computeSeconds = workPerRound(w, p.workers) / lambdaWorkPerSecond(w, p.memoryMb, cost);
    const loadSeconds = w.datasetBytes / p.workers / cost.lambdaS3BytesPerSecond;
    const h = cost.shardCacheHitRate;
    const c = coordinationOf(cost, p.workers);
    const roundSeconds =
      c.roundOverheadSeconds +
      p.workers * c.aggregatorSecondsPerWorker +
      computeSeconds +
      (1 - h) * loadSeconds;
    const startSeconds = cost.lambdaStartSeconds + h * loadSeconds;
    const invocationSeconds = c.workerIoSeconds + loadSeconds + computeSeconds;
    return {
      startSeconds,
      roundSeconds,
      wallSeconds: startSeconds + rounds * roundSeconds,
      invocationSeconds,
      computeSeconds,
      loadSeconds,
    };
  }
  if (p.kind === 'in-process') {
    const host = p.memoryMb === undefined ? cost.inProcessHost : undefined;
    if (p.memoryMb === undefined && host === undefined) {
      throw new UsageError(
        'planner: an in-process placement needs memoryMb unless the cost model sets inProcessHost',
      );
    }
    const vcpus = host ? Math.min(host.vcpus, cost.threadsPerProcess) : lambdaVcpus(p.memoryMb ?? 0, cost);
    const computeSeconds = workPerRound(w, 1) / cpuWorkPerSecond(w, vcpus, cost, host?.mlpWorkPerSecond);
    const loadSeconds = w.datasetBytes / cost.lambdaS3BytesPerSecond;
    const startSeconds = (host ? 0 : cost.lambdaStartSeconds) + loadSeconds;
    const wallSeconds = startSeconds + rounds * computeSeconds;
    const invocationSeconds = loadSeconds + rounds * computeSeconds;
    return {
      startSeconds,
      roundSeconds: computeSeconds,
      wallSeconds,
      invocationSeconds,
      computeSeconds,
      loadSeconds,
    };
  }
  const spec = batchInstance(cost, p.instanceType);
  const fitsOnGpu = decodedBytes(w, 1) * cost.memoryFactor <= spec.gpuMemoryMb * 1_048_576;
  const rate = fitsOnGpu
    ? spec.gpuRowFeaturesPerSecond
    : Math.min(spec.gpuRowFeaturesPerSecond, cost.streamRowFeaturesPerSecond);
  const computeSeconds = workPerRound(w, 1) / rate;
  const loadSeconds = w.datasetBytes / cost.batchS3BytesPerSecond;
  const startSeconds = cost.batchStartSeconds + loadSeconds;
  const wallSeconds = startSeconds + rounds * computeSeconds;
  return {
    startSeconds,
    roundSeconds: computeSeconds,
    wallSeconds,
    invocationSeconds: wallSeconds,
    computeSeconds,
    loadSeconds,
  };
}

/** Steady-state seconds per round of a placement (see {@link estimateTime} for the formulas). */
export function estimateRoundSeconds(
  w: Workload,
  p: Placement,
  cost: CostModel = DEFAULT_COST_MODEL,
): number {
  return estimateTime(w, p, cost).roundSeconds;
}
