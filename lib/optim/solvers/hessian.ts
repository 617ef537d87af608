import { UsageError } from '../../errors.js';
import type { Batch } from '../models/batch.js';
import { sigmoid } from '../models/link-functions.js';
import type { ModelSpec } from '../models/model-spec.js';
import { numOutputs, paramCount } from '../models/model-spec.js';
import { packedLength, packedRowStart } from './packed.js';

/**
 * Σ over a partition's rows of the per-row Hessian of the data loss at `params` (no L2 term),
 * packed upper over the parameter layout of {@link ModelSpec}, x̃ = [1, x]:
 * - linear (½(y−ŷ)²): x̃x̃ᵀ;
 * - logistic: p(1−p)·x̃x̃ᵀ with p = σ(θ·x̃);
 * - softmax: block (c, c') = (δ_cc'·p_c − p_c·p_c')·x̃x̃ᵀ.
 *
 * @example
 * // logistic at θ = 0 (p = ½, weight ¼), one row x = 2: ¼·[[1, 2], [2, 4]] → packed [0.25, 0.5, 1]
 */
export function hessianSum(spec: ModelSpec, params: ArrayLike<number>, batch: Batch): Float64Array {
  if (spec.kind === 'mlp')
    throw new UsageError('an mlp has no Newton Hessian here; use --solver lbfgs or gd');
  const n = paramCount(spec);
  const k = numOutputs(spec);
  const s = batch.d + 1;
  // Per class pair (c ≤ c') the block is Σ a_cc'·x̃x̃ᵀ, itself symmetric: accumulate its upper
  // triangle (tri numbers) against the row's outer product, then scatter once at the end.
  const tri = (s * (s + 1)) / 2;
  const pairs = (k * (k + 1)) / 2;
  const g = new Float64Array(pairs * tri);
  // Rows are taken four at a time (a tail block pads with zero rows, which add +0): each entry of
  // the packed sums is loaded and stored once per block instead of once per row, the cost that
  // dominates at these sizes. The order of additions is fixed by the rows, so a partition's sum
  // is the same bits every time.
  const B = 4;
  const xt = new Float64Array(B * s);
  const z = new Float64Array(k);
  const a = new Float64Array(B * k * k);
  const coef = new Float64Array(B * s);
  for (let r0 = 0; r0 < batch.rows; r0 += B) {
    for (let b = 0; b < B; b++) {
      const r = r0 + b;
      const xb = b * s;
      const ab = b * k * k;
      if (r >= batch.rows) {
        xt.fill(0, xb, xb + s);
        a.fill(0, ab, ab + k * k);
        continue;
      }
      const off = r * batch.d;
      xt[xb] = 1;
      for (let j = 0; j < batch.d; j++) xt[xb + j + 1] = batch.x[off + j]!;
      for (let c = 0; c < k; c++) {
        let v = 0;
        for (let j = 0; j < s; j++) v += params[c * s + j]! * xt[xb + j]!;
        z[c] = v;
      }
      if (spec.kind === 'linear') a[ab] = 1;
      else if (spec.kind === 'logistic') {
        const p = sigmoid(z[0]!);
        a[ab] = p * (1 - p);
      } else softmaxCurvature(z, k, a, ab);
    }
    let q = 0;
    for (let c = 0; c < k; c++) {
      for (let c2 = c; c2 < k; c2++, q++) {
        const w0 = a[c * k + c2]!;
        const w1 = a[k * k + c * k + c2]!;
        const w2 = a[2 * k * k + c * k + c2]!;
        const w3 = a[3 * k * k + c * k + c2]!;
        if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) continue;
        for (let j = 0; j < s; j++) {
          coef[j] = w0 * xt[j]!;
          coef[s + j] = w1 * xt[s + j]!;
          coef[2 * s + j] = w2 * xt[2 * s + j]!;
          coef[3 * s + j] = w3 * xt[3 * s + j]!;
        }
        let o = q * tri;
        for (let j = 0; j < s; j++) {
          const b0 = coef[j]!;
          const b1 = coef[s + j]!;
          const b2 = coef[2 * s + j]!;
          const b3 = coef[3 * s + j]!;
          for (let m = j; m < s; m++, o++)
            g[o] = g[o]! + (b0 * xt[m]! + b1 * xt[s + m]! + b2 * xt[2 * s + m]! + b3 * xt[3 * s + m]!);
        }
      }
    }
  }
  const h = new Float64Array(packedLength(n));
  const starts = new Int32Array(n);
  for (let i = 0; i < n; i++) starts[i] = packedRowStart(n, i) - i;
  let q = 0;
  for (let c = 0; c < k; c++) {
    for (let c2 = c; c2 < k; c2++, q++) {
      let o = q * tri;
      for (let j = 0; j < s; j++) {
        for (let m = j; m < s; m++, o++) {
          const v = g[o]!;
          h[starts[c * s + j]! + c2 * s + m] = v;
          if (c !== c2) h[starts[c * s + m]! + c2 * s + j] = v;
        }
      }
    }
  }
  return h;
}

/** a[at + c·k + c'] = δ_cc'·p_c − p_c·p_c' for p = softmax(z) (max-shifted). */
function softmaxCurvature(z: Float64Array, k: number, a: Float64Array, at: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) if (z[c]! > max) max = z[c]!;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    z[c] = Math.exp(z[c]! - max);
    sum += z[c]!;
  }
  for (let c = 0; c < k; c++) z[c] = z[c]! / sum;
  for (let c = 0; c < k; c++)
    for (let c2 = 0; c2 < k; c2++) a[at + c * k + c2] = (c === c2 ? z[c]! : 0) - z[c]! * z[c2]!;
}
