import { describe, expect, it } from 'vitest';
import { resolveTrainConfig, TypedArrayKernel } from '../../../lib/optim/index.js';
import { calibrateKernel, solverWork } from '../../../lib/planner/index.js';

describe('Function: solverWork', () => {
  it('prices the normal equations as one round of XᵀX products', () => {
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 20 }, solver: 'normal' },
      { rows: 1000 },
    );
    const w = solverWork(config, [500, 500]);
    // p = 21: 21·22/2 + 21 = 252 products per row, over d = 20 → 12.6
    expect(w).toMatchObject({ rounds: 1, algorithm: 'batch', workFactor: 12.6 });
  });

  it('takes Newton at ten rounds and L-BFGS at thirty, capped by maxIter + 1', () => {
    const spec = { kind: 'softmax' as const, numFeatures: 4, numClasses: 3 };
    const newton = resolveTrainConfig({ spec, solver: 'newton' }, { rows: 100 });
    // p = 5 per class, K = 3: 1 + 15/2 = 8.5
    expect(solverWork(newton, [100])).toMatchObject({ rounds: 10, workFactor: 8.5 });
    const lbfgs = resolveTrainConfig({ spec, solver: 'lbfgs' }, { rows: 100 });
    expect(solverWork(lbfgs, [100])).toMatchObject({ rounds: 30, workFactor: 4 });
    const short = resolveTrainConfig({ spec, solver: 'lbfgs', maxEpochs: 5 }, { rows: 100 });
    expect(solverWork(short, [100]).rounds).toBe(6); // maxIter 5 → at most 6 rounds
  });

  it('counts gradient descent as epochs × rounds per epoch', () => {
    // mini-batch 100 over 2 partitions of 500: 50 rows each, ⌈500/50⌉ = 10 steps per epoch; 7 epochs
    const config = resolveTrainConfig(
      {
        spec: { kind: 'logistic', numFeatures: 3 },
        solver: 'gd',
        algorithm: 'minibatch',
        batchSize: 100,
        maxEpochs: 7,
      },
      { rows: 1000 },
    );
    expect(solverWork(config, [500, 500])).toMatchObject({
      rounds: 70,
      algorithm: 'minibatch',
      batchSize: 100,
      workFactor: 1,
    });
  });
});

describe('Function: calibrateKernel', () => {
  it('divides the rows·features computed by the time taken', () => {
    // A clock that advances 10 ms per reading: start, then one reading per pass; minSeconds 0.05
    // → passes until 50 ms have passed = 5 passes of 1000 rows × 8 features in 0.05 s = 8e5/s.
    let t = 0;
    const cal = calibrateKernel(new TypedArrayKernel(), {
      rows: 1000,
      features: 8,
      minSeconds: 0.05,
      clock: () => (t += 10),
      machine: 'm',
      now: () => new Date('2026-12-02T00:00:00Z'),
    });
    expect(cal).toMatchObject({ kernel: 'typed-array', machine: 'm', repetitions: 5, seconds: 0.05 });
    expect(cal.rowFeaturesPerSecond).toBeCloseTo((5 * 1000 * 8) / 0.05, 6);
  });
});
