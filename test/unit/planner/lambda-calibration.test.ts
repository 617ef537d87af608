import { describe, expect, it } from 'vitest';
import {
  choosePlacement,
  estimateTime,
  type LambdaCalibrationRecord,
  lambdaMeasuredRates,
  lambdaRateSource,
  type PlacementCandidate,
  type Workload,
  withCostModel,
  withLambdaMeasurements,
} from '../../../lib/planner/index.js';

/** Published figures written out: 1e8 rows·features per vCPU-second, one vCPU per 1769 MB. */
const published = withCostModel({
  rowFeaturesPerVcpuSecond: 1e8,
  mlpWorkPerVcpuSecond: 1e8,
  lambdaMbPerVcpu: 1769,
  lambdaMaxVcpus: 6,
  threadsPerProcess: 6, // the wasm kernel spreads over every vCPU
});

/** 1,000,000 rows × 10 features, full batch: W = 4 workers each do 250,000 × 10 = 2.5e6 per round. */
const w: Workload = {
  rows: 1_000_000,
  features: 10,
  classes: 1,
  datasetBytes: 0,
  rounds: 10,
  algorithm: 'batch',
};

const record = (over: Partial<LambdaCalibrationRecord>): LambdaCalibrationRecord => ({
  v: 1,
  kernel: 'linear',
  memoryMb: 1769,
  kernelName: 'wasm-simd',
  rows: 100_000,
  rowWork: 10,
  seconds: 0.02,
  workPerSecond: 5e7,
  measuredAt: '2026-12-01T10:00:00.000Z',
  jobId: 'j',
  ...over,
});

describe('Measured Lambda rates in the planner', () => {
  it('prices a 1769 MB lambda candidate at work / measured rate', () => {
    // Prepare: one record at 1769 MB: 1e6 multiply-adds in 0.02 s = 5e7/s (half the published 1e8)
    const cost = withLambdaMeasurements(published, lambdaMeasuredRates([record({})]));

    // Act
    const t = estimateTime(w, { kind: 'lambda', workers: 4, memoryMb: 1769 }, cost);

    // Assess: 2.5e6 / 5e7 = 0.05 s (published: 2.5e6 / 1e8 = 0.025 s)
    expect(t.computeSeconds).toBeCloseTo(0.05, 12);
    expect(lambdaRateSource(cost, 1769, 'linear')).toBe('measured at 1769 MB on 2026-12-01 (median of 1)');
  });

  it('falls back to the published figure without records, at other sizes and for the other kernel', () => {
    // Prepare
    const cost = withLambdaMeasurements(published, lambdaMeasuredRates([record({})]));

    // Act
    const none = estimateTime(w, { kind: 'lambda', workers: 4, memoryMb: 1769 }, published);
    const other = estimateTime(w, { kind: 'lambda', workers: 4, memoryMb: 3538 }, cost);
    const mlp = estimateTime(
      { ...w, kernel: 'mlp', rowWork: 10 },
      { kind: 'lambda', workers: 4, memoryMb: 1769 },
      cost,
    );

    // Assess: 1769 MB = 1 vCPU → 2.5e6 / 1e8; 3538 MB = 2 vCPUs → 2.5e6 / 2e8; the mlp on one thread → 2.5e6 / 1e8
    expect(none.computeSeconds).toBeCloseTo(0.025, 12);
    expect(other.computeSeconds).toBeCloseTo(0.0125, 12);
    expect(mlp.computeSeconds).toBeCloseTo(0.025, 12);
    expect(lambdaRateSource(published, 1769, 'linear')).toBe('published');
    expect(lambdaRateSource(cost, 3538, 'linear')).toBe('published');
    expect(withLambdaMeasurements(published, [])).toBe(published);
  });

  it('takes the median of the newest five records per memory size', () => {
    // Prepare: six records at 1769 MB; the oldest (rate 1) falls out of the window
    const rates = [1, 10, 20, 30, 40, 50].map((r, i) =>
      record({ workPerSecond: r * 1e6, measuredAt: `2026-11-0${i + 1}T00:00:00.000Z`, jobId: `j${i}` }),
    );

    // Act
    const [m] = lambdaMeasuredRates(rates);

    // Assess: median(10, 20, 30, 40, 50) × 1e6
    expect(m).toEqual({
      memoryMb: 1769,
      kernel: 'linear',
      workPerSecond: 30e6,
      count: 5,
      measuredAt: '2026-11-06T00:00:00.000Z',
    });
  });

  it('a slower measured rate makes the planner price the 1769 MB fan-out slower', () => {
    // Prepare
    const cost = withLambdaMeasurements(published, lambdaMeasuredRates([record({})]));
    const label = (c: PlacementCandidate) => c.label === 'lambda ×4 @ 1769 MB';

    // Act
    const before = choosePlacement(w, published).candidates.find(label);
    const after = choosePlacement(w, cost).candidates.find(label);

    // Assess: 10 rounds × (0.05 − 0.025) s more
    expect(before).toBeDefined();
    expect(after!.seconds - before!.seconds).toBeCloseTo(10 * 0.025, 9);
  });

  it('adds a measured size (the deployed worker size, 2048 MB) to the lambda candidates', () => {
    // Prepare
    const cost = withLambdaMeasurements(published, lambdaMeasuredRates([record({ memoryMb: 2048 })]));

    // Act
    const c = choosePlacement(w, cost).candidates.find((x) => x.label === 'lambda ×4 @ 2048 MB');

    // Assess: priced at the measured 5e7/s: 2.5e6 / 5e7 = 0.05 s of compute a round
    expect(c).toBeDefined();
    expect(choosePlacement(w, published).candidates.some((x) => x.label === 'lambda ×4 @ 2048 MB')).toBe(
      false,
    );
    const t = estimateTime(w, { kind: 'lambda', workers: 4, memoryMb: 2048 }, cost);
    expect(t.computeSeconds).toBeCloseTo(0.05, 12);
  });
});
