import { UsageError } from '../../errors.js';
import { heInit } from './mlp-init.js';

/** The model families shardtrain trains. */
export const MODEL_KINDS = ['linear', 'logistic', 'softmax', 'mlp'] as const;

/**
 * `linear` (squared error), `logistic` (binary log-loss), `softmax` (multinomial cross-entropy),
 * `mlp` (ReLU hidden layers and one of those three as its head).
 */
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The output layer of an MLP: the loss of the linear model of the same name. */
export const MLP_HEADS = ['linear', 'logistic', 'softmax'] as const;
export type MlpHead = (typeof MLP_HEADS)[number];

/** Most hidden layers and most units per hidden layer an MLP may have. */
export const MLP_MAX_LAYERS = 8;
export const MLP_MAX_UNITS = 4096;

/**
 * What is being fitted. Parameters live in one `Float64Array`:
 * - linear / logistic: `[intercept, w1..wd]` (length d+1);
 * - softmax: K blocks of (d+1), block k = `[b_k, w_k1..w_kd]` (length K·(d+1));
 * - mlp: one {@link LayerBlock} per layer, in order; a layer from n to m units is m blocks of
 *   (n+1) = `[b_o, w_o1..w_on]`, so its last layer is laid out as the head's linear model would be
 *   over the last hidden layer's units.
 *
 * `l2` is the ridge strength λ of the penalty (λ/2)·‖w‖², intercepts (biases) excluded; the
 * server adds it once per round at aggregation, never per partition.
 */
export interface ModelSpec {
  readonly kind: ModelKind;
  readonly numFeatures: number;
  /** softmax (and mlp with a softmax head): number of classes K ≥ 2 (labels 0..K-1 stored as floats). */
  readonly numClasses?: number;
  readonly l2?: number;
  /** mlp only: units of each hidden layer, input side first. */
  readonly hidden?: readonly number[];
  /** mlp only: the output layer's link and loss. */
  readonly head?: MlpHead;
}

/** One layer of parameters: `outputs` blocks of (inputs + 1) = [bias, weights…], at `offset`. */
export interface LayerBlock {
  readonly offset: number;
  readonly inputs: number;
  readonly outputs: number;
}

/** The loss the output layer uses: the kind itself, or an MLP's head. */
export function headKind(spec: ModelSpec): MlpHead {
  return spec.kind === 'mlp' ? (spec.head ?? 'linear') : spec.kind;
}

/** Number of output blocks: K for a softmax (head), 1 otherwise. */
export function numOutputs(spec: ModelSpec): number {
  return headKind(spec) === 'softmax' ? (spec.numClasses ?? 0) : 1;
}

/** Units per layer, input first, output last: [d, h1, …, hL, K]. A linear model is [d, K]. */
export function layerSizes(spec: ModelSpec): number[] {
  return [spec.numFeatures, ...(spec.kind === 'mlp' ? (spec.hidden ?? []) : []), numOutputs(spec)];
}

/** The parameter layout, layer by layer (one block for the linear models). */
export function layerBlocks(spec: ModelSpec): LayerBlock[] {
  const sizes = layerSizes(spec);
  const out: LayerBlock[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    out.push({ offset, inputs, outputs });
    offset += outputs * (inputs + 1);
  }
  return out;
}

/** Length of the parameter vector: (d+1) for linear/logistic, K·(d+1) for softmax, Σ layers for mlp. */
export function paramCount(spec: ModelSpec): number {
  let n = 0;
  for (const b of layerBlocks(spec)) n += b.outputs * (b.inputs + 1);
  return n;
}

/**
 * Starting parameters: zeros for the convex models; for mlp, He initialisation seeded by `seed`
 * (zeros would leave every hidden unit identical: the symmetry never breaks).
 */
export function initParams(spec: ModelSpec, seed = 0): Float64Array {
  validateSpec(spec);
  if (spec.kind === 'mlp') return heInit(layerBlocks(spec), paramCount(spec), seed);
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
  if (spec.kind === 'mlp') {
    if (spec.head !== undefined && !(MLP_HEADS as readonly string[]).includes(spec.head))
      throw new UsageError(`mlp head "${spec.head}" is unknown; use one of ${MLP_HEADS.join(', ')}`);
    validateHidden(spec.hidden);
  } else if (spec.hidden !== undefined) {
    throw new UsageError(`hidden layers belong to --model mlp, not ${spec.kind}`);
  }
  if (headKind(spec) === 'softmax' && (!Number.isInteger(spec.numClasses) || (spec.numClasses ?? 0) < 2)) {
    throw new UsageError(`softmax needs numClasses K >= 2, got ${spec.numClasses}`);
  }
  if (spec.l2 !== undefined && !(spec.l2 >= 0 && Number.isFinite(spec.l2))) {
    throw new UsageError(`l2 must be a finite number >= 0, got ${spec.l2}`);
  }
}

/** Hidden layer sizes: 1..{@link MLP_MAX_LAYERS} whole numbers in 1..{@link MLP_MAX_UNITS}. */
export function validateHidden(hidden: readonly number[] | undefined): void {
  if (hidden === undefined || hidden.length === 0)
    throw new UsageError('an mlp needs at least one hidden layer (--hidden 100)');
  if (hidden.length > MLP_MAX_LAYERS)
    throw new UsageError(`an mlp has at most ${MLP_MAX_LAYERS} hidden layers, got ${hidden.length}`);
  for (const h of hidden) {
    if (!Number.isInteger(h) || h < 1 || h > MLP_MAX_UNITS)
      throw new UsageError(`hidden layer size ${h} must be a whole number in 1..${MLP_MAX_UNITS}`);
  }
}
