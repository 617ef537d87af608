import type * as Tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../models/model-spec.js';
import { headKind, layerBlocks } from '../models/model-spec.js';
import type { LossAndGradient } from './gradient-kernel.js';

/**
 * The MLP's loss and gradient sums on tfjs: the forward pass as tfjs ops and the gradient by
 * tfjs's reverse-mode autodiff (`tf.valueAndGrads`), on whatever backend is active. float32, so it
 * agrees with the float64 back-propagation of `mlpLossAndGradient` to ~1e-5 relative, not to the
 * bit. Rows must already be gathered (`xs` rows×d, `ys` rows); the caller owns `tf.tidy`.
 */
export function mlpTfjsLossAndGradient(
  tf: typeof Tf,
  spec: ModelSpec,
  params: Float64Array,
  xs: Float32Array,
  ys: Float32Array,
  rows: number,
  outGradSum: Float64Array,
): LossAndGradient {
  const blocks = layerBlocks(spec);
  const head = headKind(spec);
  const k = blocks[blocks.length - 1]!.outputs;
  const grads: Float32Array[] = [];
  let lossSum = 0;
  tf.tidy(() => {
    const weights: Tf.Tensor[] = [];
    for (const b of blocks) {
      const w = new Float32Array(b.inputs * b.outputs);
      const bias = new Float32Array(b.outputs);
      const stride = b.inputs + 1;
      for (let o = 0; o < b.outputs; o++) {
        bias[o] = params[b.offset + o * stride]!;
        for (let i = 0; i < b.inputs; i++) w[i * b.outputs + o] = params[b.offset + o * stride + 1 + i]!;
      }
      weights.push(tf.tensor2d(w, [b.inputs, b.outputs]), tf.tensor1d(bias));
    }
    const x = tf.tensor2d(xs, [rows, spec.numFeatures]);
    const target =
      head === 'softmax'
        ? tf.oneHot(tf.tensor1d(Int32Array.from(ys), 'int32'), k).toFloat()
        : tf.tensor2d(ys, [rows, 1]);
    const f = (...ws: Tf.Tensor[]): Tf.Scalar => {
      let a: Tf.Tensor = x;
      for (let l = 0; l < blocks.length; l++) {
        const z = tf.add(tf.matMul(a as Tf.Tensor2D, ws[2 * l] as Tf.Tensor2D), ws[2 * l + 1]!);
        a = l < blocks.length - 1 ? tf.relu(z) : z;
      }
      if (head === 'softmax') return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(a)))) as Tf.Scalar;
      if (head === 'logistic') return tf.sum(tf.sub(tf.softplus(a), tf.mul(target, a))) as Tf.Scalar;
      return tf.mul(0.5, tf.sum(tf.square(tf.sub(a, target)))) as Tf.Scalar;
    };
    const { value, grads: gs } = tf.valueAndGrads(f)(weights);
    lossSum = value.dataSync()[0]!;
    for (const g of gs) grads.push(g.dataSync() as Float32Array);
  });
  blocks.forEach((b, l) => {
    const gw = grads[2 * l]!;
    const gb = grads[2 * l + 1]!;
    const stride = b.inputs + 1;
    for (let o = 0; o < b.outputs; o++) {
      outGradSum[b.offset + o * stride] = gb[o]!;
      for (let i = 0; i < b.inputs; i++) outGradSum[b.offset + o * stride + 1 + i] = gw[i * b.outputs + o]!;
    }
  });
  return { lossSum, rows };
}
