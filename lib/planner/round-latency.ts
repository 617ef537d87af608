import type { CostModel, RoundCoordinationFields } from './cost-model.js';

/**
 * Per-round latency of a synchronous round, from its parts. On AWS one round is: the work
 * messages' hop (SQS standard → Lambda event source mapping → worker), the worker's object-store
 * calls, the result notification's hop (SQS FIFO → aggregator), and the aggregator's calls.
 *
 * Sources of the defaults (p50s, one region, warm functions):
 * - SQS → Lambda event source mapping, producer send to consumer start: standard 16.2 ms (p90 33.8),
 *   FIFO 28.1 ms (p90 61.2) — Bite-Sized Serverless, "Serverless Messaging: Latency Compared",
 *   eu-west-1, 2022 (https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/).
 *   Lambda's pollers long-poll the queue (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html),
 *   so no poll interval adds to it.
 * - S3 small-object requests (< 512 KB): "median latencies often in the tens of milliseconds" —
 *   AWS whitepaper "Best Practices Design Patterns: Optimizing Amazon S3 Performance", Timeouts and
 *   Retries for Latency-Sensitive Applications
 *   (https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/timeouts-and-retries-for-latency-sensitive-applications.html).
 *   Taken as 15 ms for HEAD/GET first byte and 30 ms for PUT (written durably before it answers).
 * - One SQS API call from Lambda (SendMessageBatch): 10 ms.
 */
export interface RoundLatencyModel {
  /** SQS standard queue → Lambda ESM → handler start (work messages), seconds. */
  readonly sqsStandardHopSeconds: number;
  /** SQS FIFO queue → Lambda ESM → handler start (result notifications), seconds. */
  readonly sqsFifoHopSeconds: number;
  readonly s3HeadSeconds: number;
  readonly s3GetSeconds: number;
  readonly s3PutSeconds: number;
  /** One SQS API call (the aggregator's SendMessageBatch of the next round). */
  readonly sqsSendSeconds: number;
}

export const AWS_ROUND_LATENCY: RoundLatencyModel = {
  sqsStandardHopSeconds: 0.0162,
  sqsFifoHopSeconds: 0.0281,
  s3HeadSeconds: 0.015,
  s3GetSeconds: 0.015,
  s3PutSeconds: 0.03,
  sqsSendSeconds: 0.01,
};

/** A round's coordination time, split into what every round pays and what each worker adds. */
export interface RoundLatency {
  readonly fixedSeconds: number;
  readonly perWorkerSeconds: number;
  /** The calls behind the figures, for the README and `train`'s plan line. */
  readonly parts: Readonly<Record<string, number>>;
}

/**
 * The coordination time of one AWS round (compute excluded), following the coordinator's calls:
 * - worker (in parallel across workers): HEAD next state, HEAD own result, [GET state when it is
 *   too big to ride inline], PUT result; its notification takes the FIFO hop;
 * - aggregator, on the last notification: W GETs of the results (per worker), PUT state, PUT
 *   round record, HEAD model, send the next round's work (SendMessageBatch), PUT fan-out marker;
 *   then the standard-queue hop. A warm aggregator that saw the round's other notifications knows
 *   their results are stored and looks nothing up; each earlier notification costs one HEAD that
 *   misses, while slower workers still run (when all arrive at once they add up to (W−1)·HEAD).
 *
 * @example
 * awsRoundLatency(AWS_ROUND_LATENCY, true); // fixed 0.2193 s, per worker 0.015 s
 * // fixed = 16.2 (work hop) + 2×15 + 30 (worker) + 28.1 (result hop) + 3×30 + 15 (aggregator) + 10 (send) ms
 */
export function awsRoundLatency(m: RoundLatencyModel, inlineState: boolean): RoundLatency {
  const parts = {
    workHop: m.sqsStandardHopSeconds,
    workerLookups: 2 * m.s3HeadSeconds + (inlineState ? 0 : m.s3GetSeconds),
    workerPut: m.s3PutSeconds,
    resultHop: m.sqsFifoHopSeconds,
    aggregatorWrites: 3 * m.s3PutSeconds + m.s3HeadSeconds,
    fanOut: m.sqsSendSeconds,
  };
  const fixedSeconds = Object.values(parts).reduce((a, b) => a + b, 0);
  return { fixedSeconds, perWorkerSeconds: m.s3GetSeconds, parts };
}

/** Coordination seconds per round of the embedded local cloud (SQLite queues, files, threads). */
export const LOCAL_ROUND_OVERHEAD_SECONDS = 0.01;

/**
 * `cost` with its per-round coordination figures taken from `model`: `roundOverheadSeconds` =
 * the fixed part, `aggregatorSecondsPerWorker` = the per-worker part, `workerIoSeconds` = the
 * worker's own S3 calls. {@link DEFAULT_COST_MODEL} is built this way.
 */
export function withRoundLatency(
  cost: Omit<CostModel, RoundCoordinationFields>,
  model: RoundLatencyModel = AWS_ROUND_LATENCY,
  inlineState = true,
): CostModel {
  const r = awsRoundLatency(model, inlineState);
  return {
    ...cost,
    roundOverheadSeconds: r.fixedSeconds,
    aggregatorSecondsPerWorker: r.perWorkerSeconds,
    workerIoSeconds: (r.parts.workerLookups ?? 0) + (r.parts.workerPut ?? 0),
  };
}
