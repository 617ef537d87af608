import { UsageError } from '../errors.js';

/**
 * A mergeable DDSketch-style histogram of one column, as the data pipeline writes it.
 * Bucket `i` of `positive` holds values in (γ^(i−1), γ^i]; bucket `i` of `negative` holds values
 * whose magnitude is in that range; `zeroCount` holds zeros (and values too small to bucket).
 */
export interface LogBucketHistogram {
  readonly gamma: number;
  readonly zeroCount: number;
  /** Bucket index (as a string key) → count. */
  readonly positive: Readonly<Record<string, number>>;
  readonly negative: Readonly<Record<string, number>>;
  readonly count: number;
}

/** Any one-dimensional distribution PSI can be computed from: a CDF and its inverse. */
export interface DistributionView {
  /** P(X ≤ x), non-decreasing, in [0, 1]. */
  cdf(x: number): number;
  /** Smallest x with cdf(x) ≥ q, for q in [0, 1]. */
  quantile(q: number): number;
}

interface Bucket {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** True when `h` looks like a {@link LogBucketHistogram} (as opposed to a ready {@link DistributionView}). */
export function isLogBucketHistogram(h: LogBucketHistogram | DistributionView): h is LogBucketHistogram {
  return 'gamma' in h && 'positive' in h;
}

/**
 * Reads a log-bucket histogram as a distribution, spreading each bucket's count uniformly over
 * its value range (the zero bucket is a point mass at 0). The total is the sum of the buckets.
 */
export function logBucketView(h: LogBucketHistogram): DistributionView {
  if (!(h.gamma > 1)) throw new UsageError(`histogram gamma must be > 1, got ${h.gamma}`);
  const buckets = sortedBuckets(h);
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (!(total > 0)) throw new UsageError('histogram is empty: drift needs at least one value per column');
  return {
    cdf(x: number): number {
      let below = 0;
      for (const b of buckets) {
        if (x >= b.hi) below += b.count;
        else if (x > b.lo) below += (b.count * (x - b.lo)) / (b.hi - b.lo);
        else break;
      }
      return Math.min(1, below / total);
    },
    quantile(q: number): number {
      const target = Math.min(1, Math.max(0, q)) * total;
      let cumulative = 0;
      for (const b of buckets) {
        if (cumulative + b.count >= target) {
          return b.hi === b.lo ? b.lo : b.lo + ((target - cumulative) / b.count) * (b.hi - b.lo);
        }
        cumulative += b.count;
      }
      return buckets[buckets.length - 1]?.hi ?? 0;
    },
  };
}

function sortedBuckets(h: LogBucketHistogram): Bucket[] {
  const entries = (store: Readonly<Record<string, number>>) =>
    Object.entries(store)
      .map(([index, count]) => ({ index: Number(index), count }))
      .filter((e) => Number.isFinite(e.index) && e.count > 0);
  const negative = entries(h.negative)
    .sort((a, b) => b.index - a.index)
    .map(({ index, count }) => ({ lo: -(h.gamma ** index), hi: -(h.gamma ** (index - 1)), count }));
  const positive = entries(h.positive)
    .sort((a, b) => a.index - b.index)
    .map(({ index, count }) => ({ lo: h.gamma ** (index - 1), hi: h.gamma ** index, count }));
  const zero = h.zeroCount > 0 ? [{ lo: 0, hi: 0, count: h.zeroCount }] : [];
  return [...negative, ...zero, ...positive];
}
