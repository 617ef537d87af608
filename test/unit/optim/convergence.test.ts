import { describe, expect, it } from 'vitest';
import type { ModelSpec, TrainConfigInput } from '../../../lib/optim/index.js';
import { fit as fitModel, resolveTrainConfig } from '../../../lib/optim/index.js';
import type { Data } from './reference-solvers.js';
import {
  centreClasses,
  classData,
  classify,
  glmLoss,
  linearData,
  mseLoss,
  newtonGlm,
  normal,
  normalEquations,
  partition,
  relErr,
  rng,
  standardise,
  toBatch,
} from './reference-solvers.js';

/** Fits with the given overrides on standardised data; returns params and the reference's comparison. */
function fitAndCompare(spec: ModelSpec, data: Data, input: Partial<TrainConfigInput> = {}, w = 1) {
  const { z } = standardise(data.x);
  const config = resolveTrainConfig({ spec, solver: 'gd', ...input }, { rows: z.length, partitions: w });
  const result = fitModel(config, w === 1 ? [toBatch(z, data.y)] : partition(z, data.y, w));
  const params = Array.from(result.params);
  const l2 = spec.l2 ?? 0;
  if (spec.kind === 'linear') {
    const ref = normalEquations(z, data.y, l2);
    const lossRef = mseLoss(z, data.y, ref, l2);
    return {
      result,
      paramErr: relErr(params, ref),
      lossErr: (mseLoss(z, data.y, params, l2) - lossRef) / lossRef,
    };
  }
  const k = spec.kind === 'logistic' ? 1 : spec.numClasses!;
  const ref = newtonGlm(z, data.y, k, l2);
  const lossRef = glmLoss(z, data.y, ref, k, l2);
  const refClasses = classify(z, ref, k);
  const same = classify(z, params, k).filter((c, i) => c === refClasses[i]).length / z.length;
  const accuracy = (theta: number[]) =>
    classify(z, theta, k).filter((c, i) => c === data.y[i]).length / z.length;
  return {
    result,
    paramErr: k === 1 ? relErr(params, ref) : relErr(centreClasses(params, k), centreClasses(ref, k)),
    lossErr: (glmLoss(z, data.y, params, k, l2) - lossRef) / lossRef,
    agreement: same,
    accuracy: accuracy(params),
    accuracyRef: accuracy(ref),
  };
}

const W5 = [1, -2, 0.5, 3, 0];
const SOFT = [
  [1, -1, 0.5, 0, 2],
  [0, 1, 1, -1, 0],
  [-1, 0, 0, 1, 1],
];

describe('Function: fit — defaults reach the reference solvers', () => {
  it('linear (n=2000, d=5, correlated) matches the normal equations', () => {
    const r = fitAndCompare({ kind: 'linear', numFeatures: 5 }, linearData(1, 2000, W5, 4, 0.5));
    expect(r.paramErr).toBeLessThan(1e-3);
    expect(r.lossErr).toBeLessThan(1e-6);
  });

  it('linear with strongly correlated features (ρ = .95) and ridge matches the normal equations', () => {
    const r = fitAndCompare(
      { kind: 'linear', numFeatures: 5, l2: 0.1 },
      linearData(2, 2000, W5, -1, 1, 0.95),
    );
    expect(r.paramErr).toBeLessThan(1e-3);
    expect(r.lossErr).toBeLessThan(1e-6);
  });

  it('logistic (n=2000, d=5) matches Newton', () => {
    const r = fitAndCompare({ kind: 'logistic', numFeatures: 5 }, classData(3, 2000, [[1, -1, 0.5, 0, 2]]));
    expect(r.paramErr).toBeLessThan(1e-3);
    expect(r.lossErr).toBeLessThan(1e-3);
    expect(r.accuracy).toBe(r.accuracyRef);
  });

  it('softmax (n=2000, d=5, K=3) matches Newton', () => {
    const r = fitAndCompare({ kind: 'softmax', numFeatures: 5, numClasses: 3 }, classData(5, 2000, SOFT));
    expect(r.paramErr).toBeLessThan(1e-3);
    expect(r.lossErr).toBeLessThan(1e-3);
    expect(r.accuracy).toBe(r.accuracyRef);
  });

  it('separable logistic and softmax with a small l2 match Newton', () => {
    const log = fitAndCompare(
      { kind: 'logistic', numFeatures: 5, l2: 1e-3 },
      classData(4, 1000, [[1, -1, 0.5, 0, 2]], true),
    );
    expect(log.paramErr).toBeLessThan(1e-3);
    expect(log.lossErr).toBeLessThan(1e-3);
    expect(log.agreement).toBe(1);
    const soft = fitAndCompare(
      { kind: 'softmax', numFeatures: 5, numClasses: 3, l2: 1e-3 },
      classData(6, 1000, SOFT, true),
    );
    expect(soft.paramErr).toBeLessThan(1e-3);
    expect(soft.lossErr).toBeLessThan(1e-3);
    expect(soft.agreement).toBe(1);
  });
});

describe('Function: fit — the worked example y = 2x + ε', () => {
  it('recovers intercept 0 and slope 2 on the original scale', () => {
    // Prepare: 100 points, x ~ U(0, 10), ε ~ N(0, .1²), seed 42
    const u = rng(42);
    const z = normal(rng(43));
    const x = Array.from({ length: 100 }, () => 10 * u());
    const y = x.map((v) => 2 * v + 0.1 * z());
    const { z: xs, mean, sd } = standardise(x.map((v) => [v]));
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, solver: 'gd' },
      { rows: 100 },
    );
    // Act
    const { params } = fitModel(config, [toBatch(xs, y)]);
    // Assess: slope_orig = w/σx, intercept_orig = b − w·μx/σx
    const slope = params[1]! / sd[0]!;
    const intercept = params[0]! - (params[1]! * mean[0]!) / sd[0]!;
    expect(Math.abs(slope - 2)).toBeLessThan(0.05);
    expect(Math.abs(intercept)).toBeLessThan(0.05);
    // least squares on the original scale: slope = Sxy/Sxx, intercept = ȳ − slope·x̄
    const mx = x.reduce((a, v) => a + v, 0) / 100;
    const my = y.reduce((a, v) => a + v, 0) / 100;
    const sxy = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0);
    const sxx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
    expect(slope).toBeCloseTo(sxy / sxx, 3);
    expect(intercept).toBeCloseTo(my - (sxy / sxx) * mx, 3);
  });
});

describe('Function: fit — every algorithm, optimizer, schedule and sync mode converges', () => {
  const lin = linearData(9, 2000, W5, 4, 0.5);
  const spec = { kind: 'linear', numFeatures: 5 } as const;

  it.each([
    ['minibatch (defaults)', { algorithm: 'minibatch' }, 1, 5e-3],
    ['minibatch W=3', { algorithm: 'minibatch', batchSize: 96 }, 3, 5e-3],
    ['sgd', { algorithm: 'sgd', maxEpochs: 5 }, 1, 3e-2],
    ['local-sgd K=1', { algorithm: 'minibatch', sync: 'local-sgd', localSteps: 1 }, 2, 5e-3],
    ['local-sgd K=4', { algorithm: 'minibatch', sync: 'local-sgd', localSteps: 4 }, 2, 5e-3],
    ['local-sgd batch K=4', { sync: 'local-sgd', localSteps: 4, tol: 1e-10 }, 2, 1e-4],
    ['plain optimizer', { optimizer: { kind: 'plain' } }, 1, 1e-4],
    ['momentum (heavy ball)', { optimizer: { kind: 'momentum', momentum: 0.9 } }, 1, 1e-4],
    [
      'adam',
      {
        optimizer: { kind: 'adam' },
        learningRate: 0.1,
        schedule: { kind: 'exponential', decaySteps: 100, rate: 0.9 },
      },
      1,
      1e-3,
    ],
    [
      'step decay',
      { algorithm: 'minibatch', schedule: { kind: 'step', everySteps: 40, factor: 0.5 } },
      1,
      5e-3,
    ],
    [
      'cosine restarts',
      { algorithm: 'minibatch', schedule: { kind: 'cosine-restarts', firstPeriod: 16 } },
      1,
      5e-3,
    ],
    [
      'plateau',
      { algorithm: 'minibatch', schedule: { kind: 'plateau', patience: 2, factor: 0.3 }, tol: 1e-6 },
      1,
      5e-3,
    ],
  ] as [string, Partial<TrainConfigInput>, number, number][])('%s', (_name, input, w, tolerance) => {
    const r = fitAndCompare(spec, lin, input, w);
    expect(r.result.state.status.status).toBe('done');
    expect(r.result.state.status).not.toEqual({ status: 'done', reason: 'diverged' });
    expect(r.paramErr).toBeLessThan(tolerance);
  });

  it('minibatch logistic gets close to Newton', () => {
    const r = fitAndCompare({ kind: 'logistic', numFeatures: 5 }, classData(3, 2000, [[1, -1, 0.5, 0, 2]]), {
      algorithm: 'minibatch',
    });
    expect(r.lossErr).toBeLessThan(1e-3);
    expect(Math.abs(r.accuracy! - r.accuracyRef!)).toBeLessThanOrEqual(0.005);
  });
});
