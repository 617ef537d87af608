import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { driftReport, psi, psiFromCdf, quantileEdges } from '../../../lib/registry/drift.js';
import type { DistributionView } from '../../../lib/registry/log-bucket-histogram.js';

/** Uniform on [lo, hi]: cdf and quantile in closed form. */
const uniform = (lo: number, hi: number): DistributionView => ({
  cdf: (x) => Math.min(1, Math.max(0, (x - lo) / (hi - lo))),
  quantile: (q) => lo + q * (hi - lo),
});

/** A point mass at `at`. */
const point = (at: number): DistributionView => ({ cdf: (x) => (x >= at ? 1 : 0), quantile: () => at });

describe('Function: psi (refusals)', () => {
  it('refuses empty and mismatched binnings, naming both lengths', () => {
    expect(() => psi([], [])).toThrow(new UsageError('PSI needs two binnings of the same bins, got 0 and 0'));
    expect(() => psi([0.5, 0.5], [1])).toThrow(
      new UsageError('PSI needs two binnings of the same bins, got 2 and 1'),
    );
  });
});

describe('Function: psiFromCdf (edges)', () => {
  it('refuses descending edges', () => {
    expect(() => psiFromCdf({ expectedQuantileEdges: [2, 1], actualCdf: () => 0.5 })).toThrow(
      new UsageError('PSI bin edges must be ascending'),
    );
    expect(() => psiFromCdf({ expectedQuantileEdges: [-1, -2], actualCdf: () => 0.5 })).toThrow(UsageError);
  });

  it('accepts equal and negative ascending edges', () => {
    // Equal fractions expected; a point mass at 0 puts everything in the first of three bins.
    const eps = 1e-4;
    const third = 1 / 3;
    const closed = (1 - third) * Math.log(1 / third) + 2 * (eps - third) * Math.log(eps / third);
    expect(psiFromCdf({ expectedQuantileEdges: [-3, -2], actualCdf: point(-5).cdf })).toBeCloseTo(closed, 12);
    expect(psiFromCdf({ expectedQuantileEdges: [1, 1], actualCdf: point(0).cdf })).toBeCloseTo(closed, 12);
  });
});

describe('Function: quantileEdges', () => {
  it.each([1, 0, -2, 2.5, Number.NaN])('refuses %d bins', (bins) => {
    expect(() => quantileEdges(uniform(0, 1), bins)).toThrow(
      new UsageError(`PSI needs at least 2 bins, got ${bins}`),
    );
  });

  it('cuts a uniform distribution at k/bins', () => {
    expect(quantileEdges(uniform(0, 8), 4)).toEqual([2, 4, 6]);
    expect(quantileEdges(uniform(0, 8), 2)).toEqual([4]);
  });

  it('drops repeated edges (a distribution with atoms)', () => {
    // Half the mass at 0, half at 1: the 25 % quantile is 0, the 50 % and 75 % ones are 1.
    const twoAtoms: DistributionView = {
      cdf: (x) => (x >= 1 ? 1 : x >= 0 ? 0.5 : 0),
      quantile: (q) => (q <= 0.5 ? (q <= 0.25 ? 0 : 1) : 1),
    };
    expect(quantileEdges(twoAtoms, 4)).toEqual([0, 1]);
    expect(quantileEdges(point(3), 10)).toEqual([3]);
  });
});

describe('Function: driftReport (options and order)', () => {
  it('names every missing feature, comma-separated', () => {
    expect(() =>
      driftReport({ a: uniform(0, 1), b: uniform(0, 1), c: uniform(0, 1) }, { b: uniform(0, 1) }),
    ).toThrow(new UsageError('current data has no histogram for feature(s) a, c'));
  });

  it('reports features sorted by name, whatever the key order', () => {
    const report = driftReport(
      { zeta: uniform(0, 1), alpha: uniform(0, 1), mid: uniform(0, 1) },
      {
        mid: uniform(0, 1),
        zeta: uniform(0, 1),
        alpha: uniform(0, 1),
      },
    );
    expect(report.features.map((f) => f.feature)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('counts a feature as drifted only above the threshold (equal is not drifted)', () => {
    // Identical distributions: every term is (e − e)·ln 1 = 0 exactly.
    const report = driftReport({ x: uniform(0, 1) }, { x: uniform(0, 1) }, { threshold: 0 });
    expect(report.features).toEqual([{ feature: 'x', psi: 0, drifted: false }]);
    expect(report.drifted).toBe(false);
    expect(report.threshold).toBe(0);
  });

  it('uses the epsilon it is given for empty bins', () => {
    // Reference uniform on [0, 1] in 2 bins (edge 0.5): expected [½, ½]; current all below 0.5: [1, 0].
    const closed = (eps: number) => (1 - 0.5) * Math.log(1 / 0.5) + (eps - 0.5) * Math.log(eps / 0.5);
    const current = { x: point(0.25) };
    const given = driftReport({ x: uniform(0, 1) }, current, { bins: 2, epsilon: 0.01 });
    const fallback = driftReport({ x: uniform(0, 1) }, current, { bins: 2 });
    expect(given.features[0]!.psi).toBeCloseTo(closed(0.01), 12);
    expect(fallback.features[0]!.psi).toBeCloseTo(closed(1e-4), 12);
    expect(given.maxPsi).toBeCloseTo(closed(0.01), 12);
  });
});
