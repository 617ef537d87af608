import { describe, expect, it } from 'vitest';
import {
  type CostModel,
  calibrateMlp,
  chooseLocalPlacement,
  costModelForHost,
  DEFAULT_COST_MODEL,
  estimateTime,
  type KernelCalibration,
  type LocalFigures,
  type LocalMachine,
  modelRowWork,
  rowWorkOf,
  type Workload,
  workPerRound,
} from '../../../lib/planner/index.js';

/** The network: 64 inputs → 128 → 64 → 10 classes. */
const mlpSpec = {
  kind: 'mlp' as const,
  numFeatures: 64,
  numClasses: 10,
  hidden: [128, 64],
  head: 'softmax' as const,
};
// By hand: weights 64·128 = 8192, 128·64 = 8192, 64·10 = 640 → 17 024; forward + backward ≈ 3×.
const MLP_ROW_WORK = 3 * (8192 + 8192 + 640); // 51 072

const mlpJob = (rows: number, rounds: number, workFactor = 1): Workload => ({
  rows,
  features: 64,
  classes: 10,
  datasetBytes: 1e6,
  rounds,
  algorithm: 'batch',
  workFactor,
  rowWork: MLP_ROW_WORK,
  kernel: 'mlp',
});

describe('Function: modelRowWork', () => {
  it('counts d for linear/logistic, d·K for softmax and ≈ 3 × the weights for an MLP', () => {
    expect(modelRowWork({ kind: 'linear', numFeatures: 64 })).toBe(64);
    expect(modelRowWork({ kind: 'logistic', numFeatures: 64 })).toBe(64);
    expect(modelRowWork({ kind: 'softmax', numFeatures: 64, numClasses: 10 })).toBe(640);
    expect(modelRowWork(mlpSpec)).toBe(51_072);
  });

  it('sets the work of a round: rows × rowWork × workFactor, and d × K when rowWork is absent', () => {
    const w = mlpJob(1000, 30, 4);
    expect(rowWorkOf(w)).toBe(51_072);
    expect(workPerRound(w, 1)).toBe(1000 * 51_072 * 4);
    expect(workPerRound(w, 4)).toBe(250 * 51_072 * 4);
    const { rowWork: _r, kernel: _k, ...linear } = w;
    expect(workPerRound(linear, 1)).toBe(1000 * 64 * 10 * 4);
  });
});

describe('Function: estimateTime (MLP)', () => {
  it('prices an MLP in-process at the host’s calibrated MLP rate, not the linear kernel’s', () => {
    // Prepare: linear kernel 4e8 rows·features/s, MLP kernel 5.1072e8 multiply-adds/s here.
    const linearCal = calibration('wasm-simd', 4e8);
    const mlpCal = calibration('mlp-float64', 5.1072e8);
    const cost = costModelForHost(linearCal, { label: 'laptop', memoryMb: 8192 }, DEFAULT_COST_MODEL, mlpCal);
    const job = mlpJob(1000, 30);

    // Act
    const t = estimateTime(job, { kind: 'in-process' }, cost);

    // Assess: one round = 1000 rows × 51 072 / 5.1072e8 = 0.1 s; load = 1e6 B / 90e6 B/s;
    // wall = load + 30 × 0.1 = 3 s + load.
    const load = 1e6 / DEFAULT_COST_MODEL.lambdaS3BytesPerSecond;
    expect(t.computeSeconds).toBeCloseTo(0.1, 12);
    expect(t.wallSeconds).toBeCloseTo(load + 3, 9);
  });

  it('runs an MLP on one vCPU of a Lambda: min(v, 1) × the per-vCPU MLP rate', () => {
    const cost: CostModel = {
      ...DEFAULT_COST_MODEL,
      threadsPerProcess: 6,
      rowFeaturesPerVcpuSecond: 1e9,
      mlpWorkPerVcpuSecond: 1e8,
    };
    // 3538 MB = 2 vCPUs: the linear kernel would use both (2e9/s); the MLP kernel one (1e8/s).
    const t = estimateTime(mlpJob(1000, 1), { kind: 'in-process', memoryMb: 3538 }, cost);
    expect(t.computeSeconds).toBeCloseTo((1000 * 51_072) / 1e8, 12);
    // 885 MB ≈ half a vCPU: the rate halves.
    const half = estimateTime(mlpJob(1000, 1), { kind: 'in-process', memoryMb: 885 }, cost);
    expect(half.computeSeconds).toBeCloseTo((1000 * 51_072) / ((885 / 1769) * 1e8), 9);
  });
});

describe('Function: chooseLocalPlacement (MLP)', () => {
  const machine: LocalMachine = {
    rowFeaturesPerSecond: 1e9,
    kernel: 'wasm-simd',
    mlpWorkPerSecond: 4e8,
    memoryMb: 16_384,
    workerThreads: 2,
  };
  const figures: LocalFigures = {
    processStartSeconds: 1,
    cloudStartSeconds: 1,
    roundOverheadSeconds: 0.01,
    loadBytesPerSecond: 1e8,
    memoryFactor: 2,
    runtimeBaselineMb: 256,
  };

  it('sends a large MLP job to the checkpointed Batch child, where d × 1 kept it in-process', () => {
    // Prepare: 100 000 rows, L-BFGS (30 rounds, four trial points: workFactor 4).
    const job = mlpJob(100_000, 30, 4);
    const { rowWork: _r, kernel: _k, ...asLinear } = job;
    const oldView = { ...asLinear, classes: 1 }; // the old view of an MLP: d × 1 per row

    // Act
    const before = chooseLocalPlacement(oldView, 4, machine, {}, figures);
    const after = chooseLocalPlacement(job, 4, machine, {}, figures);

    // Assess — old: 100 000 × 64 × 4 / 1e9 = 0.0256 s a round, 30 rounds + 0.01 s load ≈ 0.78 s.
    expect(before.summary.placement).toBe('inprocess');
    expect(before.summary.seconds).toBeCloseTo(0.01 + 30 * 0.0256, 9);
    // New: 100 000 × 51 072 × 4 / 4e8 = 51.072 s a round → in-process 0.01 + 1532.16 s, over the
    // 600 s limit; batch = 1 + that = 1533.17 s; local cloud ×4 on 2 threads = 1 + 0.01 +
    // 30 × (0.01 + 2 × 25 000 × 51 072 × 4 / 2e8) = 1533.47 s. So batch.
    const by = Object.fromEntries(after.candidates.map((c) => [c.placement, c]));
    expect(by.inprocess!.seconds).toBeCloseTo(0.01 + 1532.16, 6);
    expect(by.inprocess!.rejection).toMatch(/over the 10.0 min/);
    expect(by.batch!.seconds).toBeCloseTo(1533.17, 6);
    expect(by.lambda!.seconds).toBeCloseTo(1 + 0.01 + 30 * (0.01 + 51.072), 6);
    expect(after.summary.placement).toBe('batch');
  });
});

describe('Function: calibrateMlp', () => {
  it('divides the multiply-adds computed by the time taken', () => {
    // Clock +10 ms a reading, minSeconds 0.05 → 5 passes of 64 rows of the 64 → 64 → 10 network:
    // 3 × (64·64 + 64·10) = 14 208 multiply-adds a row → 5 × 64 × 14 208 / 0.05 s.
    let t = 0;
    const cal = calibrateMlp({ rows: 64, minSeconds: 0.05, clock: () => (t += 10), machine: 'm' });
    expect(cal).toMatchObject({ kernel: 'mlp-float64', machine: 'm', repetitions: 5, seconds: 0.05 });
    expect(cal.rowFeaturesPerSecond).toBeCloseTo((5 * 64 * 14_208) / 0.05, 3);
  });
});

function calibration(kernel: string, rate: number): KernelCalibration {
  return {
    v: 1,
    kernel,
    machine: 'm',
    rows: 1,
    features: 1,
    repetitions: 1,
    seconds: 1,
    rowFeaturesPerSecond: rate,
    measuredAt: '2026-12-02T00:00:00.000Z',
  };
}
