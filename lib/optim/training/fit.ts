import type { GradientKernel } from '../kernels/gradient-kernel.js';
import { TypedArrayKernel } from '../kernels/typed-array-kernel.js';
import type { Batch } from '../models/batch.js';
import { applyRound } from './apply-round.js';
import { computeTask } from './compute-task.js';
import { PermutationCache } from './permutation.js';
import { planRound } from './plan-round.js';
import type { TrainConfig } from './train-config.js';
import type { RoundRecord, TrainState } from './train-state.js';
import { initTrainState } from './train-state.js';

/** Options of {@link fit}. */
export interface FitOptions {
  /** Default: a new {@link TypedArrayKernel}. */
  readonly kernel?: GradientKernel;
  /**
   * Called after every applied round with its record and the new state: the loss history (the
   * state itself only keeps the last record, so it stays the same size however long the run).
   */
  readonly onRound?: (info: RoundRecord & { readonly state: TrainState }) => void;
  /** Resume from this state instead of `initTrainState(config)`. */
  readonly state?: TrainState;
}

/** What {@link fit} returns. */
export interface FitResult {
  readonly params: Float64Array;
  readonly state: TrainState;
  readonly rounds: number;
}

/**
 * The in-process runner: planRound → computeTask per partition → applyRound, until the state
 * says done. The distributed engine runs the very same three functions, so results match it bit
 * for bit given the same partitions, seed and kernel.
 *
 * @example
 * const config = resolveTrainConfig({ spec: { kind: 'linear', numFeatures: 3 } }, { rows: batch.rows });
 * const { params, state } = fit(config, [batch]);
 */
export function fit(config: TrainConfig, partitions: readonly Batch[], options: FitOptions = {}): FitResult {
  const kernel = options.kernel ?? new TypedArrayKernel();
  const cache = new PermutationCache();
  const rowsPer = partitions.map((p) => p.rows);
  let state = options.state ?? initTrainState(config);
  let rounds = 0;
  while (state.status.status === 'running') {
    const plan = planRound(config, state, rowsPer);
    const params = Float64Array.from(state.params);
    const results = plan.tasks.map((task, p) =>
      computeTask(config, params, partitions[p]!, task, kernel, cache),
    );
    state = applyRound(config, state, results);
    rounds++;
    if (options.onRound !== undefined && state.last !== null) options.onRound({ ...state.last, state });
  }
  return { params: Float64Array.from(state.params), state, rounds };
}
