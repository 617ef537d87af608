import type { CostModel, RoundCoordination, RoundCoordinationFields } from './cost-model.js';

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
 * - One SQS API call from Lambda (SendMessageBatch): 10 ms (assumed).
 * - Per worker: what W workers add to a round beyond one worker's calls — the slowest of W hops and
 *   S3 calls, and the aggregator's handling of the round's earlier notification batches, one after
 *   another in the job's FIFO message group. Not a published figure: fitted to `shardtrain
 *   simulate`, which draws every call from the published distributions (README "Simulating
 *   scale"): 20 ms a worker up to 10 workers, 7.5 ms beyond (the steep part of the slowest-of-W
 *   curve is at small W).
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
  /** Seconds each worker adds to a round of at most `inlineResultMaxWorkers` workers. */
  readonly perWorkerSmallSeconds: number;
  /** Seconds each worker adds to a round of more workers. */
  readonly perWorkerLargeSeconds: number;
  /**
   * The engine's rules, which decide the calls (the engine's constants, held equal by a test):
   * results ride inline in their notifications up to this many workers (`INLINE_RESULT_MAX_WORKERS`)…
   */
  readonly inlineResultMaxWorkers: number;
  /** …and workers claim partitions above this many (`WORKER_CACHE_PARTITIONS`). */
  readonly claimsAboveWorkers: number;
}

export const AWS_ROUND_LATENCY: RoundLatencyModel = {
  sqsStandardHopSeconds: 0.0162,
  sqsFifoHopSeconds: 0.0281,
  s3HeadSeconds: 0.015,
  s3GetSeconds: 0.015,
  s3PutSeconds: 0.03,
  sqsSendSeconds: 0.01,
  perWorkerSmallSeconds: 0.02,
  perWorkerLargeSeconds: 0.0075,
  inlineResultMaxWorkers: 10,
  claimsAboveWorkers: 8,
};

/** A round's coordination time, split into what every round pays and what each worker adds. */
export interface RoundLatency {
  readonly fixedSeconds: number;
  readonly perWorkerSeconds: number;
  /** The round's coordination for its W workers: `fixedSeconds + W · perWorkerSeconds`. */
  readonly seconds: number;
  /** A worker's own S3 calls (billed on every worker, on the round's path once). */
  readonly workerIoSeconds: number;
  /** Whether the workers' results ride inline in their notifications (else each is stored). */
  readonly inlineResults: boolean;
  /** The calls behind the figures, for the README and `train`'s plan line. */
  readonly parts: Readonly<Record<string, number>>;
}

/**
 * The coordination time of one AWS round of `workers` workers (compute excluded), following the
 * coordinator's calls on its path, warm functions, first deliveries:
 * - worker: HEAD of the next state (a late duplicate stops there), [GET of the state when it is too
 *   big to ride inline], [PUT of its partition claim above `claimsAboveWorkers` workers], [PUT of
 *   its result above `inlineResultMaxWorkers` workers; up to that many it rides in the
 *   notification], then the notification's FIFO hop;
 * - aggregator, on the round's last notification batch: [one wave of result GETs (32 at once) when
 *   results are stored], PUT of the new state, HEAD of the model (a finished job is not brought
 *   back), SendMessageBatch of the next round. The round record's PUT goes out with the send, and
 *   the fan-out marker after it, while the work messages travel: neither is on the path. A warm
 *   aggregator knows which state it stored last and does not look the next one up.
 *
 * @example
 * awsRoundLatency(AWS_ROUND_LATENCY, { workers: 4, inlineState: true });
 * // fixed 0.1143 s = 16.2 (work hop) + 15 (HEAD) + 28.1 (result hop) + 30 + 15 + 10 ms; per worker 0.02 s
 */
export function awsRoundLatency(
  m: RoundLatencyModel,
  round: { readonly workers: number; readonly inlineState: boolean },
): RoundLatency {
  const inlineResults = round.workers <= m.inlineResultMaxWorkers;
  const claims = round.workers > m.claimsAboveWorkers;
  const worker = {
    workerLookups: m.s3HeadSeconds + (round.inlineState ? 0 : m.s3GetSeconds),
    workerClaim: claims ? m.s3PutSeconds : 0,
    workerPut: inlineResults ? 0 : m.s3PutSeconds,
  };
  const parts = {
    workHop: m.sqsStandardHopSeconds,
    ...worker,
    resultHop: m.sqsFifoHopSeconds,
    aggregatorReads: inlineResults ? 0 : m.s3GetSeconds,
    aggregatorWrites: m.s3PutSeconds + m.s3HeadSeconds,
    fanOut: m.sqsSendSeconds,
  };
  const fixedSeconds = Object.values(parts).reduce((a, b) => a + b, 0);
  const perWorkerSeconds = inlineResults ? m.perWorkerSmallSeconds : m.perWorkerLargeSeconds;
  return {
    fixedSeconds,
    perWorkerSeconds,
    seconds: fixedSeconds + round.workers * perWorkerSeconds,
    workerIoSeconds: Object.values(worker).reduce((a, b) => a + b, 0),
    inlineResults,
    parts,
  };
}

/**
 * S3 requests of one AWS round of W workers (the calls of {@link awsRoundLatency}, state inline):
 * GET class (GET, HEAD) — each worker's HEAD, the model's HEAD, the aggregator's look-ups of shards
 * not yet notified when an earlier batch arrives (W − 1 taken: `shardtrain simulate` counts 1.0–1.9
 * per worker in all) and its read of each stored result; PUT class — the state, the round record
 * and the fan-out marker, each worker's claim (above `claimsAboveWorkers`) and each result: stored
 * by its worker above `inlineResultMaxWorkers`, else by the aggregator when its notification is not
 * in the round's last batch (counted for every result but one: the upper end). Shard loads are
 * counted apart.
 */
export function awsRoundRequests(
  m: RoundLatencyModel,
  workers: number,
): { readonly s3Gets: number; readonly s3Puts: number } {
  const inlineResults = workers <= m.inlineResultMaxWorkers;
  const claims = workers > m.claimsAboveWorkers ? workers : 0;
  return {
    s3Gets: 2 * workers + (inlineResults ? 0 : workers),
    s3Puts: 3 + claims + (inlineResults ? workers - 1 : workers),
  };
}

/**
 * Coordination seconds per round of the embedded local cloud (SQLite queues, files, threads): the
 * `coordination` bench's overhead over the in-process runner, p50, 4 workers on 2 worker threads
 * (4.0–5.4 ms over five runs, 3 December 2026; 34 ms before issue 8).
 */
export const LOCAL_ROUND_OVERHEAD_SECONDS = 0.005;

/**
 * `cost` with its per-round coordination figures taken from `model`, per W ({@link
 * CostModel.coordination}): `roundOverheadSeconds` = the fixed part, `aggregatorSecondsPerWorker`
 * = the per-worker part, `workerIoSeconds` = the worker's own S3 calls, and the S3 requests of a
 * round. The static fields hold the figures of a round of results stored (more than
 * `inlineResultMaxWorkers` workers), for readers that do not ask per W. {@link DEFAULT_COST_MODEL}
 * is built this way.
 */
export function withRoundLatency(
  cost: Omit<CostModel, RoundCoordinationFields>,
  model: RoundLatencyModel = AWS_ROUND_LATENCY,
  inlineState = true,
): CostModel {
  const coordination = (workers: number): RoundCoordination => {
    const r = awsRoundLatency(model, { workers, inlineState });
    const requests = awsRoundRequests(model, workers);
    return {
      roundOverheadSeconds: r.fixedSeconds,
      aggregatorSecondsPerWorker: r.perWorkerSeconds,
      workerIoSeconds: r.workerIoSeconds,
      s3GetsPerRound: requests.s3Gets + (inlineState ? 0 : workers),
      s3PutsPerRound: requests.s3Puts,
    };
  };
  const large = coordination(model.inlineResultMaxWorkers + 1);
  return {
    ...cost,
    roundOverheadSeconds: large.roundOverheadSeconds,
    aggregatorSecondsPerWorker: large.aggregatorSecondsPerWorker,
    workerIoSeconds: large.workerIoSeconds,
    coordination,
  };
}
