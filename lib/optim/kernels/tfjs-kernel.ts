import type * as Tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import type { RowSelection } from '../models/batch.js';
import type { ModelSpec } from '../models/model-spec.js';
import { numOutputs, paramCount } from '../models/model-spec.js';
import type { GradientKernel, LossAndGradient } from './gradient-kernel.js';
import { mlpTfjsLossAndGradient } from './mlp-tfjs.js';

/** The tfjs namespace as loaded by `selectBackend` (kept as a parameter so nothing imports tfjs eagerly). */
export type TfModule = typeof Tf;

/**
 * Closed-form gradients with tfjs ops on whatever backend is active (tensorflow, wasm, cpu).
 * Computes in float32 (tfjs's dtype), so it agrees with {@link TypedArrayKernel} to ~1e-5
 * relative, not to the bit. Each backend is deterministic run-to-run on the same machine; all
 * tensors are created and released inside one `tf.tidy`, so nothing leaks.
 */
export class TfjsKernel implements GradientKernel {
  public readonly name: string;
  private readonly tf: TfModule;

  public constructor(tf: TfModule) {
    this.tf = tf;
    this.name = `tfjs-${tf.getBackend()}`;
  }

  public lossAndGradient(
    spec: ModelSpec,
    params: Float64Array,
    sel: RowSelection,
    outGradSum: Float64Array,
  ): LossAndGradient {
    const tf = this.tf;
    const d = spec.numFeatures;
    const k = numOutputs(spec);
    const stride = d + 1;
    if (sel.batch.d !== d || params.length !== paramCount(spec) || outGradSum.length !== paramCount(spec)) {
      throw new UsageError(`batch, params or gradient do not match the model (d=${d}, K=${k})`);
    }
    outGradSum.fill(0);
    const rows = Math.max(0, sel.end - sel.start);
    if (rows === 0) return { lossSum: 0, rows: 0 };
    const { xs, ys } = gatherRows(sel);
    if (spec.kind === 'mlp') return mlpTfjsLossAndGradient(tf, spec, params, xs, ys, rows, outGradSum);
    const wFlat = new Float32Array(d * k);
    const bFlat = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      bFlat[c] = params[c * stride]!;
      for (let j = 0; j < d; j++) wFlat[j * k + c] = params[c * stride + 1 + j]!;
    }
    let lossSum = 0;
    let gw: Float32Array = new Float32Array(0);
    let gb: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      const x = tf.tensor2d(xs, [rows, d]);
      const z = tf.add(tf.matMul(x, tf.tensor2d(wFlat, [d, k])), tf.tensor1d(bFlat));
      let loss: Tf.Tensor;
      let r: Tf.Tensor;
      if (spec.kind === 'softmax') {
        const oneHot = tf.oneHot(tf.tensor1d(Int32Array.from(ys), 'int32'), k).toFloat();
        const logP = tf.logSoftmax(z);
        loss = tf.neg(tf.sum(tf.mul(oneHot, logP)));
        r = tf.sub(tf.exp(logP), oneHot);
      } else {
        const y = tf.tensor2d(ys, [rows, 1]);
        if (spec.kind === 'logistic') {
          // softplus(z) − y·z is the log-loss without ever forming log(σ(z)) (stable for large |z|)
          loss = tf.sum(tf.sub(tf.softplus(z), tf.mul(y, z)));
          r = tf.sub(tf.sigmoid(z), y);
        } else {
          r = tf.sub(z, y);
          loss = tf.mul(0.5, tf.sum(tf.square(r)));
        }
      }
      gw = tf.matMul(x, r, true, false).dataSync() as Float32Array;
      gb = tf.sum(r, 0).dataSync() as Float32Array;
      lossSum = loss.dataSync()[0]!;
    });
    for (let c = 0; c < k; c++) {
      outGradSum[c * stride] = gb[c]!;
      for (let j = 0; j < d; j++) outGradSum[c * stride + 1 + j] = gw[j * k + c]!;
    }
    return { lossSum, rows };
  }
}

/** Copies the selected rows into contiguous arrays (a view, no copy, for a plain row range). */
function gatherRows(sel: RowSelection): { xs: Float32Array; ys: Float32Array } {
  const { x, y, d } = sel.batch;
  const idx = sel.indices ?? null;
  if (idx === null) {
    return { xs: x.subarray(sel.start * d, sel.end * d), ys: y.subarray(sel.start, sel.end) };
  }
  const rows = sel.end - sel.start;
  const xs = new Float32Array(rows * d);
  const ys = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = idx[sel.start + i]!;
    xs.set(x.subarray(row * d, row * d + d), i * d);
    ys[i] = y[row]!;
  }
  return { xs, ys };
}
