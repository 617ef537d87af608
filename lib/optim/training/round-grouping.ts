import { epochGeometry } from './plan-round.js';
import type { TrainConfig } from './train-config.js';

/**
 * How the queued runners (local cloud, AWS) group stochastic steps into rounds, so that
 * mini-batch and SGD never silently cost one queue round trip per step.
 *
 * Semantics (local SGD, "FedAvg"): each round, every worker starts from the round's parameters θ
 * and takes K plain SGD steps on its own partition — its share ⌈B/W⌉ of the global batch B per
 * step, walking the partition's seeded epoch permutation in order, with the round's learning rate
 * and the L2 term applied locally — and returns Δ_p = θ_p − θ. The server applies the row-weighted
 * mean Δ̄ = Σ rows_p·Δ_p / Σ rows_p through its optimizer as the pseudo-gradient −Δ̄/lr, in
 * partition order (plain server optimizer: θ ← θ + Δ̄). A round never crosses an epoch boundary.
 * With K = 1 this is exactly one mini-batch step of the global batch B (up to the last bit of
 * −(−lr·g)/lr), so `--sync gd` (one step per round) is the special case asked for explicitly.
 *
 * K comes from a round budget: {@link ROUND_BUDGET}.roundsPerEpoch rounds per epoch, i.e.
 * K = ⌈steps per epoch / roundsPerEpoch⌉. A table whose epoch has at most that many steps keeps
 * one step per round (grouping would not save a round).
 *
 * The in-process runner keeps one step per round unless asked (`--sync local-sgd`): its rounds
 * cost nothing, and its default stays the per-step algorithm the options describe.
 */
export const ROUND_BUDGET = { roundsPerEpoch: 8 } as const;

/** The grouping chosen for a queued run; null when the run keeps one step per round. */
export interface RoundGrouping {
  /** K: local steps per worker per round. */
  readonly stepsPerRound: number;
  readonly stepsPerEpoch: number;
  readonly roundsPerEpoch: number;
}

/**
 * K for a queued run of `config` over partitions of `partitionRows` rows, or null when the
 * configuration is full batch, already local SGD, or its epoch is no longer than the budget.
 *
 * @example
 * // 60 000 rows, 4 workers, batch 64: 938 steps per epoch → K = 118, 8 rounds per epoch
 * groupingFor(config, [15000, 15000, 15000, 15000]); // { stepsPerRound: 118, stepsPerEpoch: 938, roundsPerEpoch: 8 }
 */
export function groupingFor(config: TrainConfig, partitionRows: readonly number[]): RoundGrouping | null {
  if (config.solver !== 'gd' || config.algorithm === 'batch' || config.sync !== 'gd') return null;
  const { stepsPerEpoch } = epochGeometry(config, partitionRows);
  const k = Math.ceil(stepsPerEpoch / ROUND_BUDGET.roundsPerEpoch);
  if (k <= 1) return null;
  return {
    stepsPerRound: k,
    stepsPerEpoch,
    roundsPerEpoch: Math.ceil(stepsPerEpoch / k),
  };
}

/**
 * Most rounds a configuration can take (its epoch cap × rounds per epoch, or `maxSteps`): the
 * figure `train` prints before it starts. Stopping rules usually end it sooner.
 */
export function maxRounds(config: TrainConfig, partitionRows: readonly number[]): number {
  // The solvers count iterations, one per round (normal equations: the one pass of statistics);
  // plans stored before the solvers existed carry no solver and ran gradient descent.
  if (config.solver === 'normal') return 1;
  if (config.solver === 'newton' || config.solver === 'lbfgs') return config.solverTol.maxIter + 1;
  const { localBatch, stepsPerEpoch } = epochGeometry(config, partitionRows);
  const perEpoch =
    config.sync === 'local-sgd' && localBatch !== 0
      ? Math.ceil(stepsPerEpoch / config.localSteps)
      : localBatch === 0
        ? 1
        : stepsPerEpoch;
  const byEpochs = perEpoch * config.maxEpochs;
  return config.maxSteps === null ? byEpochs : Math.min(byEpochs, config.maxSteps);
}
