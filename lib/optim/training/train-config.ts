import { UsageError } from '../../errors.js';
import type { ModelSpec } from '../models/model-spec.js';
import { headKind, validateSpec } from '../models/model-spec.js';
import type { OptimizerConfig } from '../optimizers/create-optimizer.js';
import type { ScheduleConfig } from '../schedules/make-schedule.js';
import { makeSchedule } from '../schedules/make-schedule.js';
import type { Solver, SolverChoice } from '../solvers/choose-solver.js';
import { chooseSolver, defaultL2, MLP_ALPHA, MLP_MAX_ITER, SOLVERS } from '../solvers/choose-solver.js';
import { SOLVER_DEFAULTS } from '../solvers/solver-stopping.js';

/** `batch`: every row every round; `minibatch`: global batch B; `sgd`: B = 1. */
export const ALGORITHMS = ['sgd', 'minibatch', 'batch'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** `gd`: one gradient per partition per round; `local-sgd`: K local steps, server averages the deltas. */
export const SYNC_MODES = ['gd', 'local-sgd'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** A fully resolved training configuration (JSON-able; every field set). */
export interface TrainConfig {
  readonly spec: ModelSpec;
  readonly algorithm: Algorithm;
  /** Global batch size B (split as ⌈B/W⌉ per partition). For `batch`, the total row count. */
  readonly batchSize: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  readonly maxEpochs: number;
  /** Most rounds (server updates) to run; null = no limit. */
  readonly maxSteps: number | null;
  /** Relative loss-improvement tolerance (see `updateNoImprovement`). */
  readonly tol: number;
  readonly nIterNoChange: number;
  /** Relative gradient-norm tolerance ‖g‖ ≤ gradTol·‖g₀‖; only checked on full-batch gradients. */
  readonly gradTol: number;
  readonly seed: number;
  readonly sync: SyncMode;
  /** K: local steps per round in `local-sgd` (1 in `gd`). */
  readonly localSteps: number;
  /**
   * Adaptive restart (O'Donoghue & Candès 2015, "function scheme"): when a full-batch round's loss
   * is above the previous round's, the momentum/Adam first moment is zeroed before the update. It
   * removes the long underdamped oscillations of momentum 0.9 on well-conditioned problems.
   * Only acts on full-batch gradient rounds.
   */
  readonly adaptiveRestart: boolean;
  /**
   * How the model is fitted: `normal` (linear, one pass of sufficient statistics), `newton`,
   * `lbfgs`, or `gd` (every field above). Chosen by {@link chooseSolver}; the reason is kept.
   */
  readonly solver: Solver;
  readonly solverReason: string;
  /** Stopping of normal/newton/lbfgs: max |g_i| ≤ gtol, relative loss reduction ≤ ftol, maxIter steps. */
  readonly solverTol: { readonly gtol: number; readonly ftol: number; readonly maxIter: number };
}

/** A schedule where lr may be left out (the default learning rate fills it in). */
export type ScheduleInput = ScheduleConfig extends infer S
  ? S extends ScheduleConfig
    ? Omit<S, 'lr'> & { readonly lr?: number }
    : never
  : never;

/** What a caller may pass: `spec` plus any subset of the fields; `learningRate` sets lr0. */
export interface TrainConfigInput
  extends Partial<Omit<TrainConfig, 'spec' | 'schedule' | 'solver' | 'solverReason' | 'solverTol'>> {
  readonly spec: ModelSpec;
  /** Default `auto`, or `gd` when any gradient-descent option below is given (see {@link gdOptionsOf}). */
  readonly solver?: SolverChoice;
  readonly schedule?: ScheduleInput;
  readonly learningRate?: number;
}

/** The data the defaults depend on. */
export interface DataShape {
  readonly rows: number;
  readonly numFeatures?: number;
  /** W, when known (for the minibatch schedule's time scale); 1 otherwise. */
  readonly partitions?: number;
}

/**
 * The defaults, chosen like scikit-learn chooses them: they assume STANDARDISED features (zero
 * mean, unit variance; the caller standardises) and need no tuning.
 *
 * - `batch` (the default algorithm): full-batch gradient descent with Nesterov momentum 0.9 and a
 *   constant lr = 1/(c·(d+1) + λ). For standardised features the Hessian's largest eigenvalue is at
 *   most c·(d+1) (trace bound; c = 1 for MSE, ¼ for log-loss, ½ for cross-entropy), so this lr is
 *   always stable — the same reasoning as sklearn's SAG "auto" step size — with adaptive momentum
 *   restart (see `TrainConfig.adaptiveRestart`). Stops on ‖g‖ ≤ 1e-6·‖g₀‖
 *   or when the loss has not decreased by 1e-10 relative (vs the previous epoch) for 20 epochs; at most 3000 epochs.
 * - `minibatch` (B = min(256, n)) / `sgd` (B = 1): Nesterov momentum 0.9, lr0 = 1× resp. 0.01×
 *   that bound, decayed as (1 + t/T)^(−½) with T = one epoch of steps. The budgets are counted in
 *   STEPS, not epochs, because an epoch of a small table is one or two steps: at most
 *   ⌈3000/steps-per-epoch⌉ epochs clamped to [20, 300] (sgd: ⌈30 000/n⌉ clamped to [20, 100]), and
 *   the tol rule (1e-4 relative to the best epoch loss) waits max(5, ⌈100/steps-per-epoch⌉) epochs
 *   (sgd: 10), so it outlasts a momentum swing (up to ~100 steps when the curvature bound is loose,
 *   as for log-loss) instead of stopping in the middle of one.
 * - an optimizer picked without a learning rate, under `minibatch`/`sgd`: `momentum` as above;
 *   `plain`: 2× the bound (still stable: λmax ≤ c·max(1, d) + λ < 2/lr) with T = max(epoch, 100
 *   steps), as plain steps are 10× shorter than momentum's and carry less noise; `adam`: lr0 =
 *   0.05 (its steps are ≈ lr per coordinate, and standardised data has O(1) parameters; sgd 0.005)
 *   with T = max(epoch, 100 steps). Under `batch`, `adam` gets 0.05 constant, the others the bound.
 * - `local-sgd`: plain SGD locally and at the server (FedAvg), lr = the bound, K = 4; with
 *   `minibatch`/`sgd`, at most 100 resp. 20 epochs, tol over 5 epochs.
 */
export const DEFAULTS = {
  algorithm: 'batch',
  sync: 'gd',
  minibatchSize: 256,
  momentum: 0.9,
  localSteps: 4,
  seed: 0,
  gradTol: 1e-6,
  batch: { maxEpochs: 3000, tol: 1e-10, nIterNoChange: 20, lrScale: 1 },
  minibatch: { maxEpochs: 300, tol: 1e-4, nIterNoChange: 5, lrScale: 1 },
  sgd: { maxEpochs: 100, tol: 1e-4, nIterNoChange: 10, lrScale: 0.01 },
  /** Step budgets of `minibatch`/`sgd`: see {@link stochasticBudget}. */
  stochastic: {
    minibatch: { budgetSteps: 3000, patienceSteps: 100, minEpochs: 20 },
    sgd: { budgetSteps: 30_000, patienceSteps: 0, minEpochs: 20 },
  },
  /** `local-sgd` with `minibatch`/`sgd` keeps plain epoch caps (its rounds are K steps). */
  localSgd: {
    minibatch: { maxEpochs: 100, nIterNoChange: 5 },
    sgd: { maxEpochs: 20, nIterNoChange: 5 },
  },
  /** Default lr0 of Adam on standardised data (sgd: a tenth of it). */
  adamLr: 0.05,
  /** Plain SGD's lr0 multiplier over the momentum default (minibatch/sgd only). */
  plainLrScale: 2,
  /** Least decay time scale T (steps) for `plain` and `adam` under minibatch/sgd. */
  slowDecaySteps: 100,
} as const;

/**
 * Epoch cap and tol patience of `minibatch`/`sgd` from a step budget: max epochs =
 * ⌈budget/steps-per-epoch⌉ clamped to [minEpochs, the algorithm's maxEpochs]; patience =
 * max(nIterNoChange, ⌈patienceSteps/steps-per-epoch⌉).
 *
 * @example
 * stochasticBudget('minibatch', 1); // { maxEpochs: 300, nIterNoChange: 100 } (n ≤ 256)
 */
export function stochasticBudget(
  algorithm: 'minibatch' | 'sgd',
  stepsPerEpoch: number,
): { maxEpochs: number; nIterNoChange: number } {
  const per = DEFAULTS[algorithm];
  const b = DEFAULTS.stochastic[algorithm];
  const spe = Math.max(1, stepsPerEpoch);
  return {
    maxEpochs: Math.min(per.maxEpochs, Math.max(b.minEpochs, Math.ceil(b.budgetSteps / spe))),
    nIterNoChange: Math.max(per.nIterNoChange, Math.ceil(b.patienceSteps / spe)),
  };
}

/** Curvature bound per unit of (d+1): Hessian ⪯ c·X̃ᵀX̃/n with c = 1, ¼, ½. */
const CURVATURE = { linear: 1, logistic: 0.25, softmax: 0.5 } as const;

/** lr = 1/(c·(d+1) + λ): stable for full-batch GD on standardised features (see {@link DEFAULTS}). */
export function safeLearningRate(spec: ModelSpec): number {
  // mlp: the bound of its head on the input width (a heuristic there: the loss is not convex)
  return 1 / (CURVATURE[headKind(spec)] * (spec.numFeatures + 1) + (spec.l2 ?? 0));
}

/** The gradient-descent-only options present in `input`, named as their CLI flags. */
export function gdOptionsOf(input: TrainConfigInput): string[] {
  const flags: [unknown, string][] = [
    [input.algorithm, '--algorithm'],
    [input.optimizer, '--optimizer'],
    [input.schedule, '--schedule'],
    [input.learningRate, '--lr'],
    [input.batchSize, '--batch-size'],
    [input.sync, '--sync'],
    [input.localSteps, '--local-steps'],
  ];
  return flags.filter(([v]) => v !== undefined).map(([, flag]) => flag);
}

/**
 * Fills every field the caller left out with {@link DEFAULTS} and validates the result. The solver
 * is `auto` unless asked (see {@link chooseSolver}); for normal/newton/lbfgs, `tol` is scikit-learn's
 * gradient tolerance (default 1e-4) and `maxEpochs` its `max_iter` (default 100).
 *
 * @example
 * const config = resolveTrainConfig({ spec: { kind: 'logistic', numFeatures: 8 } }, { rows: 10_000 });
 */
export function resolveTrainConfig(input: TrainConfigInput, data: DataShape): TrainConfig {
  validateSpec(input.spec);
  if (!(Number.isInteger(data.rows) && data.rows >= 1))
    throw new UsageError(`rows must be >= 1, got ${data.rows}`);
  if (data.numFeatures !== undefined && data.numFeatures !== input.spec.numFeatures) {
    throw new UsageError(
      `data has ${data.numFeatures} features but the model spec says ${input.spec.numFeatures}`,
    );
  }
  const algorithm = input.algorithm ?? DEFAULTS.algorithm;
  const sync = input.sync ?? DEFAULTS.sync;
  const per = DEFAULTS[algorithm];
  const batchSize =
    algorithm === 'batch'
      ? data.rows
      : algorithm === 'sgd'
        ? 1
        : (input.batchSize ?? Math.min(DEFAULTS.minibatchSize, data.rows));
  const stochastic = algorithm !== 'batch' && sync === 'gd';
  const optimizer: OptimizerConfig =
    input.optimizer ??
    (sync === 'local-sgd'
      ? { kind: 'plain' }
      : { kind: 'momentum', momentum: DEFAULTS.momentum, nesterov: true });
  const bound = safeLearningRate(input.spec) * (sync === 'local-sgd' ? 1 : per.lrScale);
  const lr0 =
    input.learningRate ??
    input.schedule?.lr ??
    (optimizer.kind === 'adam' && sync === 'gd'
      ? DEFAULTS.adamLr * (algorithm === 'sgd' ? 0.1 : 1)
      : optimizer.kind === 'plain' && stochastic
        ? DEFAULTS.plainLrScale * bound
        : bound);
  const w = Math.max(1, data.partitions ?? 1);
  const stepsPerEpoch = Math.ceil(Math.ceil(data.rows / w) / Math.ceil(batchSize / w));
  const decaySteps =
    optimizer.kind === 'momentum' ? stepsPerEpoch : Math.max(stepsPerEpoch, DEFAULTS.slowDecaySteps);
  const schedule: ScheduleConfig =
    input.schedule !== undefined
      ? ({ ...input.schedule, lr: lr0 } as ScheduleConfig)
      : algorithm === 'batch' || sync === 'local-sgd'
        ? { kind: 'constant', lr: lr0 }
        : { kind: 'inverse-time', lr: lr0, decaySteps, power: 0.5 };
  const budget =
    algorithm === 'batch'
      ? { maxEpochs: per.maxEpochs, nIterNoChange: per.nIterNoChange }
      : stochastic
        ? stochasticBudget(algorithm, stepsPerEpoch)
        : DEFAULTS.localSgd[algorithm];
  const solved = solverFields(input, data.rows);
  const config: TrainConfig = {
    spec: solved.spec,
    algorithm,
    batchSize,
    optimizer,
    schedule,
    maxEpochs: input.maxEpochs ?? budget.maxEpochs,
    maxSteps: input.maxSteps ?? null,
    tol: input.tol ?? per.tol,
    nIterNoChange: input.nIterNoChange ?? budget.nIterNoChange,
    gradTol: input.gradTol ?? DEFAULTS.gradTol,
    seed: input.seed ?? DEFAULTS.seed,
    sync,
    localSteps: sync === 'gd' ? 1 : (input.localSteps ?? DEFAULTS.localSteps),
    adaptiveRestart: input.adaptiveRestart ?? (algorithm === 'batch' && sync === 'gd'),
    solver: solved.solver,
    solverReason: solved.solverReason,
    solverTol: solved.solverTol,
  };
  validateTrainConfig(config);
  return config;
}

function solverFields(
  input: TrainConfigInput,
  rows: number,
): Pick<TrainConfig, 'spec' | 'solver' | 'solverReason' | 'solverTol'> {
  const { solver, reason } = chooseSolver(input.spec, input.solver, gdOptionsOf(input));
  const mlp = input.spec.kind === 'mlp';
  const maxIter = input.maxEpochs ?? (mlp ? MLP_MAX_ITER : SOLVER_DEFAULTS.maxIter);
  const l2 = defaultL2(input.spec, solver, rows);
  return {
    spec: l2 === undefined ? input.spec : { ...input.spec, l2 },
    solver,
    solverReason:
      l2 === undefined
        ? reason
        : mlp
          ? `${reason}; l2 = alpha/n = ${l2.toPrecision(3)} (alpha = ${MLP_ALPHA}, see MLP_ALPHA; --l2 0 for none)`
          : `${reason}; l2 = 1/n = ${l2.toPrecision(3)} (scikit-learn's C = 1; --l2 0 for none)`,
    solverTol: { gtol: input.tol ?? SOLVER_DEFAULTS.gtol, ftol: SOLVER_DEFAULTS.ftol, maxIter },
  };
}

/** Throws `UsageError` naming the first field that is out of range. */
export function validateTrainConfig(c: TrainConfig): void {
  validateSpec(c.spec);
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new UsageError(`invalid training config: ${what}`);
  };
  check((ALGORITHMS as readonly string[]).includes(c.algorithm), `algorithm "${c.algorithm}"`);
  check((SYNC_MODES as readonly string[]).includes(c.sync), `sync "${c.sync}"`);
  check(
    Number.isInteger(c.batchSize) && c.batchSize >= 1,
    `batchSize ${c.batchSize} must be an integer >= 1`,
  );
  check(
    Number.isInteger(c.maxEpochs) && c.maxEpochs >= 1,
    `maxEpochs ${c.maxEpochs} must be an integer >= 1`,
  );
  check(c.maxSteps === null || (Number.isInteger(c.maxSteps) && c.maxSteps >= 1), `maxSteps ${c.maxSteps}`);
  check(c.tol >= 0, `tol ${c.tol} must be >= 0`);
  check(Number.isInteger(c.nIterNoChange) && c.nIterNoChange >= 1, `nIterNoChange ${c.nIterNoChange}`);
  check(c.gradTol >= 0, `gradTol ${c.gradTol} must be >= 0`);
  check(Number.isInteger(c.seed), `seed ${c.seed} must be an integer`);
  check(Number.isInteger(c.localSteps) && c.localSteps >= 1, `localSteps ${c.localSteps} must be >= 1`);
  makeSchedule(c.schedule);
  check((SOLVERS as readonly string[]).includes(c.solver), `solver "${c.solver}"`);
  check(c.solverTol.gtol >= 0, `gtol ${c.solverTol.gtol} must be >= 0`);
  check(Number.isInteger(c.solverTol.maxIter) && c.solverTol.maxIter >= 1, `maxIter ${c.solverTol.maxIter}`);
}
