/**
 * Mergeable summary of one column: count, mean, sum of squared deviations (`m2`), min, max.
 * Two summaries of disjoint parts merge exactly into the summary of the union (Chan, Golub &
 * LeVeque 1979, the parallel form of Welford's update), so shards, workers or file halves can be
 * summarised independently.
 */
export interface ColumnStats {
  readonly count: number;
  readonly mean: number;
  readonly m2: number;
  readonly min: number;
  readonly max: number;
}

/** Summary of no values: the identity of {@link mergeStats}. */
export const EMPTY_STATS: ColumnStats = Object.freeze({
  count: 0,
  mean: 0,
  m2: 0,
  min: Number.POSITIVE_INFINITY,
  max: Number.NEGATIVE_INFINITY,
});

/**
 * Merges the summaries of two disjoint sets of values:
 * `δ = mean_b − mean_a`, `mean = mean_a + δ·n_b/n`, `m2 = m2_a + m2_b + δ²·n_a·n_b/n`.
 *
 * @example
 * mergeStats(statsOf([1, 2]), statsOf([3])) // same as statsOf([1, 2, 3])
 */
export function mergeStats(a: ColumnStats, b: ColumnStats): ColumnStats {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** Summary of a list of values (two-pass: mean first, then squared deviations). */
export function statsOf(values: ArrayLike<number>): ColumnStats {
  return stridedStats(values, 0, 1, values.length);
}

/**
 * Summary of `count` values `data[offset + i·stride]`: one column of a row-major block.
 * Two passes over the block keep `m2` accurate even when the mean is large.
 */
export function stridedStats(
  data: ArrayLike<number>,
  offset: number,
  stride: number,
  count: number,
): ColumnStats {
  if (count === 0) return EMPTY_STATS;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0, p = offset; i < count; i++, p += stride) {
    const v = data[p]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / count;
  let m2 = 0;
  for (let i = 0, p = offset; i < count; i++, p += stride) {
    const d = data[p]! - mean;
    m2 += d * d;
  }
  return { count, mean, m2, min, max };
}

/**
 * Population variance `m2 / count`. Standardisation uses this one (see `fitTransform`): with the
 * population standard deviation the covariance of the standardised data is exactly the
 * correlation matrix that PCA decomposes.
 */
export function populationVariance(s: ColumnStats): number {
  return s.count > 0 ? s.m2 / s.count : 0;
}

/** Unbiased sample variance `m2 / (count − 1)`, for reporting. */
export function sampleVariance(s: ColumnStats): number {
  return s.count > 1 ? s.m2 / (s.count - 1) : 0;
}
