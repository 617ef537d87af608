import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import {
  addL2Gradient,
  initParams,
  l2Penalty,
  logisticLoss,
  paramCount,
  predict,
  predictProba,
  sigmoid,
  softplus,
  validateSpec,
} from '../../../lib/optim/index.js';

describe('Function: paramCount', () => {
  it('counts d+1 for linear/logistic and K(d+1) for softmax', () => {
    // Assess: 3 features → 4; softmax K=4, d=3 → 4·4 = 16
    expect(paramCount({ kind: 'linear', numFeatures: 3 })).toBe(4);
    expect(paramCount({ kind: 'logistic', numFeatures: 3 })).toBe(4);
    expect(paramCount({ kind: 'softmax', numFeatures: 3, numClasses: 4 })).toBe(16);
  });
});

describe('Function: initParams', () => {
  it('returns zeros of the right length', () => {
    const p = initParams({ kind: 'softmax', numFeatures: 2, numClasses: 3 });
    expect(p).toBeInstanceOf(Float64Array);
    expect(Array.from(p)).toEqual(new Array(9).fill(0));
  });
});

describe('Function: validateSpec', () => {
  it('rejects bad specs with UsageError', () => {
    expect(() => validateSpec({ kind: 'softmax', numFeatures: 2, numClasses: 1 })).toThrow(UsageError);
    expect(() => validateSpec({ kind: 'linear', numFeatures: 0 })).toThrow(UsageError);
    expect(() => validateSpec({ kind: 'linear', numFeatures: 2, l2: -1 })).toThrow(UsageError);
    expect(() => validateSpec({ kind: 'poisson' as 'linear', numFeatures: 2 })).toThrow(/unknown/);
  });
});

describe('Function: l2Penalty / addL2Gradient', () => {
  it('skips every intercept', () => {
    // Prepare: softmax K=2, d=2, params [b0, 1, 2, b1, 3, 4], λ = 0.5
    const spec = { kind: 'softmax', numFeatures: 2, numClasses: 2, l2: 0.5 } as const;
    const params = [100, 1, 2, -100, 3, 4];
    // Assess: (λ/2)(1+4+9+16) = 0.25·30 = 7.5; gradient λw = [0, .5, 1, 0, 1.5, 2]
    expect(l2Penalty(spec, params)).toBeCloseTo(7.5, 12);
    const g = new Float64Array(6);
    addL2Gradient(spec, params, g);
    expect(Array.from(g)).toEqual([0, 0.5, 1, 0, 1.5, 2]);
  });
});

describe('Function: sigmoid / softplus / logisticLoss', () => {
  it('is finite and exact at extreme logits', () => {
    // σ(0) = ½; σ(±1000) = 1 / 0 without NaN; softplus(1000) = 1000; softplus(−1000) ≈ e^−1000 = 0
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    // log-loss of y=1 at z=−1000 is −log σ(−1000) = 1000 (log(1+e^1000) − 0)
    expect(logisticLoss(-1000, 1)).toBe(1000);
    // y=0 at z=0: log 2
    expect(logisticLoss(0, 0)).toBeCloseTo(Math.LN2, 15);
  });
});

describe('Function: predict / predictProba', () => {
  it('applies the link of each model', () => {
    // Prepare: one row x = [2]
    const batch = { x: Float32Array.from([2]), y: Float32Array.from([0]), rows: 1, d: 1 };
    // linear [1, 3]: 1 + 3·2 = 7; logistic [0, 0]: σ(0) = .5
    expect(predict({ kind: 'linear', numFeatures: 1 }, [1, 3], batch)[0]).toBe(7);
    expect(predict({ kind: 'logistic', numFeatures: 1 }, [0, 0], batch)[0]).toBe(0.5);
    // softmax K=2 blocks [0, 0], [0, 1]: logits 0, 2 → class 1; p = 1/(1+e^−2), e^−2/(1+e^−2)
    const spec = { kind: 'softmax', numFeatures: 1, numClasses: 2 } as const;
    expect(predict(spec, [0, 0, 0, 1], batch)[0]).toBe(1);
    const p = predictProba(spec, [0, 0, 0, 1], batch);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 14);
    expect(p[0]).toBeCloseTo(Math.exp(-2) / (1 + Math.exp(-2)), 14);
  });
});
