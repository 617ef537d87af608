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
