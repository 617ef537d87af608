import { describe, expect, it } from 'vitest';
import {
  type CostModel,
  choosePlacement,
  costModelForHost,
  DEFAULT_COST_MODEL,
  type KernelCalibration,
  lambdaRowFeaturesPerSecond,
  PUBLISHED,
  type Workload,
} from '../../../lib/planner/index.js';

/** Every figure written out, so the arithmetic below can be redone by hand. */
const cost: CostModel = {
  lambdaUsdPerGbSecond: 0.0000133334,
  lambdaUsdPerRequest: 2e-7,
  sqsStandardUsdPerMillion: 0.4,
  sqsFifoUsdPerMillion: 0.5,
  s3GetUsdPer1000: 0.0004,
  s3PutUsdPer1000: 0.005,
  lambdaMbPerVcpu: 1769,
  lambdaMaxVcpus: 6,
  lambdaMaxSeconds: 900,
  lambdaStartSeconds: 1,
  threadsPerProcess: 1,
  rowFeaturesPerVcpuSecond: 1e8,
  mlpWorkPerVcpuSecond: 1e8,
  lambdaS3BytesPerSecond: 1e8,
  shardCacheHitRate: 1, // warm workers keep their shard: it loads once
  roundOverheadSeconds: 0.25,
  workerIoSeconds: 0.05,
  aggregatorSecondsPerRound: 0.05,
  aggregatorSecondsPerWorker: 0.015,
  aggregatorMemoryMb: 1024,
  memoryFactor: 2,
  runtimeBaselineMb: 256,
  batchStartSeconds: 180,
  batchS3BytesPerSecond: 1e8,
  streamRowFeaturesPerSecond: 2.5e8,
  batchInstances: [
    {
      instanceType: 'g4dn.xlarge',
      onDemandUsdPerHour: 0.526,
      spotUsdPerHour: 0.18,
      gpuMemoryMb: 16_384,
      gpuRowFeaturesPerSecond: 2e10,
    },
  ],
};

/** This machine measured 4e8 rows·features/s: 4 effective vCPUs at the model's 1e8 each. */
const calibration: KernelCalibration = {
  v: 1,
  kernel: 'wasm-simd',
  machine: 'test',
  rows: 16384,
  features: 32,
  repetitions: 100,
  seconds: 0.13,
  rowFeaturesPerSecond: 4e8,
  measuredAt: '2026-12-02T00:00:00.000Z',
};
const here = costModelForHost(calibration, { label: 'laptop', memoryMb: 8192 }, cost);
const policy = { deadlineSeconds: 600, maxWorkers: 32, lambdaMemoryOptionsMb: [1769], allowSpot: true };
const get = 0.0004 / 1000;
const put = 0.005 / 1000;

describe('Function: choosePlacement', () => {
  it('keeps a small L-BFGS job in this process', () => {
    // Prepare: 10,000 rows × 10 features, logistic, L-BFGS: 30 rounds of 4 gradient evaluations.
    const small: Workload = {
      rows: 10_000,
      features: 10,
      classes: 1,
      datasetBytes: 200_000,
      rounds: 30,
      algorithm: 'batch',
      workFactor: 4,
    };

    // Act
    const { summary, candidates } = choosePlacement(small, here, policy);

    // Assess: a round is 10,000·10·4 = 4e5 multiply-adds at 4e8/s = 1 ms; loading 2e5 B at 1e8 B/s
    // = 2 ms; wall = 0.002 + 30 × 0.001 = 0.032 s. Cost: $0/h, plus one GET and one PUT.
    expect(summary.placement).toBe('inprocess');
    expect(summary.seconds).toBeCloseTo(0.032, 9);
    expect(summary.dollars).toBeCloseTo(get + put, 12);
    expect(summary.reason).toMatch(/^in-process is the cheapest of \d+ feasible placements/);
    // Lambda ×1 pays at least its requests, 30 rounds × 2 invocations × $2e-7 = $1.2e-5 > $5.4e-6.
    const lambda1 = candidates.find((c) => c.placement === 'lambda' && c.workers === 1)!;
    expect(lambda1.dollars).toBeGreaterThan(30 * 2 * 2e-7);
  });

  it('sends a medium job that does not fit here to a Lambda fan-out', () => {
    // Prepare: linear regression on 60M rows × 20 features by the normal equations: one round;
    // each row adds p(p+1)/2 + p = 21·22/2 + 21 = 252 products (p = d + 1 = 21): factor 252/20.
    const medium: Workload = {
      rows: 60_000_000,
      features: 20,
      classes: 1,
      datasetBytes: 2.5e9,
      rounds: 1,
      algorithm: 'batch',
      workFactor: 252 / 20,
    };

    // Act
    const { summary, candidates } = choosePlacement(medium, here, policy);

    // Assess: in-process needs 60e6·21·4 B = 5.04e9 B = 4806.5 MB, ×2 + 256 = 9869 MB > 8192 MB.
    const inProcess = candidates.find((c) => c.placement === 'inprocess')!;
    expect(inProcess.rejection).toMatch(/needs 9870 MB, more than 8192 MB/);
    // Lambda ×4 @ 1769 MB: 15e6·84 B = 1201.6 MB ×2 + 256 = 2659 MB > 1769 MB: rejected; ×8 fits (1458 MB).
    expect(candidates.find((c) => c.workers === 4)!.rejection).toMatch(/more than 1769 MB/);
    // Lambda ×8: compute = 7.5e6·20·12.6 / 1e8 = 18.9 s; load = 2.5e9/8/1e8 = 3.125 s;
    // round = 0.25 + 8·0.015 + 18.9 = 19.27 s; wall = (1 + 3.125) + 19.27 = 23.395 s.
    expect(summary.placement).toBe('lambda');
    expect(summary.workers).toBe(8);
    expect(summary.seconds).toBeCloseTo(23.395, 9);
    // GB-s = [8 workers × (0.05 + 18.9 + 3.125) s × 1769 MB + (0.05 + 8·0.015) s × 1024 MB] / 1024
    //      = (312,405.4 + 174.08) / 1024 = 305.25340 GB-s → × $1.33334e-5;
    // requests 9 × 2e-7; SQS 3·8 × (0.4 + 0.5)/1e6; S3 (2·8 + 8) GETs + (8 + 2) PUTs.
    const dollars = (312_579.48 / 1024) * 0.0000133334 + 9 * 2e-7 + (24 * 0.9) / 1e6 + 24 * get + 10 * put;
    expect(summary.dollars).toBeCloseTo(dollars, 12);
    // Batch on Spot: (180 + 2.5e9/1e8 + 60e6·252/2e10) s = 205.756 s × $0.18/h = $0.01029: dearer.
    const spot = candidates.find((c) => c.placement === 'batch' && c.spot === true)!;
    expect(spot.seconds).toBeCloseTo(205.756, 9);
    expect(spot.dollars).toBeCloseTo((205.756 / 3600) * 0.18 + get + put, 12);
    expect(spot.dollars).toBeGreaterThan(summary.dollars);
  });

  it('sends a large GPU-heavy job to Batch', () => {
    // Prepare: softmax, 10 classes, 10M rows × 200 features, L-BFGS (30 rounds × 4 evaluations).
    const large: Workload = {
      rows: 10_000_000,
      features: 200,
      classes: 10,
      datasetBytes: 4e9,
      rounds: 30,
      algorithm: 'batch',
      workFactor: 4,
    };

    // Act
    const { summary, candidates } = choosePlacement(large, here, policy);

    // Assess: Lambda ×16 (the fewest that fit: 625,000·804 B = 479 MB ×2 + 256 = 1215 MB) computes
    // 625,000·200·10·4 / 1e8 = 50 s a round: wall = (1 + 2.5) + 30 × (0.25 + 16·0.015 + 50) = 1518.2 s;
    // ×32: (1 + 1.25) + 30 × (0.25 + 32·0.015 + 25) = 774.15 s — both miss the 600 s deadline.
    const lambda = candidates.filter((c) => c.placement === 'lambda' && c.rejection === null);
    expect(lambda.map((c) => [c.workers, c.meetsDeadline])).toEqual([
      [16, false],
      [32, false],
    ]);
    expect(lambda[0]!.seconds).toBeCloseTo(1518.2, 9);
    expect(lambda[1]!.seconds).toBeCloseTo(774.15, 9);
    // Batch: 8.04e9 B × 2 fits in 16 GiB of GPU memory, so 2e10/s: 8e10 / 2e10 = 4 s a round;
    // wall = 180 + 4e9/1e8 + 30 × 4 = 340 s; Spot 340/3600 × $0.18 = $0.017 (on-demand $0.0497).
    expect(summary.placement).toBe('batch');
    expect(summary.label).toBe('batch-gpu g4dn.xlarge (spot)');
    expect(summary.seconds).toBeCloseTo(340, 9);
    expect(summary.dollars).toBeCloseTo((340 / 3600) * 0.18 + get + put, 12);
    expect(summary.reason).toMatch(/cheapest of 2 feasible placements that finish within the 10\.0 min/);
  });
});

describe('Function: costModelForHost', () => {
  it('turns the measured rate into effective vCPUs of the in-process host', () => {
    // 4e8 / 1e8 = 4 vCPUs; threads cover Lambda's 6 vCPUs too.
    expect(here.inProcessHost).toEqual({
      label: 'laptop (wasm-simd)',
      vcpus: 4,
      memoryMb: 8192,
      usdPerHour: 0,
      maxSeconds: 86_400,
    });
    expect(here.threadsPerProcess).toBe(6);
  });
});

describe('Function: lambdaRowFeaturesPerSecond', () => {
  it('scales with memory: one vCPU per 1769 MB', () => {
    expect(lambdaRowFeaturesPerSecond(1769, cost)).toBeCloseTo(1e8, 6);
    expect(lambdaRowFeaturesPerSecond(3538, cost)).toBeCloseTo(2e8, 6);
    // 10,240 / 1769 = 5.789 vCPUs (the 6-vCPU cap is not reached by the proportional rule)
    expect(lambdaRowFeaturesPerSecond(10_240, cost)).toBeCloseTo((10_240 / 1769) * 1e8, 6);
  });
});

describe('Constant: PUBLISHED', () => {
  it('holds the same prices and limits as the default cost model', () => {
    const m = DEFAULT_COST_MODEL;
    expect(m.lambdaUsdPerGbSecond).toBe(PUBLISHED.lambda.usdPerGbSecondArm);
    expect(m.lambdaUsdPerRequest).toBe(PUBLISHED.lambda.usdPerRequest);
    expect(m.lambdaMbPerVcpu).toBe(PUBLISHED.lambda.mbPerVcpu);
    expect(m.lambdaMaxVcpus).toBe(PUBLISHED.lambda.maxVcpus);
    expect(m.lambdaMaxSeconds).toBe(PUBLISHED.lambda.maxSeconds);
    expect(m.sqsStandardUsdPerMillion).toBe(PUBLISHED.sqs.standardUsdPerMillion);
    expect(m.sqsFifoUsdPerMillion).toBe(PUBLISHED.sqs.fifoUsdPerMillion);
    expect(m.s3GetUsdPer1000).toBe(PUBLISHED.s3.getUsdPer1000);
    expect(m.s3PutUsdPer1000).toBe(PUBLISHED.s3.putUsdPer1000);
    expect(m.batchStartSeconds).toBe(PUBLISHED.batch.startSeconds);
    for (const i of m.batchInstances) {
      const type = i.instanceType as keyof typeof PUBLISHED.batch.onDemandUsdPerHour;
      expect(i.onDemandUsdPerHour).toBe(PUBLISHED.batch.onDemandUsdPerHour[type]);
      expect(i.spotUsdPerHour).toBe(PUBLISHED.batch.spotUsdPerHour[type]);
    }
  });
});
