import { epochGeometry, maxRounds, type TrainConfig } from '../optim/index.js';
import { modelRowWork, type PlannerAlgorithm, type WorkKernel, workKernelOf } from './workload.js';

/**
 * Typical iterations (= rounds) of the solvers, from this repository's own runs (`npm run bench`,
 * section `solvers`, against scikit-learn's lbfgs on the same problems): the normal equations are
 * one pass of sufficient statistics; Newton converges quadratically and stops in about ten
 * iterations on the bench's logistic and softmax problems; L-BFGS takes tens (scikit-learn's
 * `n_iter_` on the same problems is 15–40). Capped by the job's own `maxIter`.
 */
export const TYPICAL_SOLVER_ROUNDS = { normal: 1, newton: 10, lbfgs: 30 } as const;

/** What the planner needs to know about a job's rounds and the work in each. */
export interface SolverWork {
  /** Expected rounds (the estimate the planner prices). */
  readonly rounds: number;
  /** Most rounds the job may run (its stopping rules' cap). */
  readonly maxRounds: number;
  /** How one round reads the rows: the solvers and full-batch GD read all of them. */
  readonly algorithm: PlannerAlgorithm;
  readonly batchSize?: number;
  readonly localSteps?: number;
  /** Multiply-adds per row and output relative to d (see `Workload.workFactor`). */
  readonly workFactor: number;
  /** Multiply-adds of one gradient per row ({@link modelRowWork}: d, d·K, or ≈ 3 × an MLP's weights). */
  readonly rowWork: number;
  /** Which kernel (so which calibrated rate) computes it. */
  readonly kernel: WorkKernel;
  /** One sentence: where the round count comes from. */
  readonly why: string;
}

/**
 * Rounds and per-row work of a resolved training config on partitions of `partitionRows` rows.
 * With p = d + 1 parameters per output and K outputs:
 * - normal: 1 round; each row adds p(p+1)/2 products to XᵀX and p to Xᵀy → factor (p(p+1)/2 + p) / d;
 * - newton: min(10, maxIter + 1) rounds; gradient + Hessian sums → factor 1 + pK/2;
 * - lbfgs: min(30, maxIter + 1) rounds; loss and gradient at four trial steps → factor 4;
 * - gd: epochs × rounds per epoch (the stopping rules' cap, `maxRounds`): an upper bound, since
 *   the loss-improvement rule usually stops sooner; factor 1, × local steps per round.
 *
 * @example
 * solverWork(config /* solver 'lbfgs', maxIter 100 *\/, [5000]); // { rounds: 30, workFactor: 4, … }
 */
export function solverWork(config: TrainConfig, partitionRows: readonly number[]): SolverWork {
  const d = config.spec.numFeatures;
  const k = config.spec.kind === 'softmax' ? (config.spec.numClasses ?? 1) : 1;
  const p = d + 1;
  const cap = maxRounds(config, partitionRows);
  const perRow = { rowWork: modelRowWork(config.spec), kernel: workKernelOf(config.spec) };
  if (config.solver === 'normal') {
    return {
      rounds: 1,
      maxRounds: cap,
      algorithm: 'batch',
      ...perRow,
      workFactor: ((p * (p + 1)) / 2 + p) / d,
      why: 'normal equations: one round of sufficient statistics',
    };
  }
  if (config.solver === 'newton' || config.solver === 'lbfgs') {
    const typical = TYPICAL_SOLVER_ROUNDS[config.solver];
    return {
      rounds: Math.min(typical, cap),
      maxRounds: cap,
      algorithm: 'batch',
      ...perRow,
      workFactor: config.solver === 'newton' ? 1 + (p * k) / 2 : 4,
      why: `${config.solver}: typically ${typical} iterations (at most ${cap})`,
    };
  }
  const { stepsPerEpoch } = epochGeometry(config, partitionRows);
  const local = config.sync === 'local-sgd' ? config.localSteps : 1;
  return {
    rounds: cap,
    maxRounds: cap,
    algorithm: config.algorithm,
    ...(config.algorithm === 'minibatch' ? { batchSize: config.batchSize } : {}),
    ...(local > 1 ? { localSteps: local } : {}),
    ...perRow,
    workFactor: 1,
    why: `gradient descent: ${config.maxEpochs} epochs × ${Math.ceil(stepsPerEpoch / local)} rounds per epoch (an upper bound: early stopping usually ends sooner)`,
  };
}
