import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../lib/engine/evaluation/metrics.js';
import {
  binaryCharts,
  binValues,
  MAX_SCATTER,
  multiclassCharts,
  regressionCharts,
  rocCurve,
} from '../../../lib/report/evaluation-charts.js';

describe('Function: rocCurve', () => {
  it('steps through each distinct score, highest first', () => {
    // Scores 0.9(+) 0.8(−) 0.7(+) 0.1(−): 2 positives, 2 negatives.
    // thresholds ≥0.9: tp 1, fp 0 → (0, ½); ≥0.8: (½, ½); ≥0.7: (½, 1); ≥0.1: (1, 1).
    const { fpr, tpr } = rocCurve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]);
    expect(fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(tpr).toEqual([0, 0.5, 0.5, 1, 1]);
  });

  it('moves both rates in one step through tied scores, so its trapezoid area is the rank-sum AUC', () => {
    const y = [1, 0, 1, 1, 0, 0, 1, 0];
    const s = [0.8, 0.8, 0.6, 0.4, 0.4, 0.4, 0.2, 0.1];
    const { fpr, tpr } = rocCurve(y, s);
    let area = 0;
    for (let i = 1; i < fpr.length; i++) area += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
    // positives 0.8 0.6 0.4 0.2, negatives 0.8 0.4 0.4 0.1: 16 pairs. Negatives below each
    // positive, ties ½: 0.8 → 3 + ½; 0.6 → 3; 0.4 → 1 + 2·½; 0.2 → 1. Sum 9.5 → AUC 9.5/16.
    expect(area).toBeCloseTo(9.5 / 16, 12);
    expect(rocAuc(y, s)).toBeCloseTo(9.5 / 16, 12);
    expect(fpr).toHaveLength(6); // (0,0) + five distinct scores
  });
});

describe('Function: binaryCharts', () => {
  it('counts the confusion matrix at 0.5 and calibrates in ten bins', () => {
    const y = [1, 1, 0, 0, 1];
    const p = [0.95, 0.45, 0.42, 0.05, 0.91];
    const c = binaryCharts(y, p, ['no', 'yes']);
    if (c.kind !== 'binary') throw new Error('kind');
    // actual 0: 0.42→0, 0.05→0; actual 1: 0.95→1, 0.45→0, 0.91→1.
    expect(c.confusion).toEqual([
      [2, 0],
      [1, 2],
    ]);
    // bins: [0,0.1): {0.05}; [0.4,0.5): {0.45, 0.42}; [0.9,1]: {0.95, 0.91}.
    expect(c.calibration.counts).toEqual([1, 2, 2]);
    expect(c.calibration.predicted[1]).toBeCloseTo(0.435, 12);
    expect(c.calibration.observed).toEqual([0, 0.5, 1]);
  });
});

describe('Function: regressionCharts', () => {
  it('bins residuals y − ŷ and sorts the scatter by the actual value', () => {
    const c = regressionCharts([3, 1, 2], [2.5, 1, 2.5]);
    if (c.kind !== 'regression') throw new Error('kind');
    expect(c.scatter.actual).toEqual([1, 2, 3]);
    expect(c.scatter.predicted).toEqual([1, 2.5, 2.5]);
    // residuals 0.5, 0, −0.5 over 30 bins of width 1/30: first, middle (0 → bin 15), last.
    expect(c.residuals.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(c.residuals.counts[0]).toBe(1);
    expect(c.residuals.counts[15]).toBe(1);
    expect(c.residuals.counts[29]).toBe(1);
  });

  it('draws at most MAX_SCATTER points', () => {
    const n = 10_001;
    const y = Array.from({ length: n }, (_, i) => i);
    const c = regressionCharts(y, y);
    if (c.kind !== 'regression') throw new Error('kind');
    // every ⌈10001/2000⌉ = 6th row: indices 0, 6, …, 9996 → 1667 points.
    expect(c.scatter.actual).toHaveLength(Math.ceil(n / 6));
    expect(c.scatter.actual.length).toBeLessThanOrEqual(MAX_SCATTER);
  });
});

describe('Function: multiclassCharts', () => {
  it('takes the argmax class and gives recall per class (null for an empty class)', () => {
    // 3 classes; rows: y=0 p→0, y=0 p→1, y=1 p→1.
    const probs = [0.7, 0.2, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1];
    const c = multiclassCharts([0, 0, 1], probs, 3, ['a', 'b', 'c']);
    if (c.kind !== 'multiclass') throw new Error('kind');
    expect(c.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    expect(c.perClassAccuracy).toEqual([0.5, 1, null]);
  });
});

describe('Function: binValues', () => {
  it('puts the maximum in the last bin and one bin for constant values', () => {
    expect(binValues([0, 1, 2, 3, 4], 4).counts).toEqual([1, 1, 1, 2]);
    expect(binValues([2, 2], 5)).toEqual({ edges: [2, 2], counts: [2] });
  });
});
