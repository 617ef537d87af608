import { describe, expect, it } from 'vitest';
import { ProtocolError, UsageError } from '../../../lib/errors.js';
import type { ShardResult, TrainConfig, TrainState } from '../../../lib/optim/index.js';
import {
  applyRound,
  computeTask,
  fit as fitModel,
  initTrainState,
  planRound,
  resolveTrainConfig,
  stepSelection,
  TypedArrayKernel,
} from '../../../lib/optim/index.js';
import { linearData, partition, standardise, toBatch } from './reference-solvers.js';

const kernel = new TypedArrayKernel();
const bits = (a: ArrayLike<number>) => Buffer.from(Float64Array.from(a).buffer);

function gradResult(round: number, p: number, gradSum: number[], lossSum: number, rows: number): ShardResult {
  return {
    v: 1,
    round,
    partition: p,
    step: 0,
    steps: 1,
    stepsPerEpoch: 1,
    kind: 'gradient',
    gradSum,
    lossSum,
    rows,
  };
}

describe('Function: resolveTrainConfig', () => {
  it('fills the documented defaults', () => {
    // linear d=4: lr = 1/(1·(4+1)) = .2; batch size = all rows
    const lin = resolveTrainConfig({ spec: { kind: 'linear', numFeatures: 4 } }, { rows: 1000 });
    expect(lin).toMatchObject({
      algorithm: 'batch',
      batchSize: 1000,
      optimizer: { kind: 'momentum', momentum: 0.9, nesterov: true },
      schedule: { kind: 'constant', lr: 0.2 },
      sync: 'gd',
      localSteps: 1,
      maxSteps: null,
      adaptiveRestart: true,
    });
    // logistic d=7: 1/(¼·8) = .5; softmax d=3, λ=1: 1/(½·4 + 1) = 1/3
    expect(resolveTrainConfig({ spec: { kind: 'logistic', numFeatures: 7 } }, { rows: 10 }).schedule.lr).toBe(
      0.5,
    );
    const soft = resolveTrainConfig(
      { spec: { kind: 'softmax', numFeatures: 3, numClasses: 3, l2: 1 } },
      { rows: 10 },
    );
    expect(soft.schedule.lr).toBeCloseTo(1 / 3, 15);
    // minibatch: B = min(256, 1000) = 256, T = ⌈1000/256⌉ = 4 steps, inverse-time power ½
    const mb = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 4 }, algorithm: 'minibatch' },
      { rows: 1000 },
    );
    expect(mb.batchSize).toBe(256);
    expect(mb.schedule).toEqual({ kind: 'inverse-time', lr: 0.2, decaySteps: 4, power: 0.5 });
    expect(mb.adaptiveRestart).toBe(false);
    // local-sgd: plain optimizer, K = 4; the result is plain JSON
    const loc = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 4 }, sync: 'local-sgd' },
      { rows: 10 },
    );
    expect(loc).toMatchObject({ optimizer: { kind: 'plain' }, localSteps: 4 });
    expect(JSON.parse(JSON.stringify(loc))).toEqual(loc);
  });

  it('keeps what the caller set and rejects nonsense', () => {
    const c = resolveTrainConfig(
      {
        spec: { kind: 'linear', numFeatures: 2 },
        learningRate: 0.01,
        schedule: { kind: 'step', everySteps: 3, factor: 0.5 },
      },
      { rows: 5 },
    );
    expect(c.schedule).toEqual({ kind: 'step', lr: 0.01, everySteps: 3, factor: 0.5 });
    expect(() =>
      resolveTrainConfig({ spec: { kind: 'linear', numFeatures: 2 }, maxEpochs: 0 }, { rows: 5 }),
    ).toThrow(UsageError);
    expect(() =>
      resolveTrainConfig({ spec: { kind: 'linear', numFeatures: 2 } }, { rows: 5, numFeatures: 3 }),
    ).toThrow(/features/);
  });
});

describe('Function: planRound', () => {
  it('splits the global batch over partitions and sizes the epoch by the largest', () => {
    // Prepare: B = 10, W = 3, rows [7, 12, 5] → local batch ⌈10/3⌉ = 4, steps/epoch ⌈12/4⌉ = 3
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, algorithm: 'minibatch', batchSize: 10 },
      { rows: 24 },
    );
    // Act
    const plan = planRound(config, initTrainState(config), [7, 12, 5]);
    // Assess
    expect(plan.tasks).toHaveLength(3);
    expect(plan.tasks[2]).toMatchObject({
      round: 0,
      partition: 2,
      partitionRows: 5,
      epoch: 0,
      step: 0,
      steps: 1,
    });
    expect(plan.tasks.every((t) => t.localBatch === 4 && t.stepsPerEpoch === 3)).toBe(true);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('gives batch one full pass per round and sgd one row per partition', () => {
    const spec = { kind: 'linear', numFeatures: 1 } as const;
    const b = resolveTrainConfig({ spec }, { rows: 10 });
    expect(planRound(b, initTrainState(b), [4, 6]).tasks[1]).toMatchObject({
      localBatch: 0,
      stepsPerEpoch: 1,
    });
    const s = resolveTrainConfig({ spec, algorithm: 'sgd' }, { rows: 10 });
    // ⌈1/2⌉ = 1 row per partition per step, ⌈6/1⌉ = 6 steps per epoch
    expect(planRound(s, initTrainState(s), [4, 6]).tasks[0]).toMatchObject({
      localBatch: 1,
      stepsPerEpoch: 6,
    });
  });

  it('refuses to plan past the end or with no rows', () => {
    const c = resolveTrainConfig({ spec: { kind: 'linear', numFeatures: 1 } }, { rows: 10 });
    const done: TrainState = { ...initTrainState(c), status: { status: 'done', reason: 'tol' } };
    expect(() => planRound(c, done, [10])).toThrow(ProtocolError);
    expect(() => planRound(c, initTrainState(c), [0, 0])).toThrow(UsageError);
  });
});

describe('Function: computeTask / stepSelection', () => {
  it('visits every row of a partition exactly once per epoch, empty once it runs out', () => {
    // Prepare: rows [7, 12, 5], local batch 4, 3 steps per epoch
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, algorithm: 'minibatch', batchSize: 10 },
      { rows: 24 },
    );
    const batch = toBatch(
      Array.from({ length: 5 }, (_, i) => [i]),
      Array.from({ length: 5 }, () => 0),
    );
    const task = planRound(config, initTrainState(config), [7, 12, 5]).tasks[2]!;
    // Act: steps 0, 1, 2 of partition 2 (5 rows): 4 rows, 1 row, 0 rows
    const sels = [0, 1, 2].map((s) => stepSelection(config, batch, task, s));
    // Assess
    expect(sels.map((s) => s.end - s.start)).toEqual([4, 1, 0]);
    const seen = sels.flatMap((s) => Array.from(s.indices!.subarray(s.start, s.end)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    const r = computeTask(config, new Float64Array(2), batch, { ...task, step: 2 }, kernel);
    expect(r).toMatchObject({ kind: 'gradient', rows: 0, lossSum: 0, gradSum: [0, 0] });
  });

  it('rejects a partition that is not the one planned', () => {
    const config = resolveTrainConfig({ spec: { kind: 'linear', numFeatures: 1 } }, { rows: 3 });
    const task = planRound(config, initTrainState(config), [3]).tasks[0]!;
    expect(() => computeTask(config, new Float64Array(2), toBatch([[1]], [1]), task, kernel)).toThrow(
      ProtocolError,
    );
  });
});

describe('Function: applyRound', () => {
  const base = (l2 = 0): TrainConfig =>
    resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1, l2 }, optimizer: { kind: 'plain' }, learningRate: 0.5 },
      { rows: 3 },
    );

  it('sums in partition order, divides by rows, adds L2 once, and leaves the input alone', () => {
    // Prepare: λ = 2. Round 0: gradSums [2, 4] (2 rows) + [1, −1] (1 row) → g = [3, 3]/3 = [1, 1];
    // loss = (3 + 0)/3 = 1; θ = 0 − .5·[1, 1] = [−.5, −.5]; ‖g‖ = √2
    const config = base(2);
    const s0 = initTrainState(config);
    const frozen = JSON.stringify(s0);
    // Act
    const s1 = applyRound(config, s0, [gradResult(0, 0, [2, 4], 3, 2), gradResult(0, 1, [1, -1], 0, 1)]);
    // Assess
    expect(JSON.stringify(s0)).toBe(frozen);
    expect(s1.params).toEqual([-0.5, -0.5]);
    expect(s1.history[0]).toEqual({ round: 0, epoch: 0, loss: 1, gradNorm: Math.SQRT2, lr: 0.5 });
    expect(s1).toMatchObject({ round: 1, epoch: 1, stepInEpoch: 0, status: { status: 'running' } });
    // Round 1, same sums: penalty (2/2)·(−.5)² = .25 → loss 1.25; g = [1, 1 + 2·(−.5)] = [1, 0]
    // θ = [−.5 − .5, −.5 − 0] = [−1, −.5]
    const s2 = applyRound(config, s1, [gradResult(1, 0, [2, 4], 3, 2), gradResult(1, 1, [1, -1], 0, 1)]);
    expect(s2.params).toEqual([-1, -0.5]);
    expect(s2.history[1]!.loss).toBe(1.25);
  });

  it('sums in partition order even where the float sum depends on the order', () => {
    // Prepare: 1e16 + 1 rounds to 1e16 (float spacing there is 2), so in partition order
    // (1e16 + 1) − 1e16 = 0, while any order that adds −1e16 before 1 gives 1.
    const config = base(0);
    const s0 = initTrainState(config);
    const results = [
      gradResult(0, 0, [1e16, 0], 0, 1),
      gradResult(0, 1, [1, 0], 0, 1),
      gradResult(0, 2, [-1e16, 0], 0, 1),
    ];
    // Act
    const s1 = applyRound(config, s0, results);
    // Assess: g = 0/3 = 0, so θ stays 0 (another order would give θ₀ = −0.5·⅓)
    expect(s1.params).toEqual([0, 0]);
    expect(s1.history[0]!.gradNorm).toBe(0);
  });

  it('applies the row-weighted mean delta in local-sgd (FedAvg with a plain server)', () => {
    // Δ̄ = (3·[1, 2] + 1·[4, −1]) / 4 = [7, 5]/4 = [1.75, 1.25]
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, sync: 'local-sgd', learningRate: 0.1 },
      { rows: 4 },
    );
    const d = (p: number, delta: number[], rows: number): ShardResult => ({
      ...gradResult(0, p, [], 0, rows),
      steps: 4,
      kind: 'delta',
      delta,
    });
    const s1 = applyRound(config, initTrainState(config), [d(0, [1, 2], 3), d(1, [4, -1], 1)]);
    expect(s1.params[0]).toBeCloseTo(1.75, 14);
    expect(s1.params[1]).toBeCloseTo(1.25, 14);
  });

  it('refuses results of another round, out of order, or after the end', () => {
    const config = base();
    const s0 = initTrainState(config);
    expect(() => applyRound(config, s0, [gradResult(1, 0, [0, 0], 0, 1)])).toThrow(/round 1/);
    expect(() =>
      applyRound(config, s0, [gradResult(0, 1, [0, 0], 0, 1), gradResult(0, 0, [0, 0], 0, 1)]),
    ).toThrow(/partition order/);
    expect(() => applyRound(config, s0, [gradResult(0, 0, [0], 0, 1)])).toThrow(ProtocolError);
    const done: TrainState = { ...s0, status: { status: 'done', reason: 'max-steps' } };
    expect(() => applyRound(config, done, [gradResult(0, 0, [0, 0], 0, 1)])).toThrow(ProtocolError);
  });
});

describe('Function: fit', () => {
  const data = linearData(7, 400, [1, -2, 0.5], 3, 0.5);
  const { z } = standardise(data.x);
  const spec = { kind: 'linear', numFeatures: 3 } as const;

  it('gives the same batch fit with 4 partitions as with 1, bit-identical run to run', () => {
    // Prepare
    const config = resolveTrainConfig({ spec, solver: 'gd', maxEpochs: 50 }, { rows: 400 });
    // Act
    const one = fitModel(config, [toBatch(z, data.y)]);
    const four = fitModel(config, partition(z, data.y, 4));
    const fourAgain = fitModel(config, partition(z, data.y, 4));
    // Assess: only the summation order differs between W=1 and W=4
    for (const [i, v] of one.params.entries()) expect(four.params[i]).toBeCloseTo(v, 10);
    expect(bits(four.params).equals(bits(fourAgain.params))).toBe(true);
    expect(JSON.stringify(four.state)).toBe(JSON.stringify(fourAgain.state));
  });

  it('resumes from a JSON round-trip of its state bit-identically (minibatch, W=3)', () => {
    // Prepare: 10 rounds, serialise, 10 more; versus 20 rounds straight
    const config = resolveTrainConfig(
      { spec, algorithm: 'minibatch', batchSize: 48, maxSteps: 20 },
      { rows: 400 },
    );
    const parts = partition(z, data.y, 3);
    const half = fitModel({ ...config, maxSteps: 10 }, parts);
    const revived = JSON.parse(JSON.stringify(half.state)) as TrainState;
    // Act
    const resumed = fitModel(config, parts, { state: { ...revived, status: { status: 'running' } } });
    const straight = fitModel(config, parts);
    // Assess
    expect(straight.state.status).toEqual({ status: 'done', reason: 'max-steps' });
    expect(bits(resumed.params).equals(bits(straight.params))).toBe(true);
    expect(resumed.state.round).toBe(20);
  });

  it.each([
    ['max-steps', { maxSteps: 3 }, 3],
    // minibatch B=100 on 400 rows: 4 steps per epoch, 2 epochs → 8 rounds
    ['max-epochs', { algorithm: 'minibatch', batchSize: 100, maxEpochs: 2 }, 8],
    // tol = 1: nothing counts as improvement; epoch 0 sets best, epochs 1, 2 count → stop after 3
    ['tol', { tol: 1, nIterNoChange: 2 }, 3],
  ] as const)('stops on %s', (reason, extra, rounds) => {
    const config = resolveTrainConfig({ spec, solver: 'gd', ...extra }, { rows: 400 });
    const r = fitModel(config, [toBatch(z, data.y)]);
    expect(r.state.status).toEqual({ status: 'done', reason });
    expect(r.rounds).toBe(rounds);
  });

  it('stops on grad-tol, and reports divergence instead of producing NaN', () => {
    const config = resolveTrainConfig({ spec, solver: 'gd', gradTol: 1e-3, tol: 0 }, { rows: 400 });
    const r = fitModel(config, [toBatch(z, data.y)]);
    expect(r.state.status).toEqual({ status: 'done', reason: 'grad-tol' });
    const last = r.state.history[r.state.history.length - 1]!;
    expect(last.gradNorm).toBeLessThanOrEqual(1e-3 * r.state.gradNorm0!);
    const wild = resolveTrainConfig(
      { spec, learningRate: 1e3, optimizer: { kind: 'plain' }, nIterNoChange: 5000 },
      { rows: 400 },
    );
    const d = fitModel(wild, [toBatch(z, data.y)]);
    expect(d.state.status).toEqual({ status: 'done', reason: 'diverged' });
    expect(d.state.params.every(Number.isFinite)).toBe(true);
  });

  it('calls onRound once per round', () => {
    const config = resolveTrainConfig({ spec, solver: 'gd', maxSteps: 5 }, { rows: 400 });
    const seen: number[] = [];
    fitModel(config, [toBatch(z, data.y)], { onRound: (info) => seen.push(info.round) });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
});
