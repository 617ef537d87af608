import type { RowSelection } from '../models/batch.js';
import type { ModelSpec } from '../models/model-spec.js';

/** What a kernel returns besides the gradient: sums, so partitions add up at the server. */
export interface LossAndGradient {
  /** Σ over the selected rows of the per-row loss (MSE rows contribute ½(y−ŷ)²). No L2 term. */
  readonly lossSum: number;
  /** Number of rows that were summed. */
  readonly rows: number;
}

/**
 * One interface for every way of computing a loss and its gradient.
 *
 * Contract: `outGradSum` (length `paramCount(spec)`) is OVERWRITTEN with Σ over the selected rows
 * of ∂loss_i/∂params, in the parameter layout of {@link ModelSpec}. Means, the L2 term and the
 * learning rate are the caller's business. An empty selection yields zeros and `rows: 0`.
 */
export interface GradientKernel {
  readonly name: string;
  lossAndGradient(
    spec: ModelSpec,
    params: Float64Array,
    rows: RowSelection,
    outGradSum: Float64Array,
  ): LossAndGradient;
}
