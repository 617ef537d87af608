/**
 * Why a run stopped. `diverged`: the loss or gradient became non-finite (lower the learning rate).
 * Solvers: `solved` (normal equations: exact), `grad-tol` (max |g_i| ≤ gtol), `tol` (relative loss
 * reduction ≤ ftol), `max-iter` (maxIter accepted steps), `line-search` (no trial step decreased
 * the loss: at the precision limit).
 */
export const STOP_REASONS = [
  'max-epochs',
  'tol',
  'grad-tol',
  'max-steps',
  'diverged',
  'solved',
  'max-iter',
  'line-search',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** Progress of the loss-improvement rule (JSON-able); `best` is null before the first epoch. */
export interface NoImprovementState {
  readonly best: number | null;
  readonly count: number;
}

/**
 * sklearn's `_update_no_improvement_count`, with a RELATIVE tolerance: an epoch counts as "no
 * improvement" when loss > ref − tol·|ref|, ref = the best loss so far. Relative, because targets
 * are not standardised and the MSE scale follows y² (an absolute tol would mean different things
 * for different datasets).
 *
 * With `previous` given, ref is that (the previous epoch's loss) instead: used for full-batch
 * runs, whose loss is exact, so "still going down" is the right test — after a momentum overshoot
 * the loss can take many epochs to get back below its best while decreasing every epoch.
 */
export function updateNoImprovement(
  state: NoImprovementState,
  loss: number,
  tol: number,
  previous?: number | null,
): NoImprovementState {
  if (state.best === null) return { best: loss, count: 0 };
  const ref = previous ?? state.best;
  const count = loss > ref - tol * Math.abs(ref) ? state.count + 1 : 0;
  return { best: Math.min(loss, state.best), count };
}

/** True when `nIterNoChange` epochs in a row brought no improvement. */
export function lossStalled(state: NoImprovementState, nIterNoChange: number): boolean {
  return state.count >= nIterNoChange;
}

/**
 * Gradient-norm rule, relative to the first full gradient: ‖g‖ ≤ gradTol·‖g₀‖. Scale-free for the
 * same reason as the loss rule; ‖g₀‖ = 0 (already optimal at the start) stops at once.
 */
export function gradientConverged(gradNorm: number, gradNorm0: number, gradTol: number): boolean {
  return gradNorm <= gradTol * gradNorm0;
}

/** Euclidean norm. */
export function l2Norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
