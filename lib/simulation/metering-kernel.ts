import type { GradientKernel, LossAndGradient, ModelSpec, RowSelection } from '../optim/index.js';
import { paramCount } from '../optim/index.js';

/**
 * A kernel that computes with `inner` (the real bits) and counts its work in row·parameters,
 * the cost model's row·features·outputs unit: the simulation turns the count into virtual
 * seconds at a measured rate instead of timing the real call.
 */
export class MeteringKernel implements GradientKernel {
  /** Row·parameter products computed since construction. */
  public work = 0;
  public readonly name: string;

  public constructor(private readonly inner: GradientKernel) {
    this.name = inner.name;
  }

  public lossAndGradient(
    spec: ModelSpec,
    params: Float64Array,
    rows: RowSelection,
    outGradSum: Float64Array,
  ): LossAndGradient {
    this.work += (rows.end - rows.start) * paramCount(spec);
    return this.inner.lossAndGradient(spec, params, rows, outGradSum);
  }
}
