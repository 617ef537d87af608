import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import {
  type PlacementConstraints,
  type PlacementInput,
  planJobPlacement as planWith,
  type Workload,
  withCostModel,
} from '../../../lib/planner/index.js';
import { simple } from './fixtures.js';

/**
 * The published prices and throughputs with coordination figures pinned for every W, so the
 * arithmetic below is the planner's choice alone (the per-W AWS latency model has its own tests in
 * round-latency.test.ts): 0.2193 s + 0.015 s × W a round, 0.06 s of a worker's own S3 calls, 2W S3
 * GETs and W + 2 PUTs a round.
 */
const pinned = withCostModel({
  roundOverheadSeconds: 0.2193,
  aggregatorSecondsPerWorker: 0.015,
  workerIoSeconds: 0.06,
});
const planJobPlacement = (input: PlacementInput) => planWith({ costModel: pinned, ...input });

const memory = [512, 1024, 1769, 2048, 3008, 4096, 6144, 8192, 10240];
const open: PlacementConstraints = { maxWorkers: 1000, lambdaMemoryOptionsMb: memory, preferCheapest: true };
const tiny: Workload = {
  rows: 10_000,
  features: 10,
  classes: 1,
  datasetBytes: 300_000,
  rounds: 100,
  algorithm: 'batch',
};
// 5M × 64, full batch: 3.2e8 row·features per round; ~1 GB compressed.
const medium: Workload = {
  rows: 5_000_000,
  features: 64,
  classes: 1,
  datasetBytes: 1e9,
  rounds: 200,
  algorithm: 'batch',
};
const huge: Workload = {
  rows: 500_000_000,
  features: 256,
  classes: 1,
  datasetBytes: 4e11,
  rounds: 2000,
  algorithm: 'batch',
};

describe('Function: planJobPlacement', () => {
  it('runs tiny data in-process on the smallest Lambda', () => {
    // Prepare: 512 MB → 512/1769 vCPU; 100 × 1e5 / (0.28943 × 1.5e8) = 0.230338 s + 3e5/9e7 = 0.003333 s load
    // = 0.233672 s billed × 0.5 GB × 1.33334e-5 = 1.5578e-6, + 2e-7 request + 4e-7 GET + 5e-6 PUT = 7.1578e-6 $.
    // Batch spot alone pays 180 s × 0.18 $/h = 0.009 $; every lambda round pays ≥ 3 PUTs = 1.5e-5 $.
    // Act
    const d = planJobPlacement({ ...tiny, constraints: open });
    // Assess
    expect(d.placement).toEqual({ kind: 'in-process', memoryMb: 512 });
    expect(d.costUsd).toBeCloseTo(7.1578e-6, 9);
    expect(d.wallSeconds).toBeCloseTo(1.233672, 5);
    expect(d.reason).toContain('in-process');
  });

  it('sends a medium job without a deadline to Batch spot: its start-up is cheaper than Lambda compute', () => {
    // g4dn spot: 180 + 1e9/3e8 + 200 × 3.2e8/2e10 = 180 + 3.3333 + 3.2 = 186.533 s × 0.18/3600 = 0.0093267 + 5.4e-6.
    // In-process @3008 MB (1 vCPU): 1 + 11.111 + 200 × 2.1333 = 438.78 s, 437.78 s × 2.9375 GB × 1.33334e-5 ≈ 0.0172.
    const d = planJobPlacement({ ...medium, constraints: open });
    expect(d.placement).toEqual({ kind: 'batch-gpu', instanceType: 'g4dn.xlarge', spot: true });
    expect(d.costUsd).toBeCloseTo(0.0093321, 6);
    const inProcess = d.candidates.find((c) => c.label === 'in-process (Lambda @ 3008 MB)')!;
    expect(inProcess.wallSeconds).toBeCloseTo(438.78, 1);
  });

  it('fans a medium job out over Lambda when the deadline excludes the Batch start-up', () => {
    // Prepare: 100 rounds, deadline 150 s. Batch: ≥ 180 s start-up; in-process @3008 MB:
    // 1 + 11.111 + 100 × 2.1333 = 225.4 s. Per-round coordination (pinned above):
    // 0.2193 s + 0.015 s × W; a worker's own S3 calls 0.06 s.
    // lambda ×16 @ 1024 MB (v = 1024/1769 = 0.578858): compute 312500 × 64 / (v × 1.5e8) = 0.230339 s,
    // load 1e9/16/9e7 = 0.694444 s, round = 0.2193 + 16 × 0.015 + 0.230339 + 0.694444 = 1.384083 s
    // → wall 1 + 100 × 1.384083 = 139.408 s.
    // cost: workers 16 × [100 × (0.06 + 0.230339) + 100 × 0.694444] = 1575.65 GB-s, aggregator
    // 100 × (0.05 + 16 × 0.015) = 29 GB-s → 1604.65 × 1.33334e-5 = 0.0213955; requests 100 × 17 × 2e-7
    // = 0.00034; SQS 100 × 48 × 0.9e-6 = 0.00432; S3 4800 GET × 4e-7 + 1800 PUT × 5e-6 = 0.01092
    // → 0.0369755 $.
    // Cheaper ones miss the deadline: ×16 @ 512 MB rounds in 0.2193 + 0.24 + 0.460677 + 0.694444
    // = 1.614421 s (162.4 s); ×8 @ 1024 MB (512 MB cannot hold its partition) in 0.2193 + 0.12 +
    // 0.460677 + 1.388889 = 2.188866 s (219.9 s). ×32 @ 512 MB makes it (128.7 s) but pays 32 workers'
    // requests, messages, PUTs and result reads: 0.044448 $.
    const job = { ...medium, rounds: 100 };
    // Act
    const d = planJobPlacement({ ...job, constraints: { ...open, deadlineSeconds: 150 } });
    // Assess
    expect(d.placement).toEqual({ kind: 'lambda', workers: 16, memoryMb: 1024 });
    expect(d.wallSeconds).toBeCloseTo(139.408, 2);
    expect(d.costUsd).toBeCloseTo(0.0369755, 6);
    const lambda = (workers: number, memoryMb: number) =>
      d.candidates.find(
        (c) =>
          c.placement.kind === 'lambda' &&
          c.placement.workers === workers &&
          c.placement.memoryMb === memoryMb,
      )!;
    expect(lambda(16, 512).wallSeconds).toBeCloseTo(162.442, 2);
    expect(lambda(16, 512).meetsDeadline).toBe(false);
    expect(lambda(32, 512).costUsd).toBeCloseTo(0.044448, 5);
    for (const c of d.candidates.filter((x) => x.placement.kind === 'batch-gpu')) {
      expect(c.rejection).toBeNull();
      expect(c.wallSeconds).toBeGreaterThan(180);
      expect(c.meetsDeadline).toBe(false);
    }
    expect(d.reason).toMatch(/cheapest of \d+ feasible placements that finish within the 2\.5 min deadline/);
  });

  it('picks the fastest when preferCheapest is off, or when nothing meets the deadline', () => {
    // 100 rounds. One thread uses one vCPU, so from 1769 MB on every size computes as fast and the
    // tie goes to the cheapest, 1769 MB. Round = 0.2193 + 0.015·W + ⌈5e6/W⌉·64/1.5e8 + 1e9/(W·9e7):
    // ×16: 0.2193 + 0.24 + 312500 × 64 / 1.5e8 + 1e9/16/9e7 = 0.2193 + 0.24 + 0.133333 + 0.694444 = 1.287078;
    // ×32: 0.2193 + 0.48 + 0.066667 + 0.347222 = 1.113189 → wall 1 + 100 × 1.113189 = 112.319 s;
    // ×64: 0.2193 + 0.96 + 0.033333 + 0.173611 = 1.386244 (the aggregator's 15 ms per result read
    // outweighs the halved load). Batch g5: 180 + 1e9/3e8 + 100 × 3.2e8/3.5e10 = 184.248 s.
    const job = { ...medium, rounds: 100 };
    const fastest = planJobPlacement({ ...job, constraints: { ...open, preferCheapest: false } });
    const late = planJobPlacement({ ...job, constraints: { ...open, deadlineSeconds: 10 } });
    expect(fastest.placement).toEqual({ kind: 'lambda', workers: 32, memoryMb: 1769 });
    expect(fastest.wallSeconds).toBeCloseTo(112.319, 2);
    const g5 = fastest.candidates.find((c) => c.label === 'batch-gpu g5.xlarge (spot)')!;
    expect(g5.wallSeconds).toBeCloseTo(184.248, 2);
    expect(late.placement).toEqual(fastest.placement);
    expect(late.reason).toContain('none of');
  });

  it('sends a huge job to Batch: Lambda would pay for re-reading 400 GB every round', () => {
    // g4dn spot: 5e8 × 257 × 4 × 2 B ≫ 16 GiB → streamed at 2.5e8: 1.28e11/2.5e8 = 512 s per round;
    // wall = 180 + 4e11/3e8 + 2000 × 512 = 1 025 513.33 s → × 0.18/3600 = 51.2757 $ (+ 5.4e-6).
    // Lambda ×512 @ 3008 MB: 2000 rounds × 512 workers × ≥ 8.68 s shard load × 2.9375 GB × 1.33e-5 > 340 $.
    const d = planJobPlacement({ ...huge, constraints: open });
    expect(d.placement).toEqual({ kind: 'batch-gpu', instanceType: 'g4dn.xlarge', spot: true });
    expect(d.costUsd).toBeCloseTo(51.2757, 3);
    const lambdas = d.candidates.filter((c) => c.placement.kind === 'lambda' && c.rejection === null);
    expect(lambdas.map((c) => c.placement)).toContainEqual({ kind: 'lambda', workers: 512, memoryMb: 3008 });
    for (const c of lambdas) expect(c.costUsd).toBeGreaterThan(340);
  });

  it('adds workers until a partition fits the memory limit', () => {
    // Prepare: only 512 MB Lambdas. Need = ⌈5e6/W⌉ × 65 × 4 B / MiB × 2 + 256:
    // W=8: 625000 × 260 = 162.5e6 B = 154.97 MiB × 2 + 256 = 565.94 MB > 512; W=16: 77.49 × 2 + 256 = 410.97 ≤ 512.
    // Compute and load GB-s do not depend on W but per-worker requests, PUTs and the aggregator's
    // result reads grow with it, so the smallest W that fits is the cheapest: v = 512/1769 = 0.289429,
    // round = 0.2193 + 16 × 0.015 + 312500 × 64/(v × 1.5e8) + 1e9/16/9e7
    // = 0.2193 + 0.24 + 0.460677 + 0.694444 = 1.614421 → wall 1 + 200 × 1.614421 = 323.884 s.
    const constraints = {
      ...open,
      lambdaMemoryOptionsMb: [512],
      allowedKinds: ['in-process', 'lambda'] as const,
    };
    // Act
    const d = planJobPlacement({ ...medium, constraints });
    // Assess
    const lambda = (w: number) =>
      d.candidates.find((c) => c.placement.kind === 'lambda' && c.placement.workers === w);
    for (const w of [1, 2, 4, 8])
      expect(lambda(w)?.rejection).toMatch(/partition needs \d+ MB, more than 512 MB/);
    expect(lambda(8)?.memoryNeededMb).toBeCloseTo(565.944, 3);
    expect(lambda(16)?.memoryNeededMb).toBeCloseTo(410.972, 3);
    expect(d.candidates.find((c) => c.placement.kind === 'in-process')?.rejection).toMatch(/dataset needs/);
    expect(d.placement).toEqual({ kind: 'lambda', workers: 16, memoryMb: 512 });
    expect(d.wallSeconds).toBeCloseTo(323.884, 2);
  });

  it('rejects Lambda configurations whose invocation would exceed 900 s', () => {
    // simple model at 1e4 row·features/vCPU·s: W=1 computes 1e7 / 1e4 = 1000 s > 900;
    // W=2: 0.05 + 0.1 load + 500 s = 500.15 s.
    const w: Workload = {
      rows: 1_000_000,
      features: 10,
      classes: 1,
      datasetBytes: 2e7,
      rounds: 1,
      algorithm: 'batch',
    };
    const constraints = {
      maxWorkers: 2,
      lambdaMemoryOptionsMb: [1024],
      preferCheapest: true,
      allowedKinds: ['lambda'] as const,
    };
    const d = planJobPlacement({
      ...w,
      constraints,
      costModel: { ...simple, rowFeaturesPerVcpuSecond: 1e4 },
    });
    expect(d.candidates[0]?.rejection).toBe(
      'one worker invocation takes 1001 s, over the 900 s Lambda limit',
    );
    expect(d.placement).toEqual({ kind: 'lambda', workers: 2, memoryMb: 1024 });
  });

  it('throws UsageError for bad input or when nothing can run', () => {
    const cramped = {
      maxWorkers: 1,
      lambdaMemoryOptionsMb: [512],
      preferCheapest: true,
      allowedKinds: ['lambda'] as const,
    };
    expect(() => planJobPlacement({ ...medium, constraints: cramped })).toThrow(UsageError);
    expect(() => planJobPlacement({ ...medium, rows: 0, constraints: open })).toThrow(
      /rows must be a positive integer/,
    );
    expect(() => planJobPlacement({ ...medium, algorithm: 'minibatch', constraints: open })).toThrow(
      /batchSize/,
    );
    expect(() => planJobPlacement({ ...medium, constraints: { ...open, maxWorkers: 0 } })).toThrow(
      UsageError,
    );
  });
});
