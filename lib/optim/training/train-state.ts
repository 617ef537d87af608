import { initParams, paramCount } from '../models/model-spec.js';
import { createOptimizer } from '../optimizers/create-optimizer.js';
import type { OptimizerState } from '../optimizers/optimizer.js';
import type { PlateauState } from '../schedules/plateau-controller.js';
import { initPlateauState } from '../schedules/plateau-controller.js';
import { initSolverState } from '../solvers/solver-round.js';
import type { SolverState } from '../solvers/solver-state.js';
import type { StopReason } from '../stopping/stopping-rules.js';
import type { TrainConfig } from './train-config.js';

/** One applied round: mean loss (with the L2 term) at the round's params, ‖g‖, the lr used. */
export interface RoundRecord {
  readonly round: number;
  readonly epoch: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
}

/** One finished epoch: mean loss over the rows it saw (full batch: the exact loss). */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
}

/** Running, or done and why. */
export type TrainStatus =
  | { readonly status: 'running' }
  | { readonly status: 'done'; readonly reason: StopReason };

/**
 * Everything the server keeps between rounds, as plain data (numbers, arrays, null — never typed
 * arrays). It is stored with its float64 vectors as base64 of their bytes
 * (`lib/engine/training/state-codec.ts`), so a stored state resumes bit-identically, −0 included.
 *
 * Lean: parameters, optimizer state and O(1) bookkeeping only, so its size does not grow with the
 * round number. The loss history lives outside it: {@link fit} streams each {@link RoundRecord}
 * (`onRound`), and the queued runners append one record per applied round under
 * `jobs/<id>/metrics/` (see `lib/engine/training/round-records.ts`).
 */
export interface TrainState {
  readonly v: 1;
  /** The next round to plan (0-based); also the number of rounds applied so far. */
  readonly round: number;
  /** The current epoch (0-based). */
  readonly epoch: number;
  /** The next step within the epoch. */
  readonly stepInEpoch: number;
  readonly params: number[];
  readonly optimizer: OptimizerState;
  /** null unless the schedule is `plateau`. */
  readonly plateau: PlateauState | null;
  /** Best epoch loss so far (null before the first epoch ends). */
  readonly bestLoss: number | null;
  /** Epochs in a row without a `tol` improvement. */
  readonly noImprovementCount: number;
  /** ‖g‖ of the first full-batch gradient (the reference of `gradTol`); null until known. */
  readonly gradNorm0: number | null;
  /** The previous round's loss (for adaptive restart); null before the first round. */
  readonly lastLoss: number | null;
  /** Σ (lossSum + penalty·rows) and Σ rows over the rounds of the current epoch. */
  readonly epochLossSum: number;
  readonly epochRows: number;
  /** The record of the round applied last (null before round 0 is applied). */
  readonly last: RoundRecord | null;
  /** The epoch finished last (null before the first epoch ends). */
  readonly lastEpoch: EpochRecord | null;
  readonly status: TrainStatus;
  /** normal/newton/lbfgs bookkeeping; null for `gd` (and absent in states written before solvers). */
  readonly solver?: SolverState | null;
}

/** The state before round 0: zero parameters (mlp: seeded He initialisation), fresh optimizer, nothing observed. */
export function initTrainState(config: TrainConfig): TrainState {
  const params = initParams(config.spec, config.seed);
  return {
    v: 1,
    round: 0,
    epoch: 0,
    stepInEpoch: 0,
    params: Array.from(params),
    optimizer: createOptimizer(config.optimizer, paramCount(config.spec)).getWeights(),
    plateau: config.schedule.kind === 'plateau' ? initPlateauState(config.schedule.lr) : null,
    bestLoss: null,
    noImprovementCount: 0,
    gradNorm0: null,
    lastLoss: null,
    epochLossSum: 0,
    epochRows: 0,
    last: null,
    lastEpoch: null,
    status: { status: 'running' },
    solver: initSolverState(config),
  };
}
