import { describe, expect, it } from 'vitest';
import { WORKER_CACHE_PARTITIONS } from '../../../lib/engine/training/job-store.js';
import { INLINE_RESULT_MAX_WORKERS } from '../../../lib/engine/training/protocol.js';
import {
  AWS_ROUND_LATENCY,
  awsRoundLatency,
  awsRoundRequests,
  coordinationOf,
  DEFAULT_COST_MODEL,
  estimateCost,
  estimateTime,
  withCostModel,
} from '../../../lib/planner/index.js';

/**
 * The AWS per-round latency model against the calls of one round added up by hand (p50s: SQS
 * standard hop 16.2 ms, FIFO hop 28.1 ms, S3 HEAD/GET 15 ms, PUT 30 ms, SQS send 10 ms).
 */
describe('Function: awsRoundLatency', () => {
  it('follows the engine’s rules: results inline up to 10 workers, claims above 8', () => {
    expect(AWS_ROUND_LATENCY.inlineResultMaxWorkers).toBe(INLINE_RESULT_MAX_WORKERS);
    expect(AWS_ROUND_LATENCY.claimsAboveWorkers).toBe(WORKER_CACHE_PARTITIONS);
  });

  it('4 workers, state and results inline: work hop, one HEAD, result hop, state PUT, model HEAD, send', () => {
    // 16.2 + 15 + 28.1 + 30 + 15 + 10 = 114.3 ms; the worker's own calls: one HEAD, 15 ms
    const r = awsRoundLatency(AWS_ROUND_LATENCY, { workers: 4, inlineState: true });
    expect(r.fixedSeconds).toBeCloseTo(0.1143, 12);
    expect(r.perWorkerSeconds).toBeCloseTo(0.02, 12);
    // the round for its 4 workers: 114.3 + 4 × 20 = 194.3 ms
    expect(r.seconds).toBeCloseTo(0.1943, 12);
    expect(r.workerIoSeconds).toBeCloseTo(0.015, 12);
    expect(r.inlineResults).toBe(true);
  });

  it('a state too big to ride costs each worker a GET', () => {
    // 114.3 + 15 = 129.3 ms; worker 15 + 15 = 30 ms
    const r = awsRoundLatency(AWS_ROUND_LATENCY, { workers: 4, inlineState: false });
    expect(r.fixedSeconds).toBeCloseTo(0.1293, 12);
    expect(r.workerIoSeconds).toBeCloseTo(0.03, 12);
  });

  it('9 workers claim partitions (a PUT each); 11 also store their results and the aggregator reads them', () => {
    // W = 9: 114.3 + 30 (claim) = 144.3 ms, worker 45 ms, results still inline, 20 ms a worker
    const nine = awsRoundLatency(AWS_ROUND_LATENCY, { workers: 9, inlineState: true });
    expect(nine.fixedSeconds).toBeCloseTo(0.1443, 12);
    expect(nine.workerIoSeconds).toBeCloseTo(0.045, 12);
    expect(nine.perWorkerSeconds).toBeCloseTo(0.02, 12);
    // W = 11: 144.3 + 30 (result PUT) + 15 (one wave of result GETs) = 189.3 ms, worker 75 ms, 7.5 ms a worker
    const eleven = awsRoundLatency(AWS_ROUND_LATENCY, { workers: 11, inlineState: true });
    expect(eleven.fixedSeconds).toBeCloseTo(0.1893, 12);
    expect(eleven.workerIoSeconds).toBeCloseTo(0.075, 12);
    expect(eleven.perWorkerSeconds).toBeCloseTo(0.0075, 12);
    expect(eleven.inlineResults).toBe(false);
    // 189.3 + 11 × 7.5 = 271.8 ms
    expect(eleven.seconds).toBeCloseTo(0.2718, 12);
  });
});

describe('Function: awsRoundRequests', () => {
  it('counts a round’s S3 requests per regime', () => {
    // W = 4: GET class 4 worker HEADs + 1 model HEAD + 3 look-ups = 8; PUT 3 + 3 early-stored results = 6
    expect(awsRoundRequests(AWS_ROUND_LATENCY, 4)).toEqual({ s3Gets: 8, s3Puts: 6 });
    // W = 9: GET 18; PUT 3 + 9 claims + 8 = 20
    expect(awsRoundRequests(AWS_ROUND_LATENCY, 9)).toEqual({ s3Gets: 18, s3Puts: 20 });
    // W = 16: GET 32 + 16 result reads = 48; PUT 3 + 16 claims + 16 results = 35
    expect(awsRoundRequests(AWS_ROUND_LATENCY, 16)).toEqual({ s3Gets: 48, s3Puts: 35 });
  });
});

describe('The default cost model, per W', () => {
  it('prices a 4-worker Lambda round with the inline figures and a 16-worker one with the stored ones', () => {
    // 1e6 rows × 10 features, full batch, 10 rounds, 4e7 compressed bytes, 1769 MB (1 vCPU):
    // compute = 1e6/W × 10 / 1.5e8 (row·features at 1.5e8 a vCPU-second); load = 4e7 / W / 9e7,
    // in every round but a (h = cache hit rate) share.
    const w = {
      rows: 1e6,
      features: 10,
      classes: 1,
      datasetBytes: 4e7,
      rounds: 10,
      algorithm: 'batch',
    } as const;
    const hit = DEFAULT_COST_MODEL.shardCacheHitRate;
    const at = (workers: number) =>
      estimateTime(w, { kind: 'lambda', workers, memoryMb: 1769 }, DEFAULT_COST_MODEL).roundSeconds;
    // W = 4: 0.1143 + 4 × 0.02 + 2.5e5 × 10 / 1.5e8 + (1 − h) × 1e7/9e7
    expect(at(4)).toBeCloseTo(0.1143 + 0.08 + 2.5e6 / 1.5e8 + ((1 - hit) * 1e7) / 9e7, 9);
    // W = 16: 0.1893 + 16 × 0.0075 + 62500 × 10 / 1.5e8 + (1 − h) × 2.5e6/9e7
    expect(at(16)).toBeCloseTo(0.1893 + 0.12 + 6.25e5 / 1.5e8 + ((1 - hit) * 2.5e6) / 9e7, 9);
    // S3 of the 4-worker job: 10 rounds × (8 GET + 6 PUT) + shard loads, at $0.0004 / $0.005 per 1000
    const loads = 4 * (1 + 9 * (1 - hit));
    const s3 = estimateCost(w, { kind: 'lambda', workers: 4, memoryMb: 1769 }, DEFAULT_COST_MODEL).s3Usd;
    expect(s3).toBeCloseTo(((80 + loads) * 0.0004 + 60 * 0.005) / 1000, 15);
  });

  it('a model with its coordination figures replaced uses them for every W', () => {
    const fixed = withCostModel({
      roundOverheadSeconds: 0.3,
      aggregatorSecondsPerWorker: 0.01,
      workerIoSeconds: 0.05,
    });
    for (const workers of [1, 4, 16, 64]) {
      expect(coordinationOf(fixed, workers)).toEqual({
        roundOverheadSeconds: 0.3,
        aggregatorSecondsPerWorker: 0.01,
        workerIoSeconds: 0.05,
        s3GetsPerRound: 2 * workers,
        s3PutsPerRound: workers + 2,
      });
    }
  });
});
