import { describe, expect, it } from 'vitest';
import {
  estimateCost,
  estimateRoundSeconds,
  estimateTime,
  memoryNeededMb,
  type Workload,
  workPerRound,
} from '../../../lib/planner/index.js';
import { simple } from './fixtures.js';

// n = 1e6 rows, d = 10, K = 1: one full-batch round is 1e7 row·features; 20 MB compressed.
const small: Workload = {
  rows: 1_000_000,
  features: 10,
  classes: 1,
  datasetBytes: 2e7,
  rounds: 10,
  algorithm: 'batch',
};

describe('Function: workPerRound / memoryNeededMb', () => {
  it('splits the rows of a step over the workers', () => {
    // batch, W=4: ⌈1e6/4⌉ × 10 = 2.5e6. minibatch B=1000, W=4: ⌈1000/4⌉ × 10 = 2500.
    // sgd, W=4: ⌈1/4⌉ = 1 row × 10 = 10. softmax K=3, localSteps 5, batch W=1: 1e6 × 10 × 3 × 5 = 1.5e8.
    expect(workPerRound(small, 4)).toBe(2_500_000);
    expect(workPerRound({ ...small, algorithm: 'minibatch', batchSize: 1000 }, 4)).toBe(2500);
    expect(workPerRound({ ...small, algorithm: 'sgd' }, 4)).toBe(10);
    expect(workPerRound({ ...small, classes: 3, localSteps: 5 }, 1)).toBe(1.5e8);
  });

  it('needs decoded float32 bytes × factor + baseline', () => {
    // W=1: 1e6 × 11 × 4 = 44e6 B = 41.9617 MiB; × 2 + 256 = 339.923 MB.
    expect(memoryNeededMb(small, 1, simple)).toBeCloseTo((44e6 / 1_048_576) * 2 + 256, 9);
    expect(memoryNeededMb(small, 1, simple)).toBeCloseTo(339.923, 3);
  });
});

describe('Function: estimateRoundSeconds', () => {
  it('lambda ×2 @ 1024 MB: overhead + aggregator + compute + shard load', () => {
    // v = 1024/1024 = 1; compute = 5e5 × 10 / 1e8 = 0.05 s; load = 2e7 / 2 / 1e8 = 0.1 s;
    // round = 0.1 + 2 × 0.01 + 0.05 + 0.1 = 0.27 s; wall = 1 (start) + 10 × 0.27 = 3.7 s.
    const p = { kind: 'lambda', workers: 2, memoryMb: 1024 } as const;
    expect(estimateRoundSeconds(small, p, simple)).toBeCloseTo(0.27, 12);
    expect(estimateTime(small, p, simple).wallSeconds).toBeCloseTo(3.7, 12);
    // one invocation = io 0.05 + load 0.1 + compute 0.05 = 0.2 s
    expect(estimateTime(small, p, simple).invocationSeconds).toBeCloseTo(0.2, 12);
  });

  it('a warm shard cache moves only the first load out of the rounds', () => {
    // h = 0.5: round = 0.1 + 0.02 + 0.05 + 0.5 × 0.1 = 0.22; start = 1 + 0.5 × 0.1 = 1.05;
    // wall = 1.05 + 2.2 = 3.25 = 1 + 10 × 0.17 + (1 + 9 × 0.5) × 0.1 loads.
    const p = { kind: 'lambda', workers: 2, memoryMb: 1024 } as const;
    const t = estimateTime(small, p, { ...simple, shardCacheHitRate: 0.5 });
    expect(t.roundSeconds).toBeCloseTo(0.22, 12);
    expect(t.wallSeconds).toBeCloseTo(3.25, 12);
  });

  it('in-process uses min(memory/MB-per-vCPU, threads) vCPUs', () => {
    // 2048 MB → 2 vCPU but threads = 1: 1e7 / 1e8 = 0.1 s; threads = 4: 1e7 / 2e8 = 0.05 s.
    // 512 MB → 0.5 vCPU: 0.2 s.
    expect(estimateRoundSeconds(small, { kind: 'in-process', memoryMb: 2048 }, simple)).toBeCloseTo(0.1, 12);
    expect(
      estimateRoundSeconds(
        small,
        { kind: 'in-process', memoryMb: 2048 },
        { ...simple, threadsPerProcess: 4 },
      ),
    ).toBeCloseTo(0.05, 12);
    expect(estimateRoundSeconds(small, { kind: 'in-process', memoryMb: 512 }, simple)).toBeCloseTo(0.2, 12);
  });

  it('batch-gpu runs at GPU speed when the data fits on the GPU, else at stream speed', () => {
    // fits: 44e6 × 2 = 88e6 B ≤ 1024 MiB → 1e7 / 1e10 = 0.001 s; wall = 100 + 2e7/1e8 + 10 × 0.001 = 100.21 s.
    const p = { kind: 'batch-gpu', instanceType: 'gpu.test', spot: false } as const;
    expect(estimateRoundSeconds(small, p, simple)).toBeCloseTo(0.001, 12);
    expect(estimateTime(small, p, simple).wallSeconds).toBeCloseTo(100.21, 10);
    // 64 MiB GPU = 67.1e6 B < 88e6 B → min(1e10, 1e8) = 1e8 → 0.1 s per round.
    const tiny = { ...simple, batchInstances: [{ ...simple.batchInstances[0]!, gpuMemoryMb: 64 }] };
    expect(estimateRoundSeconds(small, p, tiny)).toBeCloseTo(0.1, 12);
  });
});

describe('Function: estimateCost', () => {
  it('lambda ×2 @ 1024 MB, 10 rounds, by line item', () => {
    // workers: 2 × [10 × (0.05 + 0.05) + 10 loads × 0.1] = 2 × 2 s = 4 GB-s (1 GB each);
    // aggregator: 10 × (0.05 + 2 × 0.01) = 0.7 GB-s → 4.7 GB-s × 1e-5 = 4.7e-5 $.
    // requests: 10 × (2 + 1) × 2e-7 = 6e-6. SQS: 10 × 3 × 2 × (0.4 + 0.5)/1e6 = 5.4e-5.
    // S3: GET 10 × 2 × 2 + 10 × 2 = 60 × 4e-7 = 2.4e-5; PUT 10 × (2 + 2) = 40 × 5e-6 = 2e-4 → 2.24e-4.
    // total = 4.7e-5 + 6e-6 + 5.4e-5 + 2.24e-4 = 3.31e-4.
    const c = estimateCost(small, { kind: 'lambda', workers: 2, memoryMb: 1024 }, simple);
    expect(c.lambdaUsd).toBeCloseTo(4.7e-5, 15);
    expect(c.requestUsd).toBeCloseTo(6e-6, 15);
    expect(c.sqsUsd).toBeCloseTo(5.4e-5, 15);
    expect(c.s3Usd).toBeCloseTo(2.24e-4, 15);
    expect(c.instanceUsd).toBe(0);
    expect(c.totalUsd).toBeCloseTo(3.31e-4, 15);
  });

  it('in-process on a 2048 MB Lambda bills load + all rounds, not the start', () => {
    // (0.2 load + 10 × 0.1) s × 2 GB = 2.4 GB-s × 1e-5 = 2.4e-5; + 2e-7 request + 4e-7 GET + 5e-6 PUT = 2.96e-5.
    const c = estimateCost(small, { kind: 'in-process', memoryMb: 2048 }, simple);
    expect(c.totalUsd).toBeCloseTo(2.96e-5, 15);
  });

  it('in-process on a host bills its hourly price over the wall time', () => {
    // host: 2 vCPU (threads 1 → 1): 0.2 s load + 10 × 0.1 s = 1.2 s (no Lambda start) × 36 $/h / 3600 = 0.012;
    // + S3 4e-7 + 5e-6.
    const host = {
      label: 'laptop',
      vcpus: 2,
      memoryMb: 8192,
      usdPerHour: 36,
      maxSeconds: Number.POSITIVE_INFINITY,
    };
    const c = estimateCost(small, { kind: 'in-process' }, { ...simple, inProcessHost: host });
    expect(c.instanceUsd).toBeCloseTo(0.012, 12);
    expect(c.totalUsd).toBeCloseTo(0.0120054, 12);
  });

  it('batch-gpu bills the whole wall time, start-up included, at on-demand or spot price', () => {
    // wall 100.21 s: on-demand 100.21/3600 × 3.6 = 0.10021; spot × 0.36 = 0.010021; + S3 5.4e-6 each.
    const onDemand = estimateCost(
      small,
      { kind: 'batch-gpu', instanceType: 'gpu.test', spot: false },
      simple,
    );
    const spot = estimateCost(small, { kind: 'batch-gpu', instanceType: 'gpu.test', spot: true }, simple);
    expect(onDemand.totalUsd).toBeCloseTo(0.1002154, 12);
    expect(spot.totalUsd).toBeCloseTo(0.0100264, 12);
  });
});
