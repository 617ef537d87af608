import type { Batch } from '../models/batch.js';
import { packedLength, packedRowStart } from './packed.js';

/**
 * One partition's sufficient statistics of least squares, with the intercept column x̃ = [1, x]:
 * Σ x̃x̃ᵀ (packed upper, (d+1)(d+2)/2 numbers), Σ x̃·y, Σ y², rows. Sums, so partitions add up at the
 * server; everything the normal equations need, in one pass over the rows.
 */
export interface SufficientStats {
  readonly xtx: number[];
  readonly xty: number[];
  readonly yy: number;
  readonly rows: number;
}

/**
 * @example
 * // rows (x=1, y=2) and (x=3, y=4): Σx̃x̃ᵀ = [[2, 4], [4, 10]] → packed [2, 4, 10]; Σx̃y = [6, 14]; Σy² = 20
 */
export function sufficientStats(batch: Batch): SufficientStats {
  const p = batch.d + 1;
  const xtx = new Float64Array(packedLength(p));
  const xty = new Float64Array(p);
  const xt = new Float64Array(p);
  const starts = new Int32Array(p);
  for (let i = 0; i < p; i++) starts[i] = packedRowStart(p, i) - i;
  let yy = 0;
  xt[0] = 1;
  for (let r = 0; r < batch.rows; r++) {
    const off = r * batch.d;
    for (let j = 0; j < batch.d; j++) xt[j + 1] = batch.x[off + j]!;
    const y = batch.y[r]!;
    yy += y * y;
    for (let i = 0; i < p; i++) {
      const xi = xt[i]!;
      xty[i] = xty[i]! + xi * y;
      const s = starts[i]!;
      for (let j = i; j < p; j++) xtx[s + j] = xtx[s + j]! + xi * xt[j]!;
    }
  }
  return { xtx: Array.from(xtx), xty: Array.from(xty), yy, rows: batch.rows };
}
