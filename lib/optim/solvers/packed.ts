/**
 * Symmetric matrices in packed upper-triangle storage, row by row: row i holds columns i..n−1.
 * Workers send Hessians and Gram matrices this way (n(n+1)/2 numbers instead of n²).
 */

/** Number of stored entries of an n×n symmetric matrix: n(n+1)/2. */
export function packedLength(n: number): number {
  return (n * (n + 1)) / 2;
}

/**
 * Offset of row i: the rows before it hold n + (n−1) + … + (n−i+1) = i·n − i(i−1)/2 entries.
 *
 * @example
 * packedRowStart(3, 1); // 3: row 0 is (0,0) (0,1) (0,2)
 */
export function packedRowStart(n: number, i: number): number {
  return i * n - (i * (i - 1)) / 2;
}

/** Index of entry (i, j) for i ≤ j (callers order the pair). */
export function packedIndex(n: number, i: number, j: number): number {
  return packedRowStart(n, i) + (j - i);
}

/** The full n×n row-major matrix of a packed upper triangle. */
export function unpackSymmetric(packed: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const start = packedRowStart(n, i) - i;
    for (let j = i; j < n; j++) {
      const v = packed[start + j]!;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/** out[k] += a[k] for every k (sums partitions' packed matrices in a fixed order). */
export function addInto(out: Float64Array, a: ArrayLike<number>): void {
  for (let k = 0; k < out.length; k++) out[k] = out[k]! + a[k]!;
}
