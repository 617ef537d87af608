import { describe, expect, it } from 'vitest';
import type { ColumnManifest } from '../../../lib/data/index.js';
import { HistogramBuilder } from '../../../lib/data/index.js';
import { columnSummary, HISTOGRAM_BINS, rowsAtOrBelow } from '../../../lib/report/dataset-charts.js';

const stats = (values: number[]) => {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return {
    count: n,
    mean,
    m2: values.reduce((a, v) => a + (v - mean) ** 2, 0),
    min: Math.min(...values),
    max: Math.max(...values),
  };
};

describe('Function: columnSummary', () => {
  it('bins a numeric column’s sketch into equal-width bars that add up to its rows', () => {
    // 0.5, 1.5, …, 239.5: 240 values spread evenly, 10 per bin of width 239/24 ≈ 9.96.
    const values = Array.from({ length: 240 }, (_, i) => i + 0.5);
    const h = new HistogramBuilder();
    for (const v of values) h.add(v);
    const column: ColumnManifest = {
      name: 'x',
      index: 0,
      type: 'numeric',
      stats: stats(values),
      histogram: h.build(),
    };

    const s = columnSummary(column);

    expect(s.bars?.counts).toHaveLength(HISTOGRAM_BINS);
    expect(s.bars?.counts.reduce((a, b) => a + b, 0)).toBe(240);
    // Exact count per bin, against which the sketch may move a value x by its bucket resolution
    // (1 % of x) across an edge: at most ⌈1 % · edge⌉ values at each of the bin's two edges.
    const width = 239 / HISTOGRAM_BINS;
    s.bars?.counts.forEach((c, b) => {
      const lo = 0.5 + b * width;
      const hi = 0.5 + (b + 1) * width;
      const exact = values.filter((v) => (b === 0 ? v >= lo : v > lo) && v <= hi).length;
      expect(Math.abs(c - exact)).toBeLessThanOrEqual(Math.ceil(0.01 * lo) + Math.ceil(0.01 * hi));
    });
    // population std of 0.5..239.5 = sqrt((240² − 1)/12)
    expect(s.std).toBeCloseTo(Math.sqrt((240 * 240 - 1) / 12), 9);
  });

  it('draws a categorical column as rows per category', () => {
    const column: ColumnManifest = {
      name: 'c',
      index: 1,
      type: 'categorical',
      stats: stats([0, 1, 1]),
      categories: ['a', 'b'],
      categoryCounts: [1, 2],
    };
    expect(columnSummary(column).bars).toEqual({ labels: ['a', 'b'], x: [0, 1], counts: [1, 2] });
  });
});

describe('Function: rowsAtOrBelow', () => {
  it('spreads a bucket’s rows evenly over its value range', () => {
    // α = 0.01 → γ = 1.01/0.99; 100 falls in bucket i = ⌈ln 100 / ln γ⌉, range (γ^(i−1), γ^i].
    const b = new HistogramBuilder(0.01);
    b.add(100);
    b.add(100);
    b.add(-100);
    const h = b.build();
    const gamma = 1.01 / 0.99;
    const i = Math.ceil(Math.log(100) / Math.log(gamma));
    const lo = gamma ** (i - 1);
    const hi = gamma ** i;
    expect(rowsAtOrBelow(h, lo)).toBeCloseTo(1, 12); // only −100
    expect(rowsAtOrBelow(h, (lo + hi) / 2)).toBeCloseTo(1 + 2 * 0.5, 12);
    expect(rowsAtOrBelow(h, hi)).toBeCloseTo(3, 12);
    expect(rowsAtOrBelow(h, -(lo + hi) / 2)).toBeCloseTo(0.5, 12);
  });
});
