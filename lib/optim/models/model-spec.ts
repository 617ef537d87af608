import { UsageError } from '../../errors.js';

/** The model families shardtrain trains by gradient descent. */
export const MODEL_KINDS = ['linear', 'logistic', 'softmax'] as const;

/** `linear` (squared error), `logistic` (binary log-loss), `softmax` (multinomial cross-entropy). */
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * What is being fitted. Parameters live in one `Float64Array`:
 * - linear / logistic: `[intercept, w1..wd]` (length d+1);
 * - softmax: K blocks of (d+1), block k = `[b_k, w_k1..w_kd]` (length K·(d+1)).
 *
 * `l2` is the ridge strength λ of the penalty (λ/2)·‖w‖², intercepts excluded; the server adds it
 * once per round at aggregation, never per partition.
 */
export interface ModelSpec {
  readonly kind: ModelKind;
  readonly numFeatures: number;
  /** softmax only: number of classes K ≥ 2 (labels are class indices 0..K-1 stored as floats). */
  readonly numClasses?: number;
  readonly l2?: number;
}

/** Number of output blocks: K for softmax, 1 otherwise. */
export function numOutputs(spec: ModelSpec): number {
  return spec.kind === 'softmax' ? (spec.numClasses ?? 0) : 1;
}

/** Length of the parameter vector: (d+1) for linear/logistic, K·(d+1) for softmax. */
export function paramCount(spec: ModelSpec): number {
  return numOutputs(spec) * (spec.numFeatures + 1);
}

/** All-zero starting parameters (every model here is convex, so zeros is a fine start). */
export function initParams(spec: ModelSpec): Float64Array {
  validateSpec(spec);
  return new Float64Array(paramCount(spec));
}

/** Throws `UsageError` when the spec cannot describe a model. */
export function validateSpec(spec: ModelSpec): void {
  if (!(MODEL_KINDS as readonly string[]).includes(spec.kind)) {
    throw new UsageError(`model kind "${spec.kind}" is unknown; use one of ${MODEL_KINDS.join(', ')}`);
  }
  if (!Number.isInteger(spec.numFeatures) || spec.numFeatures < 1) {
    throw new UsageError(`numFeatures must be a positive integer, got ${spec.numFeatures}`);
  }
  if (spec.kind === 'softmax' && (!Number.isInteger(spec.numClasses) || (spec.numClasses ?? 0) < 2)) {
    throw new UsageError(`softmax needs numClasses K >= 2, got ${spec.numClasses}`);
  }
  if (spec.l2 !== undefined && !(spec.l2 >= 0 && Number.isFinite(spec.l2))) {
    throw new UsageError(`l2 must be a finite number >= 0, got ${spec.l2}`);
  }
}
