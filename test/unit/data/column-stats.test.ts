import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockComoments,
  comomentAt,
  EMPTY_STATS,
  mergeComoments,
  mergeStats,
  populationVariance,
  sampleVariance,
  statsOf,
} from '../../../lib/data/index.js';

function closeRel(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), {
  minLength: 1,
  maxLength: 200,
});

describe('Function: statsOf', () => {
  it('summarises 2, 4, 4, 4, 5, 5, 7, 9 (the textbook example)', () => {
    // Prepare / Act
    const s = statsOf([2, 4, 4, 4, 5, 5, 7, 9]);
    // Assess: mean = 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32
    expect(s).toEqual({ count: 8, mean: 5, m2: 32, min: 2, max: 9 });
    expect(populationVariance(s)).toBe(4); // 32/8
    expect(sampleVariance(s)).toBeCloseTo(32 / 7, 12);
  });
});

describe('Function: mergeStats', () => {
  it('merges [1, 2] and [3, 4, 5] into the summary of 1..5', () => {
    // Prepare: a = {n 2, mean 1.5, m2 0.5}; b = {n 3, mean 4, m2 2}
    const a = statsOf([1, 2]);
    const b = statsOf([3, 4, 5]);
    // Act
    const m = mergeStats(a, b);
    // Assess: δ = 2.5, mean = 1.5 + 2.5·3/5 = 3, m2 = 0.5 + 2 + 6.25·2·3/5 = 10 (= 4+1+0+1+4)
    expect(m).toEqual({ count: 5, mean: 3, m2: 10, min: 1, max: 5 });
  });

  it('has the empty summary as identity', () => {
    const s = statsOf([3, 7]);
    expect(mergeStats(EMPTY_STATS, s)).toEqual(s);
    expect(mergeStats(s, EMPTY_STATS)).toEqual(s);
  });

  it('merging the halves of any list equals the summary of the whole (1e-9 relative)', () => {
    fc.assert(
      fc.property(values, fc.nat(), (xs, cut) => {
        // Prepare
        const k = cut % (xs.length + 1);
        // Act
        const merged = mergeStats(statsOf(xs.slice(0, k)), statsOf(xs.slice(k)));
        const whole = statsOf(xs);
        // Assess
        expect(merged.count).toBe(whole.count);
        closeRel(merged.mean, whole.mean);
        // m2 can be tiny relative to the data's scale: compare on the scale of Σx².
        const scale = xs.reduce((s, x) => s + x * x, 0);
        expect(Math.abs(merged.m2 - whole.m2)).toBeLessThanOrEqual(1e-9 * Math.max(1, scale));
        expect(merged.min).toBe(whole.min);
        expect(merged.max).toBe(whole.max);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Function: mergeComoments', () => {
  it('computes the co-moment of x = (1, 2, 3) and y = (2, 4, 7) by hand', () => {
    // Prepare: means 2 and 13/3; centred x = (−1, 0, 1), y = (−7/3, −1/3, 8/3)
    const data = [1, 2, 2, 4, 3, 7];
    // Act
    const c = blockComoments(data, 3, 2, [0, 1]);
    // Assess: Cxx = 2, Cxy = 7/3 + 0 + 8/3 = 5, Cyy = (49 + 1 + 64)/9 = 114/9
    expect(c.count).toBe(3);
    expect(comomentAt(c, 0, 0)).toBeCloseTo(2, 12);
    expect(comomentAt(c, 0, 1)).toBeCloseTo(5, 12);
    expect(comomentAt(c, 1, 0)).toBeCloseTo(5, 12);
    expect(comomentAt(c, 1, 1)).toBeCloseTo(114 / 9, 12);
  });

  it('merging the co-moments of two row blocks equals those of all rows (1e-9 relative)', () => {
    const row = fc.tuple(
      fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(row, { minLength: 2, maxLength: 60 }), fc.nat(), (rows, cut) => {
        // Prepare
        const k = 1 + (cut % (rows.length - 1));
        const flat = rows.flat();
        // Act
        const merged = mergeComoments(
          blockComoments(flat.slice(0, k * 3), k, 3, [0, 1, 2]),
          blockComoments(flat.slice(k * 3), rows.length - k, 3, [0, 1, 2]),
        );
        const whole = blockComoments(flat, rows.length, 3, [0, 1, 2]);
        // Assess
        const scale = flat.reduce((s, x) => s + x * x, 0);
        merged.upper.forEach((v, i) => {
          expect(Math.abs(v - whole.upper[i]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, scale));
        });
        merged.mean.forEach((v, i) => {
          closeRel(v, whole.mean[i]!);
        });
      }),
      { numRuns: 100 },
    );
  });
});
