import { describe, expect, it } from 'vitest';
import {
  binaryMetrics,
  multiclassMetrics,
  regressionMetrics,
  rocAuc,
} from '../../../lib/engine/evaluation/metrics.js';

describe('Function: regressionMetrics', () => {
  it('computes mse, rmse and r2 by hand', () => {
    // y = [1, 2, 3], ŷ = [1, 2, 5]: residuals 0, 0, -2 → SSE = 4, MSE = 4/3.
    // mean(y) = 2, SST = 1 + 0 + 1 = 2 → R² = 1 − 4/2 = −1.
    const m = regressionMetrics([1, 2, 3], [1, 2, 5]);
    expect(m.mse).toBeCloseTo(4 / 3, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(m.r2).toBeCloseTo(-1, 12);
  });
});

describe('Function: rocAuc', () => {
  it('counts concordant pairs, ties as one half', () => {
    // positives scores {0.8, 0.4}, negatives {0.4, 0.1}: pairs (pos > neg):
    // 0.8>0.4 ✓, 0.8>0.1 ✓, 0.4=0.4 → ½, 0.4>0.1 ✓ → 3.5 / 4 = 0.875.
    expect(rocAuc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1])).toBeCloseTo(0.875, 12);
  });
  it('is NaN with one class', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });
});

describe('Function: binaryMetrics', () => {
  it('computes accuracy and logloss by hand', () => {
    // p = [0.9, 0.2], y = [1, 1]: accuracy 1/2, logloss = −(ln 0.9 + ln 0.2)/2.
    const m = binaryMetrics([1, 1], [0.9, 0.2]);
    expect(m.accuracy).toBe(0.5);
    expect(m.logloss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.2)) / 2, 12);
  });
});

describe('Function: multiclassMetrics', () => {
  it('computes accuracy and cross-entropy by hand', () => {
    // rows: [0.7,0.2,0.1] y=0 (correct), [0.3,0.3,0.4] y=1 (argmax 2, wrong).
    // logloss = −(ln 0.7 + ln 0.3)/2.
    const m = multiclassMetrics([0, 1], [0.7, 0.2, 0.1, 0.3, 0.3, 0.4], 3);
    expect(m.accuracy).toBe(0.5);
    expect(m.logloss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.3)) / 2, 12);
  });
});

describe('Metrics: edge cases, by hand', () => {
  it('regression: R² of a constant target is 1 for a perfect fit, else 0', () => {
    // y = [2, 2, 2]: SST = 0. ŷ = y → SSE = 0 → R² = 1; ŷ = [2, 2, 5] → SSE = 9, MSE = 3 → R² = 0.
    expect(regressionMetrics([2, 2, 2], [2, 2, 2])).toEqual({ mse: 0, rmse: 0, r2: 1 });
    expect(regressionMetrics([2, 2, 2], [2, 2, 5])).toEqual({ mse: 3, rmse: Math.sqrt(3), r2: 0 });
  });

  it('regression: the mean is Σy/n (R² of predicting the mean is 0)', () => {
    // y = [1, 5], mean 3: ŷ = [3, 3] → SSE = SST = 8 → MSE 4, RMSE 2, R² 0; ŷ = [2, 4] → SSE 2, R² 0.75.
    expect(regressionMetrics([1, 5], [3, 3])).toEqual({ mse: 4, rmse: 2, r2: 0 });
    expect(regressionMetrics([1, 5], [2, 4]).r2).toBe(0.75);
  });

  it('binary: p = ½ is class 1; probabilities are clipped to [1e−15, 1 − 1e−15] in the loss', () => {
    // y = [1, 0, 0, 1], p = [0.5, 1, 0.25, 0]: predictions 1, 1, 0, 0 → accuracy 2/4.
    // loss terms: −ln 0.5, −ln(1 − (1 − 1e−15)), −ln 0.75, −ln 1e−15.
    const clip = (p: number) => Math.min(1 - 1e-15, Math.max(1e-15, p));
    const m = binaryMetrics([1, 0, 0, 1], [0.5, 1, 0.25, 0]);
    expect(m.accuracy).toBe(0.5);
    const want = -(Math.log(0.5) + Math.log(1 - clip(1)) + Math.log(0.75) + Math.log(clip(0))) / 4;
    expect(m.logloss).toBeCloseTo(want, 12);
    expect(Number.isFinite(m.logloss)).toBe(true);
    // AUC: positives score {0.5, 0}, negatives {1, 0.25}: pairs pos > neg: 0.5 > 0.25 only → 1/4.
    expect(m.auc).toBe(0.25);
  });

  it('binary: a perfect classifier, with the loss of its confidence', () => {
    // y = [0, 1], p = [0.2, 0.6] → accuracy 1, logloss −(ln 0.8 + ln 0.6)/2, AUC 1.
    const m = binaryMetrics([0, 1], [0.2, 0.6]);
    expect(m.accuracy).toBe(1);
    expect(m.logloss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 14);
    expect(m.auc).toBe(1);
  });
});

describe('Function: rocAuc, by the pairs', () => {
  /** The fraction of (positive, negative) pairs ordered right, ties counting ½: the definition. */
  function pairs(y: number[], s: number[]): number {
    let good = 0;
    let n = 0;
    for (let i = 0; i < y.length; i++)
      for (let j = 0; j < y.length; j++)
        if (y[i] === 1 && y[j] === 0) {
          n++;
          good += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
    return good / n;
  }

  it.each([
    ['unsorted scores', [0, 1, 0, 1, 1, 0], [0.9, 0.3, 0.1, 0.8, 0.5, 0.4]],
    ['a run of ties across both classes', [1, 0, 1, 0, 1, 0, 0], [0.5, 0.5, 0.5, 0.2, 0.9, 0.9, 0.1]],
    ['ties at the top and bottom', [1, 1, 0, 0, 1], [3, 1, 3, 1, 2]],
    ['negative scores', [0, 1, 1, 0], [-2, -1, -3, -0.5]],
  ])('equals the pair count (%s)', (_what, y, s) => {
    expect(rocAuc(y, s)).toBeCloseTo(pairs(y, s), 14);
  });

  it('worked by hand: 3 positives, 2 negatives', () => {
    // scores: pos {0.2, 0.7, 0.9}, neg {0.1, 0.7}. Pairs: 0.2>0.1 ✓, 0.2<0.7 ✗, 0.7>0.1 ✓,
    // 0.7=0.7 ½, 0.9>0.1 ✓, 0.9>0.7 ✓ → 4.5/6 = 0.75.
    expect(rocAuc([1, 0, 1, 0, 1], [0.2, 0.1, 0.7, 0.7, 0.9])).toBe(0.75);
  });

  it('is NaN with only negatives', () => {
    expect(rocAuc([0, 0, 0], [0.1, 0.2, 0.3])).toBeNaN();
  });
});

describe('Function: multiclassMetrics, ties and rows', () => {
  it('picks the first of tied classes, and reads each row’s own K probabilities', () => {
    // row 0: [0.4, 0.4, 0.2] y = 0 → argmax (first of the tie) 0, correct;
    // row 1: [0.5, 0.3, 0.2] y = 0 → correct (row 2's 0.9 is not one of its classes);
    // row 2: [0.9, 0.05, 0.05] y = 1 → wrong.
    // logloss = −(ln 0.4 + ln 0.5 + ln 0.05)/3; a probability 0 is clipped to 1e−15.
    const m = multiclassMetrics([0, 0, 1], [0.4, 0.4, 0.2, 0.5, 0.3, 0.2, 0.9, 0.05, 0.05], 3);
    expect(m.accuracy).toBe(2 / 3);
    expect(m.logloss).toBeCloseTo(-(Math.log(0.4) + Math.log(0.5) + Math.log(0.05)) / 3, 14);
    const zero = multiclassMetrics([1], [1, 0], 2);
    expect(zero.accuracy).toBe(0);
    expect(zero.logloss).toBeCloseTo(-Math.log(1e-15), 12);
    // the largest class last: [0.1, 0.2, 0.7] y = 2 → correct, loss −ln 0.7; p = 1 clipped to 1 − 1e−15
    expect(multiclassMetrics([2], [0.1, 0.2, 0.7], 3).accuracy).toBe(1);
    expect(multiclassMetrics([0], [1, 0], 2).logloss).toBeCloseTo(-Math.log(1 - 1e-15), 20);
    expect(multiclassMetrics([0], [1, 0], 2).logloss).toBeGreaterThan(0);
  });
});
