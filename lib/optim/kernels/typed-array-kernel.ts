import { UsageError } from '../../errors.js';
import type { RowSelection } from '../models/batch.js';
import { logisticLoss, sigmoid } from '../models/link-functions.js';
import type { ModelSpec } from '../models/model-spec.js';
import { numOutputs, paramCount } from '../models/model-spec.js';
import type { GradientKernel, LossAndGradient } from './gradient-kernel.js';
import { mlpLossAndGradient } from './mlp-kernel.js';

/**
 * Plain-JavaScript kernel: float32 inputs, float64 accumulation, rows blocked by four.
 * Deterministic to the bit (a fixed summation order, no threads), which is what the distributed
 * engine relies on; on this project's machines it is also the fastest choice (see bench/optim.ts).
 */
export class TypedArrayKernel implements GradientKernel {
  public readonly name = 'typed-array';

  public lossAndGradient(
    spec: ModelSpec,
    params: Float64Array,
    sel: RowSelection,
    outGradSum: Float64Array,
  ): LossAndGradient {
    if (spec.kind === 'mlp') return mlpLossAndGradient(spec, params, sel, outGradSum);
    const d = sel.batch.d;
    if (d !== spec.numFeatures) {
      throw new UsageError(`batch has ${d} features but the model expects ${spec.numFeatures}`);
    }
    if (outGradSum.length !== paramCount(spec) || params.length !== paramCount(spec)) {
      throw new UsageError(`params and gradient must have ${paramCount(spec)} entries`);
    }
    outGradSum.fill(0);
    const rows = Math.max(0, sel.end - sel.start);
    if (rows === 0) return { lossSum: 0, rows: 0 };
    const lossSum =
      spec.kind === 'softmax'
        ? softmaxPass(numOutputs(spec), params, sel, outGradSum)
        : binaryPass(spec.kind === 'logistic', params, sel, outGradSum);
    return { lossSum, rows };
  }
}

/**
 * Linear / logistic pass over the selected rows. Rows go four at a time: the four dot products
 * share each weight load, and the gradient is updated once per four rows (a quarter of the
 * loads and stores of `g`), which measured 1.4–1.5× faster than one row at a time. The
 * summation order is fixed, so the result is the same bits on every run.
 */
function binaryPass(logistic: boolean, w: Float64Array, sel: RowSelection, g: Float64Array): number {
  const { x, y, d } = sel.batch;
  const idx = sel.indices ?? null;
  const b = w[0]!;
  const residual = (z: number, t: number): number => (logistic ? sigmoid(z) - t : z - t);
  const rowLoss = (z: number, t: number, r: number): number => (logistic ? logisticLoss(z, t) : 0.5 * r * r);
  let gb = 0;
  let loss = 0;
  let i = sel.start;
  const end4 = sel.start + ((sel.end - sel.start) & ~3);
  for (; i < end4; i += 4) {
    const q0 = idx === null ? i : idx[i]!;
    const q1 = idx === null ? i + 1 : idx[i + 1]!;
    const q2 = idx === null ? i + 2 : idx[i + 2]!;
    const q3 = idx === null ? i + 3 : idx[i + 3]!;
    const o0 = q0 * d;
    const o1 = q1 * d;
    const o2 = q2 * d;
    const o3 = q3 * d;
    let z0 = b;
    let z1 = b;
    let z2 = b;
    let z3 = b;
    for (let j = 0; j < d; j++) {
      const wj = w[j + 1]!;
      z0 += wj * x[o0 + j]!;
      z1 += wj * x[o1 + j]!;
      z2 += wj * x[o2 + j]!;
      z3 += wj * x[o3 + j]!;
    }
    const r0 = residual(z0, y[q0]!);
    const r1 = residual(z1, y[q1]!);
    const r2 = residual(z2, y[q2]!);
    const r3 = residual(z3, y[q3]!);
    loss +=
      rowLoss(z0, y[q0]!, r0) + rowLoss(z1, y[q1]!, r1) + rowLoss(z2, y[q2]!, r2) + rowLoss(z3, y[q3]!, r3);
    gb += r0 + r1 + r2 + r3;
    for (let j = 0; j < d; j++) {
      g[j + 1] = g[j + 1]! + (r0 * x[o0 + j]! + r1 * x[o1 + j]! + r2 * x[o2 + j]! + r3 * x[o3 + j]!);
    }
  }
  for (; i < sel.end; i++) {
    const q = idx === null ? i : idx[i]!;
    const o = q * d;
    let z = b;
    for (let j = 0; j < d; j++) z += w[j + 1]! * x[o + j]!;
    const r = residual(z, y[q]!);
    loss += rowLoss(z, y[q]!, r);
    gb += r;
    for (let j = 0; j < d; j++) g[j + 1] = g[j + 1]! + r * x[o + j]!;
  }
  g[0] = gb;
  return loss;
}

function softmaxPass(k: number, w: Float64Array, sel: RowSelection, g: Float64Array): number {
  const { x, y, d } = sel.batch;
  const idx = sel.indices ?? null;
  const stride = d + 1;
  const z = new Float64Array(k);
  let loss = 0;
  for (let i = sel.start; i < sel.end; i++) {
    const row = idx === null ? i : idx[i]!;
    const o = row * d;
    const label = y[row]!;
    if (!(Number.isInteger(label) && label >= 0 && label < k)) {
      throw new UsageError(
        `softmax label at row ${row} is ${label}; labels must be class indices 0..${k - 1}`,
      );
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const off = c * stride;
      let s = w[off]!;
      for (let j = 0; j < d; j++) s += w[off + 1 + j]! * x[o + j]!;
      z[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[c]! - max);
    const lse = max + Math.log(sum);
    loss += lse - z[label]!;
    for (let c = 0; c < k; c++) {
      const r = Math.exp(z[c]! - lse) - (c === label ? 1 : 0);
      const off = c * stride;
      g[off] = g[off]! + r;
      for (let j = 0; j < d; j++) g[off + 1 + j] = g[off + 1 + j]! + r * x[o + j]!;
    }
  }
  return loss;
}
