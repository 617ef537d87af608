import { UsageError } from '../../errors.js';
import type { RowSelection } from '../models/batch.js';
import { logisticLoss, sigmoid } from '../models/link-functions.js';
import type { ModelSpec } from '../models/model-spec.js';
import { numOutputs, paramCount } from '../models/model-spec.js';
import type { GradientKernel, LossAndGradient } from './gradient-kernel.js';

/**
 * Plain-JavaScript kernel: float32 inputs, float64 accumulation, inner loops unrolled by four.
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

function binaryPass(logistic: boolean, w: Float64Array, sel: RowSelection, g: Float64Array): number {
  const { x, y, d } = sel.batch;
  const idx = sel.indices ?? null;
  const d4 = d - (d % 4);
  const b = w[0]!;
  let gb = 0;
  let loss = 0;
  for (let i = sel.start; i < sel.end; i++) {
    const row = idx === null ? i : idx[i]!;
    const o = row * d;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    let j = 0;
    for (; j < d4; j += 4) {
      z0 += w[j + 1]! * x[o + j]!;
      z1 += w[j + 2]! * x[o + j + 1]!;
      z2 += w[j + 3]! * x[o + j + 2]!;
      z3 += w[j + 4]! * x[o + j + 3]!;
    }
    for (; j < d; j++) z0 += w[j + 1]! * x[o + j]!;
    const z = b + (z0 + z1 + (z2 + z3));
    const t = y[row]!;
    let r: number;
    if (logistic) {
      r = sigmoid(z) - t;
      loss += logisticLoss(z, t);
    } else {
      r = z - t;
      loss += 0.5 * r * r;
    }
    gb += r;
    j = 0;
    for (; j < d4; j += 4) {
      g[j + 1] = g[j + 1]! + r * x[o + j]!;
      g[j + 2] = g[j + 2]! + r * x[o + j + 1]!;
      g[j + 3] = g[j + 3]! + r * x[o + j + 2]!;
      g[j + 4] = g[j + 4]! + r * x[o + j + 3]!;
    }
    for (; j < d; j++) g[j + 1] = g[j + 1]! + r * x[o + j]!;
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
