import type { Batch } from './batch.js';
import { sigmoid } from './link-functions.js';
import { mlpLogits } from './mlp-predict.js';
import type { ModelSpec } from './model-spec.js';
import { headKind, numOutputs } from './model-spec.js';

/**
 * Predictions for every row: linear → ŷ, logistic → P(y=1), softmax → the arg-max class index.
 * Use `predictProba` for softmax probabilities.
 */
export function predict(spec: ModelSpec, params: ArrayLike<number>, batch: Batch): Float64Array {
  if (spec.kind === 'mlp') return predictMlp(spec, params, batch);
  const out = new Float64Array(batch.rows);
  const k = numOutputs(spec);
  const stride = batch.d + 1;
  for (let i = 0; i < batch.rows; i++) {
    let best = 0;
    let bestZ = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const z = logit(params, c * stride, batch.x, i * batch.d, batch.d);
      if (spec.kind === 'linear') out[i] = z;
      else if (spec.kind === 'logistic') out[i] = sigmoid(z);
      else if (z > bestZ) {
        bestZ = z;
        best = c;
      }
    }
    if (spec.kind === 'softmax') out[i] = best;
  }
  return out;
}

/** Softmax class probabilities, rows×K row-major. */
export function predictProba(spec: ModelSpec, params: ArrayLike<number>, batch: Batch): Float64Array {
  const k = numOutputs(spec);
  const mlp = spec.kind === 'mlp' ? mlpLogits(spec, params, batch) : null;
  const out = new Float64Array(batch.rows * k);
  const stride = batch.d + 1;
  for (let i = 0; i < batch.rows; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const z = mlp !== null ? mlp[i * k + c]! : logit(params, c * stride, batch.x, i * batch.d, batch.d);
      out[i * k + c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(out[i * k + c]! - max);
      out[i * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[i * k + c] = out[i * k + c]! / sum;
  }
  return out;
}

/** MLP: ŷ (linear head), P(y=1) (logistic head) or the arg-max class (softmax head). */
function predictMlp(spec: ModelSpec, params: ArrayLike<number>, batch: Batch): Float64Array {
  const z = mlpLogits(spec, params, batch);
  const head = headKind(spec);
  const k = numOutputs(spec);
  const out = new Float64Array(batch.rows);
  for (let i = 0; i < batch.rows; i++) {
    if (head === 'linear') out[i] = z[i]!;
    else if (head === 'logistic') out[i] = sigmoid(z[i]!);
    else {
      let best = 0;
      for (let c = 1; c < k; c++) if (z[i * k + c]! > z[i * k + best]!) best = c;
      out[i] = best;
    }
  }
  return out;
}

function logit(params: ArrayLike<number>, off: number, x: Float32Array, row: number, d: number): number {
  let z = params[off]!;
  for (let j = 0; j < d; j++) z += params[off + 1 + j]! * x[row + j]!;
  return z;
}
