/** Serialisable optimizer state; the iteration count comes first (as in tfjs `getWeights`). */
export type OptimizerState =
  | { readonly iterations: number; readonly kind: 'plain' }
  | { readonly iterations: number; readonly kind: 'momentum'; readonly accumulation: number[] }
  | { readonly iterations: number; readonly kind: 'adam'; readonly m: number[]; readonly v: number[] };

/**
 * A first-order optimizer over a flat float64 parameter vector, shaped like tfjs's `Optimizer`:
 * `applyGradients` updates in place, `getWeights`/`setWeights` move the whole state in and out as
 * plain JSON, so a server can persist it between rounds and resume bit-identically.
 */
export interface Optimizer {
  readonly kind: OptimizerState['kind'];
  /** params ← params − lr·step(grad), in place; advances the iteration count. */
  applyGradients(params: Float64Array, grad: Float64Array, lr: number): void;
  getWeights(): OptimizerState;
  setWeights(state: OptimizerState): void;
}
