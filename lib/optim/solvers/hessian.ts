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
  const outer = new Float64Array(tri);
  const xt = new Float64Array(s);
  const z = new Float64Array(k);
  const a = new Float64Array(k * k);
  xt[0] = 1;
  for (let r = 0; r < batch.rows; r++) {
    const off = r * batch.d;
    for (let j = 0; j < batch.d; j++) xt[j + 1] = batch.x[off + j]!;
    let o = 0;
    for (let j = 0; j < s; j++) {
      const xj = xt[j]!;
      for (let m = j; m < s; m++) outer[o++] = xj * xt[m]!;
    }
    for (let c = 0; c < k; c++) {
      let v = 0;
      for (let j = 0; j < s; j++) v += params[c * s + j]! * xt[j]!;
      z[c] = v;
    }
    if (spec.kind === 'linear') a[0] = 1;
    else if (spec.kind === 'logistic') {
      const p = sigmoid(z[0]!);
      a[0] = p * (1 - p);
    } else softmaxCurvature(z, k, a);
    let q = 0;
    for (let c = 0; c < k; c++) {
      for (let c2 = c; c2 < k; c2++, q++) {
        const w = a[c * k + c2]!;
        if (w === 0) continue;
        const base = q * tri;
        for (let m = 0; m < tri; m++) g[base + m] = g[base + m]! + w * outer[m]!;
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

/** a[c·k + c'] = δ_cc'·p_c − p_c·p_c' for p = softmax(z) (max-shifted). */
function softmaxCurvature(z: Float64Array, k: number, a: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) if (z[c]! > max) max = z[c]!;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    z[c] = Math.exp(z[c]! - max);
    sum += z[c]!;
  }
  for (let c = 0; c < k; c++) z[c] = z[c]! / sum;
  for (let c = 0; c < k; c++)
    for (let c2 = 0; c2 < k; c2++) a[c * k + c2] = (c === c2 ? z[c]! : 0) - z[c]! * z[c2]!;
}
