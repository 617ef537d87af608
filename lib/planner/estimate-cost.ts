import { type CostModel, coordinationOf, DEFAULT_COST_MODEL } from './cost-model.js';
import { batchInstance, estimateTime } from './estimate-time.js';
import type { Placement, Workload } from './workload.js';

/** Dollars of a placement by line item; `totalUsd` is their sum. */
export interface CostBreakdown {
  /** Lambda GB-seconds (workers, aggregator, or the single in-process invocation). */
  readonly lambdaUsd: number;
  /** Lambda invocation requests. */
  readonly requestUsd: number;
  readonly sqsUsd: number;
  readonly s3Usd: number;
  /** EC2 instance hours (Batch) or the in-process host's hourly price. */
  readonly instanceUsd: number;
  readonly totalUsd: number;
}

function breakdown(parts: Omit<CostBreakdown, 'totalUsd'>): CostBreakdown {
  const totalUsd = parts.lambdaUsd + parts.requestUsd + parts.sqsUsd + parts.s3Usd + parts.instanceUsd;
  return { ...parts, totalUsd };
}

/**
 * Dollars of a placement, with R rounds, W workers of M MB, h = shard cache hit rate and
 * L = 1 + (R−1)(1−h) shard loads per worker (times from {@link estimateTime}):
 * - lambda: GB-s = W·[R·(workerIo + compute) + L·load]·M/1024 + R·(aggBase + W·aggPerWorker)·aggMem/1024;
 *   requests = R·(W + 1); SQS = R·3W messages-actions (send, receive, delete) on each of the work
 *   queue (standard) and the aggregate queue (FIFO); S3 GETs = R·gets + L·W (shards), PUTs = R·puts,
 *   with workerIo, aggPerWorker, gets and puts per W from {@link coordinationOf} (without a per-W
 *   model: gets = 2W, params and results; puts = W + 2, results, state, round record).
 * - in-process on Lambda: GB-s = (load + R·round)·M/1024, one request, 1 GET, 1 PUT; the Lambda start
 *   is not billed. On `inProcessHost`: wall/3600 × host $/h instead of GB-s and request.
 * - batch-gpu: wall/3600 × on-demand or spot $/h (start-up billed: the instance is up), 1 GET, 1 PUT.
 */
export function estimateCost(w: Workload, p: Placement, cost: CostModel = DEFAULT_COST_MODEL): CostBreakdown {
  const t = estimateTime(w, p, cost);
  const get = cost.s3GetUsdPer1000 / 1000;
  const put = cost.s3PutUsdPer1000 / 1000;
  const R = w.rounds;
  if (p.kind === 'lambda') {
    const W = p.workers;
    const loads = 1 + (R - 1) * (1 - cost.shardCacheHitRate);
    const c = coordinationOf(cost, W);
    const workerSeconds = R * (c.workerIoSeconds + t.computeSeconds) + loads * t.loadSeconds;
    const aggregatorSeconds = R * (cost.aggregatorSecondsPerRound + W * c.aggregatorSecondsPerWorker);
    const gbSeconds = (W * workerSeconds * p.memoryMb + aggregatorSeconds * cost.aggregatorMemoryMb) / 1024;
    return breakdown({
      lambdaUsd: gbSeconds * cost.lambdaUsdPerGbSecond,
      requestUsd: R * (W + 1) * cost.lambdaUsdPerRequest,
      sqsUsd: (R * 3 * W * (cost.sqsStandardUsdPerMillion + cost.sqsFifoUsdPerMillion)) / 1e6,
      s3Usd: (R * c.s3GetsPerRound + loads * W) * get + R * c.s3PutsPerRound * put,
      instanceUsd: 0,
    });
  }
  if (p.kind === 'in-process' && p.memoryMb !== undefined) {
    return breakdown({
      lambdaUsd: ((t.invocationSeconds * p.memoryMb) / 1024) * cost.lambdaUsdPerGbSecond,
      requestUsd: cost.lambdaUsdPerRequest,
      sqsUsd: 0,
      s3Usd: get + put,
      instanceUsd: 0,
    });
  }
  const usdPerHour =
    p.kind === 'batch-gpu'
      ? p.spot
        ? batchInstance(cost, p.instanceType).spotUsdPerHour
        : batchInstance(cost, p.instanceType).onDemandUsdPerHour
      : (cost.inProcessHost?.usdPerHour ?? 0);
  return breakdown({
    lambdaUsd: 0,
    requestUsd: 0,
    sqsUsd: 0,
    s3Usd: get + put,
    instanceUsd: (t.wallSeconds / 3600) * usdPerHour,
  });
}
