import { z } from 'zod';
import type { FeatureTransform } from '../../data/index.js';
import { toOriginalUnits } from '../../data/index.js';
import type { ModelSpec } from '../../optim/index.js';
import { layerBlocks } from '../../optim/index.js';

/**
 * An MLP in a model artifact (`layers`, version 1): dense layers input first, ReLU between them,
 * the head's link after the last. `weights[o][i]` maps input i to output o, `bias[o]` is added.
 * The first layer takes RAW features in the artifact's `features` order — the fitted
 * standardisation and any projection are folded into it, which is exact because the transform is
 * affine: W·P̃ᵀ((x − μ)/σ) + b = (W·P̃ᵀ/σ)·x + (b − (W·P̃ᵀ/σ)·μ). A regression head's last layer is
 * in target units (the target scaling folded in), so predicting needs no transform code.
 */
export const mlpLayersSchema = z.object({
  v: z.literal(1),
  activation: z.literal('relu'),
  head: z.enum(['linear', 'logistic', 'softmax']),
  dense: z.array(z.object({ weights: z.array(z.array(z.number())), bias: z.array(z.number()) })).min(2),
});
export type MlpLayers = z.infer<typeof mlpLayersSchema>;

/** Where the layer shapes disagree with each other or with the feature count; null when they fit. */
export function mlpShapeProblem(layers: MlpLayers, features: number): string | null {
  let inputs = features;
  for (const [l, layer] of layers.dense.entries()) {
    if (layer.weights.length !== layer.bias.length || layer.weights.length === 0)
      return `layers.dense.${l}: ${layer.weights.length} weight rows but ${layer.bias.length} biases`;
    const bad = layer.weights.findIndex((row) => row.length !== inputs);
    if (bad >= 0) return `layers.dense.${l}.weights.${bad}: expected ${inputs} inputs`;
    inputs = layer.weights.length;
  }
  const want = layers.head === 'softmax' ? null : 1;
  if (want !== null && inputs !== want) return `layers: a ${layers.head} head has 1 output, got ${inputs}`;
  return null;
}

/**
 * Builds the artifact's layers from training-space parameters: the transform folded into the
 * first layer (per hidden unit, as {@link toOriginalUnits} does for a linear model) and, for
 * regression, ŷ = mean + std·z folded into the last.
 */
export function mlpLayersFromParams(
  spec: ModelSpec,
  params: readonly number[],
  transform: FeatureTransform,
  target: { readonly mean: number; readonly std: number } | null,
): MlpLayers {
  const blocks = layerBlocks(spec);
  const dense = blocks.map((b, l) => {
    const stride = b.inputs + 1;
    const weights: number[][] = [];
    const bias: number[] = [];
    for (let o = 0; o < b.outputs; o++) {
      const at = b.offset + o * stride;
      let w = params.slice(at + 1, at + stride);
      let c = params[at]!;
      if (l === 0) {
        const folded = toOriginalUnits(transform, w, c);
        w = folded.coefficients;
        c = folded.intercept;
      }
      if (l === blocks.length - 1 && target !== null) {
        w = w.map((v) => v * target.std);
        c = c * target.std + target.mean;
      }
      weights.push(w);
      bias.push(c);
    }
    return { weights, bias };
  });
  return { v: 1, activation: 'relu', head: spec.head ?? 'linear', dense };
}

/** The head's logits for raw feature rows (row-major), rows × K, in float64. */
export function mlpScores(
  layers: MlpLayers,
  x: ArrayLike<number>,
  rows: number,
  features: number,
): { k: number; s: Float64Array } {
  const last = layers.dense.length - 1;
  const k = layers.dense[last]!.bias.length;
  const s = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let a: ArrayLike<number> = Array.prototype.slice.call(x, r * features, (r + 1) * features) as number[];
    for (const [l, layer] of layers.dense.entries()) {
      const out = new Float64Array(layer.bias.length);
      for (let o = 0; o < out.length; o++) {
        const w = layer.weights[o]!;
        let z = layer.bias[o]!;
        for (let i = 0; i < w.length; i++) z += w[i]! * a[i]!;
        out[o] = l < last ? Math.max(0, z) : z;
      }
      a = out;
    }
    for (let c = 0; c < k; c++) s[r * k + c] = a[c]!;
  }
  return { k, s };
}
