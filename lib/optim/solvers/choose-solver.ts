import { UsageError } from '../../errors.js';
import type { ModelSpec } from '../models/model-spec.js';
import { paramCount } from '../models/model-spec.js';

/** The training methods: three second-order/quasi-Newton solvers and the source's GD family. */
export const SOLVERS = ['normal', 'newton', 'lbfgs', 'gd'] as const;
export type Solver = (typeof SOLVERS)[number];
/** What a user may ask for: a solver, or `auto` (the default). */
export const SOLVER_CHOICES = ['auto', ...SOLVERS] as const;
export type SolverChoice = (typeof SOLVER_CHOICES)[number];

/**
 * Largest feature count d for which `auto` uses the normal equations. A worker's result is the
 * Gram matrix's upper triangle, (d+1)(d+2)/2 numbers: at d = 1024 that is 525k numbers, ≈ 10 MB
 * of JSON per worker per round (≈ 0.1 s through S3 at 100 MB/s, under the ~350 ms a round costs
 * anyway), and the server's Cholesky is d³/3 ≈ 0.36 GFLOP (≈ 0.3 s). Spark's WeightedLeastSquares
 * stops at 4096; ours is lower because results travel as JSON, not as a binary tree aggregate.
 */
export const NORMAL_MAX_FEATURES = 1024;

/**
 * Largest parameter count p = (d+1)·C for which `auto` uses Newton on logistic/softmax. Each round
 * a worker returns the Hessian's upper triangle, p(p+1)/2 numbers, and computes it with
 * rows·C·(d+1)²/2 multiply-adds on top of the gradient's rows·p; the server factorises it in
 * p³/3. At p = 1000: 500k numbers (≈ 10 MB of JSON) per worker per round and ≈ 0.33 GFLOP of
 * Cholesky — both about one round's fixed latency (~350 ms on AWS), while Newton saves tens of
 * rounds over L-BFGS (digits, 1797 × 64 × 10 classes, p = 650: ~10 rounds vs ~100 iterations).
 * Past that the Hessian costs more than the rounds it saves, and L-BFGS takes over.
 */
export const NEWTON_MAX_PARAMS = 1000;

/**
 * The penalty a newton/lbfgs classifier gets when the user gave no `--l2`: scikit-learn's
 * LogisticRegression default C = 1, i.e. ½‖w‖²/C on the SUMMED loss, which is λ = 1/(C·n) on our
 * mean loss. So `auto` lands on scikit-learn's model and test metrics out of the box, and
 * separable data has a finite optimum. Linear models get none (as LinearRegression); `gd` keeps
 * its own default (no penalty), bit for bit. Returns undefined when nothing is to be added.
 *
 * @example
 * defaultL2({ kind: 'logistic', numFeatures: 3 }, 'newton', 400); // 0.0025
 */
export function defaultL2(spec: ModelSpec, solver: Solver, rows: number): number | undefined {
  if (spec.l2 !== undefined || spec.kind === 'linear') return undefined;
  if (spec.kind === 'mlp') return MLP_ALPHA / rows;
  if (solver !== 'newton' && solver !== 'lbfgs') return undefined;
  return 1 / rows;
}

/**
 * An MLP's default penalty, on scikit-learn's scale: `alpha` adds ½·alpha·‖W‖²/n to the mean loss
 * (biases excluded), i.e. λ = alpha/n here, for every solver. scikit-learn's default, 1e-4: a value
 * tuned on some data set's test split would flatter that data set and nothing else. With
 * full-batch L-BFGS and no mini-batch noise, a small alpha lets the model fit the training rows
 * to the last digit; a better alpha for the data at hand is chosen on a validation split of the
 * training rows by `selectMlpAlpha` (training/select-alpha.ts). `--l2` overrides it.
 */
export const MLP_ALPHA = 1e-4;

/** Iterations an MLP's L-BFGS runs at most by default: scikit-learn's MLP `max_iter = 200`. */
export const MLP_MAX_ITER = 200;

/** A resolved choice and why it was made (stored in the job plan and printed by `train`). */
export interface SolverDecision {
  readonly solver: Solver;
  readonly reason: string;
}

/**
 * `auto`: normal equations for linear (d ≤ {@link NORMAL_MAX_FEATURES}), Newton for
 * logistic/softmax while p ≤ {@link NEWTON_MAX_PARAMS}, L-BFGS otherwise. A GD-only option
 * (`gdOptions`, e.g. ['--lr']) implies `gd`; asking for another solver together with one fails.
 *
 * @example
 * chooseSolver({ kind: 'linear', numFeatures: 10 }, 'auto', []).solver; // 'normal'
 */
export function chooseSolver(
  spec: ModelSpec,
  requested: SolverChoice | undefined,
  gdOptions: readonly string[],
): SolverDecision {
  if (!(SOLVER_CHOICES as readonly string[]).includes(requested ?? 'auto'))
    throw new UsageError(`solver "${requested}" is unknown; use one of ${SOLVER_CHOICES.join(', ')}`);
  if (gdOptions.length > 0) {
    if (requested !== undefined && requested !== 'gd' && requested !== 'auto')
      throw new UsageError(
        `${gdOptions.join(', ')} ${gdOptions.length === 1 ? 'is a' : 'are'} gradient-descent option${gdOptions.length === 1 ? '' : 's'}; it cannot be used with --solver ${requested}`,
      );
    return { solver: 'gd', reason: `gradient descent: implied by ${gdOptions.join(', ')}` };
  }
  const p = paramCount(spec);
  if (spec.kind === 'mlp') return chooseMlpSolver(spec, requested, p);
  if (requested !== undefined && requested !== 'auto') {
    if (requested === 'normal' && spec.kind !== 'linear')
      throw new UsageError(
        `--solver normal solves least squares; a ${spec.kind} model needs newton, lbfgs or gd`,
      );
    return { solver: requested, reason: `asked for (--solver ${requested})` };
  }
  if (spec.kind === 'linear') {
    return spec.numFeatures <= NORMAL_MAX_FEATURES
      ? {
          solver: 'normal',
          reason: `linear with ${spec.numFeatures} ≤ ${NORMAL_MAX_FEATURES} features: normal equations in one pass`,
        }
      : {
          solver: 'lbfgs',
          reason: `linear with ${spec.numFeatures} > ${NORMAL_MAX_FEATURES} features: the Gram matrix is too big to ship, L-BFGS`,
        };
  }
  return p <= NEWTON_MAX_PARAMS
    ? {
        solver: 'newton',
        reason: `${spec.kind} with ${p} ≤ ${NEWTON_MAX_PARAMS} parameters: Newton (the Hessian is small enough to ship each round)`,
      }
    : {
        solver: 'lbfgs',
        reason: `${spec.kind} with ${p} > ${NEWTON_MAX_PARAMS} parameters: L-BFGS (a Hessian would cost more than the rounds it saves)`,
      };
}

/**
 * mlp: `auto` is L-BFGS, as scikit-learn's MLPClassifier(solver='lbfgs') recommends for small
 * data, because it reaches scikit-learn's accuracy in far fewer rounds — what a serverless job
 * pays for. Measured on digits (1797 × 64, 10 classes, hidden (100,), 80/20 split, 4 partitions;
 * bench/mlp.ts): L-BFGS reached MLPClassifier's test accuracy (97.8 %, adam, 3 random states) in
 * ~26 rounds and stopped at 31 (grad-tol) with 98.0 % (3 seeds); full-batch Adam GD needed 395
 * rounds, and mini-batch Adam (scikit-learn's own way) one round per mini-batch, ~1300 for 140
 * epochs. An L-BFGS round costs four gradient passes (its trial steps) but one fan-out. Newton
 * and the normal equations do not apply: the loss is not convex and no Hessian of hidden layers
 * is shipped.
 */
function chooseMlpSolver(spec: ModelSpec, requested: SolverChoice | undefined, p: number): SolverDecision {
  if (requested === 'normal' || requested === 'newton')
    throw new UsageError(`--solver ${requested} does not fit an mlp (a non-convex network); use lbfgs or gd`);
  if (requested === 'lbfgs' || requested === 'gd')
    return { solver: requested, reason: `asked for (--solver ${requested})` };
  const layers = (spec.hidden ?? []).join(',');
  return {
    solver: 'lbfgs',
    reason: `mlp (hidden ${layers}, ${p} parameters): L-BFGS, as scikit-learn's MLPClassifier(solver='lbfgs') for small data; on digits it reached MLPClassifier's accuracy in ~26 rounds where Adam GD took ~400 (bench/mlp.ts)`,
  };
}
