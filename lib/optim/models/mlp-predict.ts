import type { Batch } from './batch.js';
import type { ModelSpec } from './model-spec.js';
import { layerBlocks } from './model-spec.js';

/**
 * The MLP's head logits for every row (rows × K, row-major; K = 1 for a linear/logistic head):
 * ReLU hidden layers in float64, in the parameter layout of `layerBlocks`.
 */
export function mlpLogits(spec: ModelSpec, params: ArrayLike<number>, batch: Batch): Float64Array {
  const blocks = layerBlocks(spec);
  const last = blocks.length - 1;
  const k = blocks[last]!.outputs;
  const out = new Float64Array(batch.rows * k);
  let a = new Float64Array(Math.max(...blocks.map((b) => b.inputs)));
  let next = new Float64Array(a.length + k);
  for (let r = 0; r < batch.rows; r++) {
    for (let j = 0; j < batch.d; j++) a[j] = batch.x[r * batch.d + j]!;
    for (let l = 0; l <= last; l++) {
      const b = blocks[l]!;
      const stride = b.inputs + 1;
      for (let o = 0; o < b.outputs; o++) {
        const wo = b.offset + o * stride;
        let s = params[wo]!;
        for (let i = 0; i < b.inputs; i++) s += params[wo + 1 + i]! * a[i]!;
        if (l === last) out[r * k + o] = s;
        else next[o] = Math.max(0, s);
      }
      [a, next] = [next, a];
    }
  }
  return out;
}
