import type { GradientKernel, LossAndGradient, ModelSpec, RowSelection } from '../optim/index.js';
import { paramCount } from '../optim/index.js';
import { modelRowWork } from '../planner/workload.js';

/**
 * A kernel that computes with `inner` (the real bits) and counts its work: row·parameters for the
 * linear families (the cost model's row·features·outputs unit), and for an MLP rows × ≈ 3 × its
 * weights (forward + backward multiply-adds, `modelRowWork`: the unit of the MLP kernel's own
 * calibration, `calibrateMlp`). The simulation turns the count into virtual seconds at the
 * matching measured rate instead of timing the real call.
 */
export class MeteringKernel implements GradientKernel {
  /** Row·parameter products (an MLP: multiply-adds) computed since construction. */
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
    this.work += (rows.end - rows.start) * (spec.kind === 'mlp' ? modelRowWork(spec) : paramCount(spec));
    return this.inner.lossAndGradient(spec, params, rows, outGradSum);
  }
}
