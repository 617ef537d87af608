/**
 * Mergeable co-moments of several columns: the mean vector and
 * `C[i][j] = Σ (x_i − mean_i)(x_j − mean_j)` (so `C / count` is the population covariance).
 * Stored as the upper triangle, row by row, to halve the work and the size.
 */
export interface Comoments {
  readonly count: number;
  readonly mean: number[];
  /** Upper triangle of C, row-major: entries (0,0) (0,1) … (0,d−1) (1,1) … (d−1,d−1). */
  readonly upper: number[];
}

/** Number of entries of the upper triangle of a d×d matrix. */
export function upperSize(d: number): number {
  return (d * (d + 1)) / 2;
}

/** Co-moments of nothing over `d` columns: the identity of {@link mergeComoments}. */
export function emptyComoments(d: number): Comoments {
  return { count: 0, mean: new Array<number>(d).fill(0), upper: new Array<number>(upperSize(d)).fill(0) };
}

/**
 * Exact pairwise merge (Chan, Golub & LeVeque): with `δ = mean_b − mean_a`,
 * `C = C_a + C_b + δ δᵀ · n_a n_b / n` and `mean = mean_a + δ n_b / n`.
 */
export function mergeComoments(a: Comoments, b: Comoments): Comoments {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const d = a.mean.length;
  const count = a.count + b.count;
  const delta = b.mean.map((m, i) => m - a.mean[i]!);
  const factor = (a.count * b.count) / count;
  const upper = new Array<number>(a.upper.length);
  let k = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++, k++) {
      upper[k] = a.upper[k]! + b.upper[k]! + delta[i]! * delta[j]! * factor;
    }
  }
  return { count, mean: a.mean.map((m, i) => m + (delta[i]! * b.count) / count), upper };
}

/**
 * Co-moments of `rows` rows of a row-major block with `stride` values per row, over the columns
 * listed in `columns` (two passes: means, then centred products).
 */
export function blockComoments(
  data: ArrayLike<number>,
  rows: number,
  stride: number,
  columns: readonly number[],
): Comoments {
  const d = columns.length;
  if (rows === 0) return emptyComoments(d);
  const mean = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const base = r * stride;
    for (let i = 0; i < d; i++) mean[i]! += data[base + columns[i]!]!;
  }
  for (let i = 0; i < d; i++) mean[i]! /= rows;
  const upper = new Float64Array(upperSize(d));
  const centred = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const base = r * stride;
    for (let i = 0; i < d; i++) centred[i] = data[base + columns[i]!]! - mean[i]!;
    let k = 0;
    for (let i = 0; i < d; i++) {
      const ci = centred[i]!;
      for (let j = i; j < d; j++, k++) upper[k]! += ci * centred[j]!;
    }
  }
  return { count: rows, mean: Array.from(mean), upper: Array.from(upper) };
}

/** Entry (i, j) of the full symmetric co-moment matrix. */
export function comomentAt(c: Comoments, i: number, j: number): number {
  const d = c.mean.length;
  const [r, s] = i <= j ? [i, j] : [j, i];
  // Row r of the upper triangle starts after r rows of lengths d, d−1, …
  return c.upper[r * d - (r * (r - 1)) / 2 + (s - r)]!;
}
