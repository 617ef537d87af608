import { describe, expect, it } from 'vitest';
import type { ModelSpec, TrainConfigInput } from '../../../lib/optim/index.js';
import { fit as fitModel, resolveTrainConfig, stochasticBudget } from '../../../lib/optim/index.js';
import type { Data } from './reference-solvers.js';
import {
  centreClasses,
  classData,
  classify,
  glmLoss,
  linearData,
  newtonGlm,
  normal,
  normalEquations,
  relErr,
  rng,
  standardise,
  toBatch,
} from './reference-solvers.js';

/** (y − ȳ)/sd(y), population sd: the engine standardises a regression target too. */
function standardiseTarget(y: number[]): number[] {
  const n = y.length;
  const mean = y.reduce((a, v) => a + v, 0) / n;
  const sd = Math.sqrt(y.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  return y.map((v) => (v - mean) / sd);
}

/**
 * Fits with only the given flags on standardised data (as the engine prepares it) and compares
 * with the independent reference: normal equations (linear) or Newton (logistic/softmax).
 */
function fitAgainstReference(spec: ModelSpec, data: Data, input: Partial<TrainConfigInput>) {
  const { z } = standardise(data.x);
  const y = spec.kind === 'linear' ? standardiseTarget(data.y) : data.y;
  const config = resolveTrainConfig({ spec, ...input }, { rows: z.length });
  const result = fitModel(config, [toBatch(z, y)]);
  const params = Array.from(result.params);
  if (spec.kind === 'linear') {
    const ref = normalEquations(z, y);
    return { result, params, ref, paramErr: relErr(params, ref), lossErr: 0, accGap: 0 };
  }
  const k = spec.kind === 'logistic' ? 1 : spec.numClasses!;
  const ref = newtonGlm(z, y, k);
  const lossRef = glmLoss(z, y, ref, k);
  const accuracy = (theta: number[]) => classify(z, theta, k).filter((c, i) => c === y[i]).length / z.length;
  return {
    result,
    params,
    ref,
    paramErr: k === 1 ? relErr(params, ref) : relErr(centreClasses(params, k), centreClasses(ref, k)),
    lossErr: (glmLoss(z, y, params, k) - lossRef) / lossRef,
    accGap: Math.abs(accuracy(params) - accuracy(ref)),
  };
}

/** The worked example: y = 2x + ε, x ~ U[0, 2), ε ~ N(0, .1²), 100 rows. */
function seedExample(): Data {
  const u = rng(42);
  const z = normal(rng(43));
  const x = Array.from({ length: 100 }, () => 2 * u());
  return { x: x.map((v) => [v]), y: x.map((v) => 2 * v + 0.1 * z()) };
}

const W5 = [1, -2, 0.5, 3, 0];
const LOGIT = [[1, -1, 0.5, 0, 2]];
const SOFT = [
  [1, -1, 0.5, 0, 2],
  [0, 1, 1, -1, 0],
  [-1, 0, 0, 1, 1],
];
const LINEAR5 = { kind: 'linear', numFeatures: 5 } as const;
const LOGISTIC5 = { kind: 'logistic', numFeatures: 5 } as const;
const SOFTMAX5 = { kind: 'softmax', numFeatures: 5, numClasses: 3 } as const;

describe('Function: resolveTrainConfig — minibatch and sgd defaults', () => {
  it('counts the epoch budget and the tol patience in steps', () => {
    // Prepare/Act: n = 100 ≤ 256 → B = 100, 1 step per epoch; linear d = 1: bound = 1/(1·2) = .5
    const small = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, algorithm: 'minibatch' },
      { rows: 100 },
    );
    // Assess: max epochs min(300, max(20, 3000/1)) = 300; patience max(5, 100/1) = 100; T = 1 step
    expect(small).toMatchObject({
      batchSize: 100,
      maxEpochs: 300,
      nIterNoChange: 100,
      optimizer: { kind: 'momentum', momentum: 0.9, nesterov: true },
      schedule: { kind: 'inverse-time', lr: 0.5, decaySteps: 1, power: 0.5 },
    });
    // 10⁶ rows: ⌈10⁶/256⌉ = 3907 steps per epoch → max(20, ⌈3000/3907⌉) = 20 epochs, patience 5
    expect(stochasticBudget('minibatch', 3907)).toEqual({ maxEpochs: 20, nIterNoChange: 5 });
    // 2000 rows: 8 steps → min(300, 375) = 300 epochs, patience ⌈100/8⌉ = 13
    expect(stochasticBudget('minibatch', 8)).toEqual({ maxEpochs: 300, nIterNoChange: 13 });
    // sgd on 300 rows: 300 steps → min(100, max(20, 30000/300 = 100)) = 100 epochs, patience 10
    const sgd = resolveTrainConfig({ spec: LINEAR5, algorithm: 'sgd' }, { rows: 300 });
    // lr0 = .01 · 1/(1·6)
    expect(sgd).toMatchObject({ batchSize: 1, maxEpochs: 100, nIterNoChange: 10 });
    expect(sgd.schedule.lr).toBeCloseTo(0.01 / 6, 15);
  });

  it('gives each optimizer picked without --lr its own default lr', () => {
    // linear d = 5: bound = 1/6; n = 1000, B = 256 → 4 steps per epoch
    const pick = (kind: 'plain' | 'momentum' | 'adam', algorithm: 'minibatch' | 'batch' = 'minibatch') =>
      resolveTrainConfig(
        { spec: LINEAR5, algorithm, optimizer: kind === 'momentum' ? { kind, momentum: 0.9 } : { kind } },
        { rows: 1000 },
      ).schedule;
    // plain: 2 · 1/6, T = max(4, 100); momentum: 1/6, T = 4; adam: .05, T = max(4, 100)
    expect(pick('plain')).toEqual({ kind: 'inverse-time', lr: 2 / 6, decaySteps: 100, power: 0.5 });
    expect(pick('momentum')).toEqual({ kind: 'inverse-time', lr: 1 / 6, decaySteps: 4, power: 0.5 });
    expect(pick('adam')).toEqual({ kind: 'inverse-time', lr: 0.05, decaySteps: 100, power: 0.5 });
    // full batch: plain keeps the bound; adam .05 constant
    expect(pick('plain', 'batch')).toEqual({ kind: 'constant', lr: 1 / 6 });
    expect(pick('adam', 'batch')).toEqual({ kind: 'constant', lr: 0.05 });
  });
});

describe('Function: fit — minibatch and sgd defaults reach the reference solvers', () => {
  it.each(['minibatch', 'sgd'] as const)('%s recovers the worked example y = 2x + ε', (algorithm) => {
    // Prepare
    const data = seedExample();
    // Act
    const r = fitAgainstReference({ kind: 'linear', numFeatures: 1 }, data, { algorithm });
    // Assess: within 1e-2 of the normal equations, and the original-scale slope within 1e-2 of
    // the least-squares slope Sxy/Sxx (the standardised slope times sd(y)/sd(x))
    expect(r.paramErr).toBeLessThan(1e-2);
    const x = data.x.map((row) => row[0]!);
    const mx = x.reduce((a, v) => a + v, 0) / 100;
    const my = data.y.reduce((a, v) => a + v, 0) / 100;
    const sxx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
    const syy = data.y.reduce((a, v) => a + (v - my) ** 2, 0);
    const sxy = x.reduce((a, v, i) => a + (v - mx) * (data.y[i]! - my), 0);
    const slope = r.params[1]! * Math.sqrt(syy / sxx);
    expect(Math.abs(slope / (sxy / sxx) - 1)).toBeLessThan(1e-2);
    expect(r.result.state.status).not.toEqual({ status: 'done', reason: 'diverged' });
  });

  it.each([
    [
      'minibatch',
      'linear n=500 d=3',
      { kind: 'linear', numFeatures: 3 },
      linearData(7, 500, [1.5, -1, 0.5], 1, 1),
    ],
    ['minibatch', 'linear n=2000 d=5', LINEAR5, linearData(1, 2000, W5, 4, 0.5)],
    ['sgd', 'linear n=2000 d=5', LINEAR5, linearData(1, 2000, W5, 4, 0.5)],
    ['minibatch', 'linear n=2000 d=5 ρ=.95', LINEAR5, linearData(2, 2000, W5, -1, 1, 0.95)],
  ] as ['minibatch' | 'sgd', string, ModelSpec, Data][])(
    '%s: %s is within 1e-2 of the normal equations',
    (algorithm, _name, spec, data) => {
      const r = fitAgainstReference(spec, data, { algorithm });
      expect(r.paramErr).toBeLessThan(1e-2);
    },
  );

  it.each([
    ['minibatch', 'logistic n=300', LOGISTIC5, classData(3, 300, LOGIT)],
    ['minibatch', 'logistic n=2000', LOGISTIC5, classData(3, 2000, LOGIT)],
    ['minibatch', 'softmax n=300', SOFTMAX5, classData(5, 300, SOFT)],
    ['minibatch', 'softmax n=2000', SOFTMAX5, classData(5, 2000, SOFT)],
    ['sgd', 'logistic n=300', LOGISTIC5, classData(3, 300, LOGIT)],
    ['sgd', 'softmax n=300', SOFTMAX5, classData(5, 300, SOFT)],
  ] as ['minibatch' | 'sgd', string, ModelSpec, Data][])(
    '%s: %s has Newton’s accuracy and log-loss within 1e-2',
    (algorithm, _name, spec, data) => {
      const r = fitAgainstReference(spec, data, { algorithm });
      expect(r.lossErr).toBeLessThan(1e-2);
      // a minibatch end point may put one or two borderline rows on the other side
      expect(r.accGap).toBeLessThanOrEqual(0.005);
    },
  );
});

describe('Function: fit — every --optimizer with its default lr converges under minibatch', () => {
  const optimizers = [
    ['plain', { kind: 'plain' }],
    ['momentum', { kind: 'momentum', momentum: 0.9 }],
    ['adam', { kind: 'adam' }],
  ] as const;

  it.each(optimizers)('%s: linear (worked example and n=2000 d=5) within 1e-2', (_name, optimizer) => {
    const seed = fitAgainstReference({ kind: 'linear', numFeatures: 1 }, seedExample(), {
      algorithm: 'minibatch',
      optimizer,
    });
    expect(seed.paramErr).toBeLessThan(1e-2);
    const lin = fitAgainstReference(LINEAR5, linearData(1, 2000, W5, 4, 0.5), {
      algorithm: 'minibatch',
      optimizer,
    });
    expect(lin.paramErr).toBeLessThan(1e-2);
  });

  it.each(optimizers)('%s: logistic n=2000 and softmax n=300 match Newton', (_name, optimizer) => {
    const log = fitAgainstReference(LOGISTIC5, classData(3, 2000, LOGIT), {
      algorithm: 'minibatch',
      optimizer,
    });
    expect(log.lossErr).toBeLessThan(1e-2);
    expect(log.accGap).toBeLessThanOrEqual(0.005);
    const soft = fitAgainstReference(SOFTMAX5, classData(5, 300, SOFT), {
      algorithm: 'minibatch',
      optimizer,
    });
    expect(soft.lossErr).toBeLessThan(1e-2);
    expect(soft.accGap).toBeLessThanOrEqual(0.005);
  });
});
