import type { ModelSpec } from './model-spec.js';
import { layerBlocks } from './model-spec.js';

/** The ridge penalty (λ/2)·‖w‖², intercepts and biases (the first entry of each block) excluded. */
export function l2Penalty(spec: ModelSpec, params: ArrayLike<number>): number {
  const lambda = spec.l2 ?? 0;
  if (lambda === 0) return 0;
  let s = 0;
  for (const b of layerBlocks(spec)) {
    const stride = b.inputs + 1;
    for (let k = 0; k < b.outputs; k++) {
      for (let j = 1; j < stride; j++) {
        const w = params[b.offset + k * stride + j]!;
        s += w * w;
      }
    }
  }
  return 0.5 * lambda * s;
}

/** Adds the penalty's gradient λ·w to `grad` in place (intercepts and biases untouched). */
export function addL2Gradient(spec: ModelSpec, params: ArrayLike<number>, grad: Float64Array): void {
  const lambda = spec.l2 ?? 0;
  if (lambda === 0) return;
  for (const b of layerBlocks(spec)) {
    const stride = b.inputs + 1;
    for (let k = 0; k < b.outputs; k++) {
      for (let j = 1; j < stride; j++) {
        const i = b.offset + k * stride + j;
        grad[i] = grad[i]! + lambda * params[i]!;
      }
    }
  }
}
