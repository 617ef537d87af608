import type { ModelSpec } from './model-spec.js';
import { numOutputs } from './model-spec.js';

/** The ridge penalty (λ/2)·‖w‖², intercepts (the first entry of each block) excluded. */
export function l2Penalty(spec: ModelSpec, params: ArrayLike<number>): number {
  const lambda = spec.l2 ?? 0;
  if (lambda === 0) return 0;
  const stride = spec.numFeatures + 1;
  let s = 0;
  for (let k = 0; k < numOutputs(spec); k++) {
    for (let j = 1; j < stride; j++) {
      const w = params[k * stride + j]!;
      s += w * w;
    }
  }
  return 0.5 * lambda * s;
}

/** Adds the penalty's gradient λ·w to `grad` in place (intercepts untouched). */
export function addL2Gradient(spec: ModelSpec, params: ArrayLike<number>, grad: Float64Array): void {
  const lambda = spec.l2 ?? 0;
  if (lambda === 0) return;
  const stride = spec.numFeatures + 1;
  for (let k = 0; k < numOutputs(spec); k++) {
    for (let j = 1; j < stride; j++) {
      const i = k * stride + j;
      grad[i] = grad[i]! + lambda * params[i]!;
    }
  }
}
