/**
 * Cholesky factorisation A = L·Lᵀ of a symmetric positive semi-definite matrix that may be
 * singular: a column whose pivot falls below `relTol` times its own diagonal (its variance left
 * after projecting out the columns before it) is DROPPED — its row and column of L become the
 * unit vector, and the solve sets its unknown to 0. That is the solution of the system with the
 * column removed (what R's lm and Spark's WeightedLeastSquares do with aliased columns), never a
 * NaN. A column whose diagonal is ≤ `absTol`·max diagonal (a constant column after
 * standardisation) is dropped too.
 */
export interface Cholesky {
  readonly n: number;
  /** Lower triangle, row-major n×n. */
  readonly l: Float64Array;
  /** Dropped column indices, ascending. */
  readonly dropped: number[];
}

export const CHOLESKY_REL_TOL = 1e-10;
export const CHOLESKY_ABS_TOL = 1e-12;

/**
 * Factorises the dense row-major symmetric `a` (n×n, not modified).
 *
 * @example
 * // [[4, 2], [2, 3]] = L·Lᵀ with L = [[2, 0], [1, √2]]
 * choleskyWithDrops(Float64Array.of(4, 2, 2, 3), 2).l; // [2, 0, 1, 1.414…]
 */
export function choleskyWithDrops(
  a: Float64Array,
  n: number,
  relTol = CHOLESKY_REL_TOL,
  absTol = CHOLESKY_ABS_TOL,
): Cholesky {
  const l = new Float64Array(n * n);
  const dropped: number[] = [];
  const isDropped = new Uint8Array(n);
  let maxDiag = 0;
  for (let j = 0; j < n; j++) maxDiag = Math.max(maxDiag, a[j * n + j]!);
  for (let j = 0; j < n; j++) {
    const ajj = a[j * n + j]!;
    let d = ajj;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!;
    if (!(ajj > absTol * maxDiag) || !(d > relTol * ajj)) {
      isDropped[j] = 1;
      dropped.push(j);
      for (let k = 0; k < j; k++) l[j * n + k] = 0;
      l[j * n + j] = 1;
      continue;
    }
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return { n, l, dropped };
}

/** Solves L·Lᵀ·x = b; dropped unknowns are 0. */
export function choleskySolve(f: Cholesky, b: ArrayLike<number>): Float64Array {
  const { n, l } = f;
  const skip = new Uint8Array(n);
  for (const j of f.dropped) skip[j] = 1;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if (skip[i]) continue;
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
