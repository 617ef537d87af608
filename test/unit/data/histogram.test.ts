import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Histogram,
  HistogramBuilder,
  histogramCdf,
  histogramQuantile,
  mergeHistograms,
} from '../../../lib/data/index.js';

function histogramOf(xs: readonly number[]): Histogram {
  const b = new HistogramBuilder(0.01);
  for (const x of xs) b.add(x);
  return b.build();
}

describe('Class: HistogramBuilder', () => {
  it('puts 1 in bucket 0 and 1.0202 (= γ) in bucket 1, zero apart', () => {
    // Prepare: γ = 1.01/0.99 = 1.020202…; ceil(log_γ 1) = 0, ceil(log_γ 1.02) = 1
    const h = histogramOf([1, 1.02, 0, -1]);
    // Assess
    expect(h.positive).toEqual({ offset: 0, counts: [1, 1] });
    expect(h.negative).toEqual({ offset: 0, counts: [1] });
    expect(h.zeroCount).toBe(1);
    expect(h.count).toBe(4);
  });
});

describe('Function: histogramQuantile', () => {
  it('finds the quantiles of 1..1000 within 1 %', () => {
    // Prepare
    const h = histogramOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Act / Assess: value of rank ⌊q·999⌋ (0-based) is ⌊q·999⌋ + 1
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.9, 0.99]) {
      const exact = Math.floor(q * 999) + 1;
      expect(Math.abs(histogramQuantile(h, q) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(histogramQuantile(h, 0)).toBe(1);
    expect(histogramQuantile(h, 1)).toBe(1000);
  });

  it('orders negative values, zero and positive values', () => {
    // Prepare: sorted = −100, −10, 0, 10, 100; rank ⌊0.25·4⌋ = 1 → −10, rank 2 → 0
    const h = histogramOf([10, -100, 0, 100, -10]);
    expect(histogramQuantile(h, 0.25)).toBeCloseTo(-10, 0);
    expect(histogramQuantile(h, 0.5)).toBe(0);
    expect(histogramQuantile(h, 0.75)).toBeCloseTo(10, 0);
  });

  it('is NaN for an empty histogram', () => {
    expect(histogramQuantile(histogramOf([]), 0.5)).toBeNaN();
  });
});

describe('Function: histogramCdf', () => {
  it('gives the fraction at or below x for 1..100', () => {
    const h = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(histogramCdf(h, 0)).toBe(0);
    expect(histogramCdf(h, 100)).toBe(1);
    // 1..50 are ≤ 50.5; buckets near 50.5 are 2 % wide, so allow one value either side.
    expect(Math.abs(histogramCdf(h, 50.5) - 0.5)).toBeLessThanOrEqual(0.01);
  });
});

describe('Function: mergeHistograms', () => {
  it('merging histograms of two halves equals the histogram of the whole, exactly', () => {
    const xs = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 100 });
    fc.assert(
      fc.property(xs, xs, (a, b) => {
        expect(mergeHistograms(histogramOf(a), histogramOf(b))).toEqual(histogramOf([...a, ...b]));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses different accuracies', () => {
    expect(() => mergeHistograms(histogramOf([1]), new HistogramBuilder(0.02).build())).toThrow(RangeError);
  });
});
