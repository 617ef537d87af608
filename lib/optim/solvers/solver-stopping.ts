/**
 * Stopping rules as scikit-learn users know them from `LogisticRegression(solver='lbfgs')`, which
 * hands scipy's L-BFGS-B `gtol = tol` (default 1e-4) on the largest gradient component and
 * `ftol = 64·ε` on the relative loss reduction, with `max_iter = 100`.
 */
export const SOLVER_DEFAULTS = {
  gtol: 1e-4,
  ftol: 64 * Number.EPSILON,
  maxIter: 100,
} as const;

/** Largest |g_i| (scipy's projected-gradient test without bounds). */
export function maxAbs(g: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i]!));
  return m;
}

/**
 * scipy's ftol test: (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol.
 *
 * @example
 * relativeReduction(2, 1); // 0.5
 */
export function relativeReduction(previous: number, current: number): number {
  return (previous - current) / Math.max(Math.abs(previous), Math.abs(current), 1);
}
