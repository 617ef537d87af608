import { ProtocolError, UsageError } from '../../errors.js';
import { isSolverConfig, planSolverTasks } from '../solvers/solver-round.js';
import { currentLearningRate } from './learning-rate.js';
import type { TrainConfig } from './train-config.js';
import type { TrainState } from './train-state.js';

/**
 * What one partition does in one round: small and JSON-able, so it fits in a queue message; the
 * worker recomputes the row indices from (seed, epoch, partition). Rows used by step s are
 * positions [s·localBatch, min((s+1)·localBatch, partitionRows)) of the partition's epoch
 * permutation; `localBatch` 0 means "all rows, in order" (algorithm `batch`, no permutation).
 */
export interface RoundTask {
  readonly v: 1;
  readonly round: number;
  readonly partition: number;
  readonly partitionRows: number;
  readonly epoch: number;
  /** First step (within the epoch) of this round. */
  readonly step: number;
  /** Steps in this round: 1 for `gd`, up to K for `local-sgd` (a round never crosses an epoch). */
  readonly steps: number;
  readonly stepsPerEpoch: number;
  readonly localBatch: number;
  /** `stats`: normal-equation statistics; `trials`: loss/gradient(/Hessian) at trial points. */
  readonly mode: 'gradient' | 'local-sgd' | 'stats' | 'trials';
  /** The round's learning rate (used by local-sgd workers; informational in `gd`). */
  readonly lr: number;
  /** `trials` only: evaluate params + t·direction for every t in steps. */
  readonly trials?: TrialsTask;
}

/** The trial points of a Newton/L-BFGS round (see `LineSearchState`). */
export interface TrialsTask {
  readonly direction: number[];
  readonly steps: number[];
  readonly hessian: boolean;
}

/**
 * The part of every result that echoes its task (round, partition and step geometry), so the
 * server does its epoch bookkeeping from results alone.
 */
export function resultBase(task: RoundTask): {
  readonly v: 1;
  readonly round: number;
  readonly partition: number;
  readonly step: number;
  readonly steps: number;
  readonly stepsPerEpoch: number;
} {
  const { round, partition, step, steps, stepsPerEpoch } = task;
  return { v: 1, round, partition, step, steps, stepsPerEpoch };
}

/** The tasks of one round, one per partition, in partition order. */
export interface RoundPlan {
  readonly round: number;
  readonly tasks: RoundTask[];
}

/** Per-partition batch size ⌈B/W⌉ (0 = all rows for `batch`) and steps per epoch. */
export function epochGeometry(
  config: TrainConfig,
  partitionRows: readonly number[],
): { localBatch: number; stepsPerEpoch: number } {
  if (config.algorithm === 'batch') return { localBatch: 0, stepsPerEpoch: 1 };
  const b = config.algorithm === 'sgd' ? 1 : config.batchSize;
  const localBatch = Math.ceil(b / partitionRows.length);
  return { localBatch, stepsPerEpoch: Math.ceil(Math.max(...partitionRows) / localBatch) };
}

/**
 * Plans round `state.round`: global batch B split as ⌈B/W⌉ per partition; each partition walks its
 * own seeded permutation; an epoch has ⌈max rows / local batch⌉ steps and partitions that ran out
 * contribute 0 rows. Pure: the same inputs give the same plan.
 */
export function planRound(
  config: TrainConfig,
  state: TrainState,
  partitionRows: readonly number[],
): RoundPlan {
  if (state.status.status !== 'running') {
    throw new ProtocolError(
      `training is done (${state.status.reason}); there is no round ${state.round} to plan`,
    );
  }
  if (partitionRows.length === 0 || partitionRows.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new UsageError(
      `partition row counts must be non-negative integers, got [${partitionRows.join(', ')}]`,
    );
  }
  if (partitionRows.every((r) => r === 0))
    throw new UsageError('every partition is empty: nothing to train on');
  if (isSolverConfig(config))
    return { round: state.round, tasks: planSolverTasks(config, state, partitionRows) };
  const { localBatch, stepsPerEpoch } = epochGeometry(config, partitionRows);
  const local = config.sync === 'local-sgd';
  // full batch: every local step sees all rows, and one round is one epoch
  const steps = !local
    ? 1
    : localBatch === 0
      ? config.localSteps
      : Math.min(config.localSteps, stepsPerEpoch - state.stepInEpoch);
  const lr = currentLearningRate(config, state);
  const tasks = partitionRows.map(
    (rows, partition): RoundTask => ({
      v: 1,
      round: state.round,
      partition,
      partitionRows: rows,
      epoch: state.epoch,
      step: state.stepInEpoch,
      steps,
      stepsPerEpoch,
      localBatch,
      mode: local ? 'local-sgd' : 'gradient',
      lr,
    }),
  );
  return { round: state.round, tasks };
}
