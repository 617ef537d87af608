import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import {
  binFractions,
  type DistributionView,
  driftReport,
  type LogBucketHistogram,
  logBucketView,
  psi,
  psiFromCdf,
} from '../../../lib/registry/index.js';

/** mulberry32: a small seeded PRNG so the samples are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n Box–Muller draws from N(mean, 1). */
function normalSamples(n: number, mean: number, seed: number): number[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, () => {
    const u = 1 - rand();
    return mean + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  });
}

/** What the data pipeline produces: value x > 0 goes to bucket ceil(log_γ x), covering (γ^(i−1), γ^i]. */
function logHistogram(values: readonly number[], gamma: number): LogBucketHistogram {
  const positive: Record<string, number> = {};
  const negative: Record<string, number> = {};
  let zeroCount = 0;
  for (const x of values) {
    if (x === 0) {
      zeroCount += 1;
      continue;
    }
    const store = x > 0 ? positive : negative;
    const index = String(Math.ceil(Math.log(Math.abs(x)) / Math.log(gamma)));
    store[index] = (store[index] ?? 0) + 1;
  }
  return { gamma, zeroCount, positive, negative, count: values.length };
}

/** Uniform distribution on [lo, hi] as a DistributionView. */
function uniform(lo: number, hi: number): DistributionView {
  return {
    cdf: (x) => Math.min(1, Math.max(0, (x - lo) / (hi - lo))),
    quantile: (q) => lo + q * (hi - lo),
  };
}

describe('Function: psi', () => {
  it('matches hand arithmetic for 2 and 3 bins', () => {
    // Act
    // 2 bins, e = [0.5, 0.5], a = [0.8, 0.2]:
    //   (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5) = 0.3·ln 1.6 + 0.3·ln 2.5
    //   = 0.3·0.470004 + 0.3·0.916291 = 0.141001 + 0.274887 = 0.415888
    const two = psi([0.5, 0.5], [0.8, 0.2]);
    // 3 bins, e = [0.25, 0.5, 0.25], a = [0.25, 0.25, 0.5]:
    //   0 + (−0.25)·ln(0.5) + 0.25·ln 2 = 2·0.25·0.693147 = 0.346574
    const three = psi([0.25, 0.5, 0.25], [0.25, 0.25, 0.5]);

    // Assess
    expect(two).toBeCloseTo(0.415888, 6);
    expect(three).toBeCloseTo(0.346574, 6);
  });

  it('floors an empty bin at epsilon instead of dividing by zero', () => {
    // Act: e = [0.5, 0.5], a = [1, 0 → 1e-4]:
    //   0.5·ln 2 + (1e-4 − 0.5)·ln(1e-4/0.5) = 0.346574 + 0.4999·8.517193 = 0.346574 + 4.257745 = 4.604318
    const value = psi([0.5, 0.5], [1, 0]);

    // Assess
    expect(value).toBeCloseTo(4.604318, 5);
  });

  it('is 0 for identical binnings and refuses mismatched ones', () => {
    expect(psi([0.1, 0.2, 0.7], [0.1, 0.2, 0.7])).toBe(0);
    expect(() => psi([0.5, 0.5], [1])).toThrow(UsageError);
  });
});

describe('Function: psiFromCdf', () => {
  it('bins the actual CDF at the expected edges (equal expected fractions by default)', () => {
    // Act: one edge at 0; actual U(−1, 4) has F(0) = 1/5 → a = [0.2, 0.8], e = [0.5, 0.5]
    //   (0.2 − 0.5)·ln 0.4 + (0.8 − 0.5)·ln 1.6 = 0.274887 + 0.141001 = 0.415888
    const value = psiFromCdf({ expectedQuantileEdges: [0], actualCdf: uniform(-1, 4).cdf });

    // Assess
    expect(value).toBeCloseTo(0.415888, 6);
  });

  it('uses the expected CDF when given', () => {
    // Act: edges [1, 2]; expected U(0, 4) → e = [0.25, 0.25, 0.5]; actual U(0, 2) → a = [0.5, 0.5, 0]
    //   0.25·ln 2 + 0.25·ln 2 + (1e-4 − 0.5)·ln(1e-4/0.5) = 0.346574 + 4.257745 = 4.604318
    const value = psiFromCdf({
      expectedQuantileEdges: [1, 2],
      expectedCdf: uniform(0, 4).cdf,
      actualCdf: uniform(0, 2).cdf,
    });

    // Assess
    expect(binFractions([1, 2], uniform(0, 4).cdf)).toEqual([0.25, 0.25, 0.5]);
    expect(value).toBeCloseTo(4.604318, 5);
  });
});

describe('Function: logBucketView', () => {
  it('spreads each bucket uniformly over its range', () => {
    // Prepare: γ = 2; bucket 1 = (1, 2] holds 2, bucket 2 = (2, 4] holds 2
    const view = logBucketView({
      gamma: 2,
      zeroCount: 0,
      positive: { '1': 2, '2': 2 },
      negative: {},
      count: 4,
    });

    // Act + Assess: F(3) = (2 + 2·(3 − 2)/(4 − 2)) / 4 = 0.75; quantile(0.25) = 1 + 0.5·(2 − 1) = 1.5
    expect([view.cdf(0.5), view.cdf(2), view.cdf(3), view.cdf(10)]).toEqual([0, 0.5, 0.75, 1]);
    expect([view.quantile(0.25), view.quantile(0.5), view.quantile(0.75)]).toEqual([1.5, 2, 3]);
  });

  it('orders negative buckets, zeros and positive buckets by value', () => {
    // Prepare: γ = 2; one value in [−2, −1), two zeros, one value in (1, 2]
    const view = logBucketView({
      gamma: 2,
      zeroCount: 2,
      positive: { '1': 1 },
      negative: { '1': 1 },
      count: 4,
    });

    // Act + Assess: F(−1.5) = 0.5·1/4 = 0.125; F(−0.5) = 1/4; F(0) = 3/4; F(1.5) = (3 + 0.5)/4 = 0.875
    expect([view.cdf(-1.5), view.cdf(-0.5), view.cdf(0), view.cdf(1.5)]).toEqual([0.125, 0.25, 0.75, 0.875]);
    expect(view.quantile(0.5)).toBe(0);
  });

  it('refuses an empty histogram', () => {
    expect(() => logBucketView({ gamma: 2, zeroCount: 0, positive: {}, negative: {}, count: 0 })).toThrow(
      UsageError,
    );
  });
});

describe('Function: driftReport', () => {
  it('reports PSI 0 for identical distributions', () => {
    // Prepare
    const histogram = logHistogram(normalSamples(5000, 10, 1), 1.01);

    // Act
    const report = driftReport({ x1: histogram, x2: histogram }, { x1: histogram, x2: histogram });

    // Assess
    expect(report).toEqual({
      features: [
        { feature: 'x1', psi: 0, drifted: false },
        { feature: 'x2', psi: 0, drifted: false },
      ],
      drifted: false,
      maxPsi: 0,
      threshold: 0.2,
    });
  });

  it('flags a normal shifted by one standard deviation and not one shifted by 0.05', () => {
    // Prepare: reference N(10, 1); current N(11, 1) for `shifted`, N(10.05, 1) for `steady`.
    // Exact decile-binned PSI of N(0,1) vs N(d,1), from the normal CDF at the deciles
    // z = ±1.2816, ±0.8416, ±0.5244, ±0.2533, 0: d = 1 → 0.9261, d = 0.05 → 0.0024
    // (both below the unbinned J-divergence d², as binning can only lose information).
    const reference = logHistogram(normalSamples(20_000, 10, 7), 1.01);
    const shifted = logHistogram(normalSamples(20_000, 11, 8), 1.01);
    const steady = logHistogram(normalSamples(20_000, 10.05, 9), 1.01);

    // Act
    const report = driftReport({ shifted: reference, steady: reference }, { shifted, steady, extra: steady });

    // Assess
    const [shiftedDrift, steadyDrift] = [report.features[0]!, report.features[1]!];
    expect(shiftedDrift.feature).toBe('shifted');
    expect(shiftedDrift.psi).toBeGreaterThan(0.2);
    expect(shiftedDrift.psi).toBeCloseTo(0.926, 1);
    expect(shiftedDrift.drifted).toBe(true);
    expect(steadyDrift.psi).toBeLessThan(0.02);
    expect(steadyDrift.drifted).toBe(false);
    expect(report.drifted).toBe(true);
    expect(report.maxPsi).toBe(shiftedDrift.psi);
    expect(report.features).toHaveLength(2);
  });

  it('accepts any CDF/quantile view and cuts bins at the reference quantiles', () => {
    // Prepare: 2 bins cut at the reference U(0, 1) median 0.5 → e = [0.5, 0.5];
    // current U(0, 2): F(0.5) = 0.25 → a = [0.25, 0.75]
    // PSI = (0.25 − 0.5)·ln 0.5 + (0.75 − 0.5)·ln 1.5 = 0.173287 + 0.101366 = 0.274653
    const report = driftReport({ x: uniform(0, 1) }, { x: uniform(0, 2) }, { bins: 2, threshold: 0.3 });

    // Assess
    expect(report.features[0]!.psi).toBeCloseTo(0.274653, 6);
    expect(report.drifted).toBe(false);
  });

  it('refuses current data that lacks a reference feature', () => {
    expect(() => driftReport({ x: uniform(0, 1), y: uniform(0, 1) }, { x: uniform(0, 1) })).toThrow(
      /feature\(s\) y/,
    );
  });
});
