import { ProtocolError, UsageError } from '../../errors.js';
import type { GradientKernel } from '../kernels/gradient-kernel.js';
import type { Batch } from '../models/batch.js';
import { allRows } from '../models/batch.js';
import { numOutputs, paramCount } from '../models/model-spec.js';
import { addL2Gradient, l2Penalty } from '../models/regularization.js';
import type { StopReason } from '../stopping/stopping-rules.js';
import { l2Norm } from '../stopping/stopping-rules.js';
import type { ShardResultBase } from '../training/compute-task.js';
import { type RoundTask, resultBase } from '../training/plan-round.js';
import type { TrainConfig } from '../training/train-config.js';
import type { RoundRecord, TrainState } from '../training/train-state.js';
import { hessianSum } from './hessian.js';
import { dot, lbfgsDirection, pushPair } from './lbfgs.js';
import { NEWTON_MAX_RADIUS, NEWTON_MAX_STEP, newtonStep } from './newton-step.js';
import { solveNormalEquations } from './normal-equations.js';
import { addInto, packedIndex, packedLength } from './packed.js';
import type { LineSearchState, SolverNote, SolverState } from './solver-state.js';
import { withNote } from './solver-state.js';
import { maxAbs, relativeReduction } from './solver-stopping.js';
import type { SufficientStats } from './sufficient-stats.js';
import { sufficientStats } from './sufficient-stats.js';

/**
 * The solvers as round protocols on the same state machine as GD (planRound → computeTask →
 * applyRound), so the in-process runner, the local cloud and AWS run them alike, exactly once.
 *
 * - normal: round 0's workers return {@link SufficientStats}; the server solves; done.
 * - newton / lbfgs: the state holds the accepted point θ, a direction and trial steps; workers
 *   return loss and gradient sums (and the Hessian's, for Newton) at every θ + t·direction; the
 *   server picks the accepted trial (Armijo; L-BFGS also prefers the curvature condition), then
 *   plans the next direction. A round whose every trial fails keeps θ and shrinks the steps.
 */

/** A worker's per-trial sums (no L2 term; the server adds it once). */
export interface TrialSums {
  readonly lossSum: number;
  readonly gradSum: number[];
  /** Packed upper Hessian sum (Newton), else null. */
  readonly hessSum: number[] | null;
}

export type SolverResult =
  | (ShardResultBase & {
      readonly kind: 'stats';
      readonly xtx: number[];
      readonly xty: number[];
      readonly yy: number;
    })
  | (ShardResultBase & { readonly kind: 'trials'; readonly trials: TrialSums[] });

/** Armijo's sufficient-decrease constant and the curvature constant (Nocedal & Wright's c₁, c₂). */
export const ARMIJO_C1 = 1e-4;
export const CURVATURE_C2 = 0.9;
/** Relative loss change below which losses are rounding noise (Hager & Zhang's ε). */
export const APPROX_WOLFE_EPS = 1e-12;
/**
 * L-BFGS trial steps per round, as multiples of the quasi-Newton step. Four points (a gradient
 * pass each) in one round: the unit step is accepted most of the time; 2 extrapolates when the
 * curvature estimate is too high, ½ and ¼ backtrack without another round.
 */
export const LBFGS_TRIAL_STEPS = [2, 1, 0.5, 0.25] as const;
/** First L-BFGS iteration (no curvature yet): steps t/‖g‖ along −g (scipy starts at 1/‖g‖). */
export const LBFGS_FIRST_STEPS = [8, 4, 2, 1] as const;
/** Rounds in a row without an acceptable trial before giving up ('line-search'). */
export const MAX_LINE_SEARCH_FAILURES = 20;

export function isSolverConfig(config: TrainConfig): boolean {
  return config.solver === 'normal' || config.solver === 'newton' || config.solver === 'lbfgs';
}

/** Round 0's solver state: statistics for `normal`; "evaluate θ₀" for newton/lbfgs. */
export function initSolverState(config: TrainConfig): SolverState | null {
  if (!isSolverConfig(config)) return null;
  if (config.solver === 'normal') {
    if (config.spec.kind !== 'linear')
      throw new UsageError(`the normal equations fit linear models, not ${config.spec.kind}`);
    return { kind: 'normal', notes: [] };
  }
  const n = paramCount(config.spec);
  return {
    kind: config.solver === 'newton' ? 'newton' : 'lbfgs',
    iter: 0,
    direction: new Array<number>(n).fill(0),
    steps: [0],
    baseLoss: null,
    baseGrad: [],
    slope: 0,
    radius: NEWTON_MAX_STEP,
    capped: false,
    memS: [],
    memY: [],
    failures: 0,
    notes: [],
  };
}

function solverStateOf(state: TrainState): SolverState {
  if (state.solver === undefined || state.solver === null)
    throw new ProtocolError(`round ${state.round}: the state has no solver state`);
  return state.solver;
}

/** θ + t·d, the one formula workers and server both use (so they agree bit for bit). */
export function trialPoint(base: ArrayLike<number>, direction: ArrayLike<number>, t: number): Float64Array {
  const out = new Float64Array(base.length);
  for (let i = 0; i < out.length; i++) out[i] = base[i]! + t * direction[i]!;
  return out;
}

/** One task per partition: every row, once (a solver round is one pass over the data). */
export function planSolverTasks(
  config: TrainConfig,
  state: TrainState,
  partitionRows: readonly number[],
): RoundTask[] {
  const s = solverStateOf(state);
  return partitionRows.map(
    (rows, partition): RoundTask => ({
      v: 1,
      round: state.round,
      partition,
      partitionRows: rows,
      epoch: state.epoch,
      step: 0,
      steps: 1,
      stepsPerEpoch: 1,
      localBatch: 0,
      mode: s.kind === 'normal' ? 'stats' : 'trials',
      lr: 0,
      ...(s.kind === 'normal'
        ? {}
        : { trials: { direction: s.direction, steps: s.steps, hessian: config.solver === 'newton' } }),
    }),
  );
}

/** A worker's answer: statistics, or per-trial sums at θ + t·d. */
export function computeSolverTask(
  config: TrainConfig,
  params: Float64Array,
  partition: Batch,
  task: RoundTask,
  kernel: GradientKernel,
): SolverResult {
  const base = resultBase(task);
  if (task.mode === 'stats') {
    const st = sufficientStats(partition);
    return { ...base, kind: 'stats', xtx: st.xtx, xty: st.xty, yy: st.yy, lossSum: 0, rows: st.rows };
  }
  const trials = task.trials;
  if (task.mode !== 'trials' || trials === undefined)
    throw new ProtocolError(`round ${task.round}: a solver task must be stats or trials, got ${task.mode}`);
  const grad = new Float64Array(paramCount(config.spec));
  const sums = trials.steps.map((t): TrialSums => {
    const theta = trialPoint(params, trials.direction, t);
    const { lossSum } = kernel.lossAndGradient(config.spec, theta, allRows(partition), grad);
    return {
      lossSum,
      gradSum: Array.from(grad),
      hessSum: trials.hessian ? Array.from(hessianSum(config.spec, theta, partition)) : null,
    };
  });
  return { ...base, kind: 'trials', trials: sums, lossSum: sums[0]?.lossSum ?? 0, rows: partition.rows };
}

/** The server step of a solver round. Pure and bit-reproducible like `applyRound`. */
export function applySolverRound(
  config: TrainConfig,
  state: TrainState,
  results: readonly ShardResultBase[],
): TrainState {
  const s = solverStateOf(state);
  validate(state, results, s.kind === 'normal' ? 'stats' : 'trials');
  const totalRows = results.reduce((acc, r) => acc + r.rows, 0);
  if (totalRows === 0) throw new ProtocolError(`round ${state.round}: every partition returned 0 rows`);
  return s.kind === 'normal'
    ? applyNormal(config, state, results as readonly (SolverResult & { kind: 'stats' })[], totalRows)
    : applyLineSearch(config, state, s, results as readonly (SolverResult & { kind: 'trials' })[], totalRows);
}

function validate(state: TrainState, results: readonly ShardResultBase[], kind: string): void {
  if (results.length === 0) throw new ProtocolError(`round ${state.round}: no shard results`);
  results.forEach((r, p) => {
    const where = `round ${state.round}, result ${p}`;
    if (r.round !== state.round) throw new ProtocolError(`${where} is for round ${r.round}`);
    if (r.partition !== p)
      throw new ProtocolError(`${where} is from partition ${r.partition}; pass results in partition order`);
    const k = (r as { kind?: string }).kind;
    if (k !== kind) throw new ProtocolError(`${where} is a ${k} result, expected ${kind}`);
  });
}

function applyNormal(
  config: TrainConfig,
  state: TrainState,
  results: readonly (SolverResult & { kind: 'stats' })[],
  totalRows: number,
): TrainState {
  const p = config.spec.numFeatures + 1;
  const xtx = new Float64Array(packedLength(p));
  const xty = new Float64Array(p);
  let yy = 0;
  for (const r of results) {
    addInto(xtx, r.xtx);
    addInto(xty, r.xty);
    yy += r.yy;
  }
  const stats: SufficientStats = { xtx: Array.from(xtx), xty: Array.from(xty), yy, rows: totalRows };
  const l2 = config.spec.l2 ?? 0;
  const sol = solveNormalEquations(stats, l2);
  let notes: SolverNote[] = [];
  if (sol.constant.length > 0)
    notes = withNote(notes, {
      message: l2 > 0 ? 'constant column: weight 0 (ridge)' : 'constant column: dropped (weight 0)',
      features: sol.constant,
    });
  const dependent = sol.dropped.filter((j) => !sol.constant.includes(j));
  if (dependent.length > 0)
    notes = withNote(notes, {
      message: 'linearly dependent on earlier columns: dropped (weight 0)',
      features: dependent,
    });
  const finite = sol.params.every(Number.isFinite) && Number.isFinite(sol.loss);
  const reason: StopReason = finite ? 'solved' : 'diverged';
  return finishRound(state, {
    params: finite ? Array.from(sol.params) : state.params,
    solver: { kind: 'normal', notes },
    record: { loss: sol.loss, gradNorm: 0, lr: 1 },
    reason,
  });
}

interface Evaluated {
  readonly t: number;
  readonly theta: Float64Array;
  readonly loss: number;
  readonly g: Float64Array;
  readonly k: number;
}

function applyLineSearch(
  config: TrainConfig,
  state: TrainState,
  s: LineSearchState,
  results: readonly (SolverResult & { kind: 'trials' })[],
  totalRows: number,
): TrainState {
  const { spec } = config;
  const n = paramCount(spec);
  for (const [p, r] of results.entries()) {
    if (r.trials.length !== s.steps.length)
      throw new ProtocolError(
        `round ${state.round}, result ${p} has ${r.trials.length} trials, expected ${s.steps.length}`,
      );
  }
  const evals: Evaluated[] = s.steps.map((t, k) => {
    const theta = trialPoint(state.params, s.direction, t);
    const g = new Float64Array(n);
    let lossSum = 0;
    for (const r of results) {
      lossSum += r.trials[k]!.lossSum;
      addInto(g, r.trials[k]!.gradSum);
    }
    for (let i = 0; i < n; i++) g[i] = g[i]! / totalRows;
    addL2Gradient(spec, theta, g);
    return { t, theta, loss: lossSum / totalRows + l2Penalty(spec, theta), g, k };
  });
  const first = s.baseLoss === null;
  const chosen = first ? (isFinitePoint(evals[0]!) ? evals[0]! : null) : pickTrial(s, evals);
  if (chosen === null) {
    if (first)
      return finishRound(state, {
        params: state.params,
        solver: s,
        record: { loss: evals[0]!.loss, gradNorm: l2Norm(evals[0]!.g), lr: 0 },
        reason: 'diverged',
      });
    return rejectRound(config, state, s, evals);
  }
  const iter = first ? 0 : s.iter + 1;
  const { gtol, ftol, maxIter } = config.solverTol;
  const round = state.round + 1;
  let reason: StopReason | null = null;
  if (maxAbs(chosen.g) <= gtol) reason = 'grad-tol';
  else if (!first && relativeReduction(s.baseLoss!, chosen.loss) <= ftol) reason = 'tol';
  else if (iter >= maxIter) reason = 'max-iter';
  else if (config.maxSteps !== null && round >= config.maxSteps) reason = 'max-steps';
  const record = { loss: chosen.loss, gradNorm: l2Norm(chosen.g), lr: chosen.t };
  const params = Array.from(chosen.theta);
  if (reason !== null)
    return finishRound(state, {
      params,
      solver: { ...s, iter, baseLoss: chosen.loss, baseGrad: Array.from(chosen.g), failures: 0 },
      record,
      reason,
    });
  const next =
    s.kind === 'newton'
      ? nextNewton(config, s, results, chosen, totalRows)
      : nextLbfgs(s, state.params, chosen, first);
  return finishRound(state, {
    params,
    solver: { ...next, iter, baseLoss: chosen.loss, baseGrad: Array.from(chosen.g), failures: 0 },
    record,
    reason: null,
  });
}

function isFinitePoint(e: Evaluated): boolean {
  return Number.isFinite(e.loss) && e.g.every(Number.isFinite);
}

/**
 * Newton: the single trial if it passes Armijo. L-BFGS: the trials that pass Armijo, or — where
 * the loss no longer resolves the decrease (near the optimum, f changes below its rounding) —
 * Hager & Zhang's approximate Wolfe test on the directional derivative; those that also pass the
 * strong-Wolfe curvature test |gₜᵀd| ≤ c₂·|g₀ᵀd| come first, and of them the one with the smallest
 * |gₜᵀd| (nearest the line minimum, judged by gradients, which stay precise when losses tie).
 */
function pickTrial(s: LineSearchState, evals: readonly Evaluated[]): Evaluated | null {
  const f0 = s.baseLoss!;
  if (s.kind === 'newton') {
    const e = evals[0]!;
    return isFinitePoint(e) && e.loss <= f0 + ARMIJO_C1 * e.t * s.slope ? e : null;
  }
  const noise = APPROX_WOLFE_EPS * Math.abs(f0);
  const ok = evals.filter((e) => {
    if (!isFinitePoint(e)) return false;
    if (e.loss <= f0 + ARMIJO_C1 * e.t * s.slope) return true;
    const dphi = dot(e.g, s.direction);
    return e.loss <= f0 + noise && dphi <= (2 * ARMIJO_C1 - 1) * s.slope && dphi >= CURVATURE_C2 * s.slope;
  });
  if (ok.length === 0) return null;
  const dphi = (e: Evaluated): number => Math.abs(dot(e.g, s.direction));
  const wolfe = ok.filter((e) => dphi(e) <= CURVATURE_C2 * Math.abs(s.slope));
  const pool = wolfe.length > 0 ? wolfe : ok;
  return pool.reduce((best, e) => (dphi(e) < dphi(best) ? e : best));
}

/** The next Newton direction from the accepted trial's Hessian (mean, plus λ off the intercepts). */
function nextNewton(
  config: TrainConfig,
  s: LineSearchState,
  results: readonly (SolverResult & { kind: 'trials' })[],
  chosen: Evaluated,
  totalRows: number,
): LineSearchState {
  const { spec } = config;
  const n = paramCount(spec);
  const h = new Float64Array(packedLength(n));
  for (const r of results) {
    const hs = r.trials[chosen.k]!.hessSum;
    if (hs === null) throw new ProtocolError('a Newton round result has no Hessian');
    addInto(h, hs);
  }
  for (let i = 0; i < h.length; i++) h[i] = h[i]! / totalRows;
  const l2 = spec.l2 ?? 0;
  const stride = spec.numFeatures + 1;
  if (l2 > 0)
    for (let c = 0; c < numOutputs(spec); c++)
      for (let j = 1; j < stride; j++) {
        const i = c * stride + j;
        const at = packedIndex(n, i, i);
        h[at] = h[at]! + l2;
      }
  // a capped step taken whole: the model is far from the optimum along a flat valley; widen
  const radius = s.capped && chosen.t === 1 ? Math.min(2 * s.radius, NEWTON_MAX_RADIUS) : s.radius;
  const step = newtonStep(h, chosen.g, radius);
  let notes = s.notes;
  if (step.capped && radius === NEWTON_MAX_RADIUS)
    notes = withNote(notes, {
      message: `Newton steps capped at ${NEWTON_MAX_RADIUS} (weights growing without bound: separable data? add --l2)`,
      features: [],
    });
  return {
    ...s,
    notes,
    radius,
    capped: step.capped,
    direction: Array.from(step.step),
    steps: [1],
    slope: step.slope,
  };
}

/** Updates the L-BFGS memory with the accepted step and plans the next direction and trials. */
function nextLbfgs(
  s: LineSearchState,
  base: readonly number[],
  chosen: Evaluated,
  first: boolean,
): LineSearchState {
  let memS = s.memS;
  let memY = s.memY;
  if (!first) {
    const sv = Array.from(chosen.theta, (v, i) => v - base[i]!);
    const yv = Array.from(chosen.g, (v, i) => v - s.baseGrad[i]!);
    ({ s: memS, y: memY } = pushPair(memS, memY, sv, yv));
  }
  return lbfgsPlan({ ...s, memS, memY }, chosen.g);
}

function lbfgsPlan(s: LineSearchState, g: Float64Array): LineSearchState {
  let d = lbfgsDirection(g, s.memS, s.memY);
  let slope = dot(g, d);
  let { memS, memY } = s;
  if (!(slope < 0) || !d.every(Number.isFinite)) {
    memS = [];
    memY = [];
    d = Float64Array.from(g, (v) => -v);
    slope = dot(g, d);
  }
  const gNorm = l2Norm(g);
  const steps = memS.length === 0 ? LBFGS_FIRST_STEPS.map((m) => m / gNorm) : LBFGS_TRIAL_STEPS.map((m) => m);
  return { ...s, memS, memY, direction: Array.from(d), steps, slope };
}

/** No trial decreased the loss enough: keep θ, try shorter steps (or stop at the precision limit). */
function rejectRound(
  config: TrainConfig,
  state: TrainState,
  s: LineSearchState,
  evals: readonly Evaluated[],
): TrainState {
  const f0 = s.baseLoss!;
  let steps: number[];
  if (s.kind === 'newton') {
    const e = evals[0]!;
    // minimiser of the quadratic through f(0), f'(0) = slope and f(t), kept within [0.1t, 0.5t]
    const q = (-s.slope * e.t * e.t) / (2 * (e.loss - f0 - s.slope * e.t));
    steps = [Number.isFinite(q) ? Math.min(0.5 * e.t, Math.max(0.1 * e.t, q)) : 0.1 * e.t];
  } else {
    const tMin = Math.min(...s.steps);
    steps = LBFGS_TRIAL_STEPS.map((m) => (m / 4) * tMin * 0.25);
  }
  const failures = s.failures + 1;
  const record = { loss: f0, gradNorm: l2Norm(s.baseGrad), lr: 0 };
  const tiny = Math.max(...steps) * maxAbs(s.direction) <= Number.EPSILON * (1 + maxAbs(state.params));
  if (tiny || failures >= MAX_LINE_SEARCH_FAILURES) {
    if (s.kind === 'lbfgs' && s.memS.length > 0) {
      const restarted = lbfgsPlan({ ...s, memS: [], memY: [] }, Float64Array.from(s.baseGrad));
      return finishRound(state, {
        params: state.params,
        solver: {
          ...restarted,
          failures: 0,
          notes: withNote(s.notes, { message: 'line search failed: L-BFGS memory reset', features: [] }),
        },
        record,
        reason: config.maxSteps !== null && state.round + 1 >= config.maxSteps ? 'max-steps' : null,
      });
    }
    return finishRound(state, {
      params: state.params,
      solver: { ...s, failures },
      record,
      reason: 'line-search',
    });
  }
  const reason: StopReason | null =
    config.maxSteps !== null && state.round + 1 >= config.maxSteps ? 'max-steps' : null;
  return finishRound(state, { params: state.params, solver: { ...s, steps, failures }, record, reason });
}

/** The next state: one more round (one more pass over the data), the round's record, maybe done. */
function finishRound(
  state: TrainState,
  next: {
    params: readonly number[];
    solver: SolverState;
    record: Pick<RoundRecord, 'loss' | 'gradNorm' | 'lr'>;
    reason: StopReason | null;
  },
): TrainState {
  const record: RoundRecord = { round: state.round, epoch: state.epoch, ...next.record };
  return {
    ...state,
    round: state.round + 1,
    epoch: state.epoch + 1,
    params: [...next.params],
    lastLoss: next.record.loss,
    last: record,
    status: next.reason === null ? { status: 'running' } : { status: 'done', reason: next.reason },
    solver: next.solver,
  };
}
