import { ProtocolError } from '../../errors.js';
import type { GradientKernel } from '../kernels/gradient-kernel.js';
import type { Batch, RowSelection } from '../models/batch.js';
import { paramCount } from '../models/model-spec.js';
import { addL2Gradient } from '../models/regularization.js';
import type { SolverResult } from '../solvers/solver-round.js';
import { computeSolverTask, isSolverConfig } from '../solvers/solver-round.js';
import type { PermutationCache } from './permutation.js';
import { epochPermutation } from './permutation.js';
import { type RoundTask, resultBase } from './plan-round.js';
import type { TrainConfig } from './train-config.js';

export interface ShardResultBase {
  readonly v: 1;
  readonly round: number;
  readonly partition: number;
  /** Echo of the task's geometry, so the server can do epoch bookkeeping from results alone. */
  readonly step: number;
  readonly steps: number;
  readonly stepsPerEpoch: number;
  /** Σ per-row data loss over every row used (no L2 term). */
  readonly lossSum: number;
  /** Rows used (over all local steps in local-sgd); 0 when the partition ran out this epoch. */
  readonly rows: number;
}

/**
 * A worker's answer for (round, partition), JSON-able and a pure function of its inputs:
 * `gradient` carries Σ-over-rows gradients (the server divides by the total rows);
 * `delta` (local-sgd) carries θ_local − θ after the K local steps; `stats` and `trials` are the
 * solvers' (see {@link SolverResult}).
 */
export type ShardResult =
  | (ShardResultBase & { readonly kind: 'gradient'; readonly gradSum: number[] })
  | (ShardResultBase & { readonly kind: 'delta'; readonly delta: number[] })
  | SolverResult;

/** The rows of `task`'s step `step` within this partition (no copy: a permutation slice). */
export function stepSelection(
  config: TrainConfig,
  partition: Batch,
  task: RoundTask,
  step: number,
  cache?: PermutationCache,
): RowSelection {
  if (task.localBatch === 0) return { batch: partition, indices: null, start: 0, end: partition.rows };
  const perm =
    cache?.get(config.seed, task.epoch, task.partition, partition.rows) ??
    epochPermutation(config.seed, task.epoch, task.partition, partition.rows);
  const start = Math.min(step * task.localBatch, partition.rows);
  return { batch: partition, indices: perm, start, end: Math.min(start + task.localBatch, partition.rows) };
}

/**
 * Runs one task on one partition. `gradient` mode: one kernel call, the gradient SUM. `local-sgd`
 * mode: K plain-SGD steps θ ← θ − lr·(Σg/rows + λw) starting from `params` (the L2 term is applied
 * locally here, because local steps must see the whole objective), returns the delta.
 * `cache` only saves work; the result is the same without it.
 */
export function computeTask(
  config: TrainConfig,
  params: Float64Array,
  partition: Batch,
  task: RoundTask,
  kernel: GradientKernel,
  cache?: PermutationCache,
): ShardResult {
  if (partition.rows !== task.partitionRows) {
    throw new ProtocolError(
      `partition ${task.partition} has ${partition.rows} rows but round ${task.round} was planned for ${task.partitionRows}`,
    );
  }
  if (isSolverConfig(config)) return computeSolverTask(config, params, partition, task, kernel);
  const base = resultBase(task);
  const grad = new Float64Array(paramCount(config.spec));
  if (task.mode === 'gradient') {
    const sel = stepSelection(config, partition, task, task.step, cache);
    const { lossSum, rows } = kernel.lossAndGradient(config.spec, params, sel, grad);
    return { ...base, kind: 'gradient', gradSum: Array.from(grad), lossSum, rows };
  }
  const local = Float64Array.from(params);
  let lossSum = 0;
  let rows = 0;
  for (let s = task.step; s < task.step + task.steps; s++) {
    const sel = stepSelection(config, partition, task, task.localBatch === 0 ? 0 : s, cache);
    const r = kernel.lossAndGradient(config.spec, local, sel, grad);
    if (r.rows === 0) continue;
    lossSum += r.lossSum;
    rows += r.rows;
    for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! / r.rows;
    addL2Gradient(config.spec, local, grad);
    for (let i = 0; i < local.length; i++) local[i] = local[i]! - task.lr * grad[i]!;
  }
  const delta = new Array<number>(local.length);
  for (let i = 0; i < local.length; i++) delta[i] = local[i]! - params[i]!;
  return { ...base, kind: 'delta', delta, lossSum, rows };
}
