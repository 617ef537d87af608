/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, Algorithm 7.4): the direction
 * d = −H·g from the last m curvature pairs (s, y), without forming H.
 */

/** Memory size: scipy's L-BFGS-B default (maxcor = 10), which scikit-learn uses. */
export const LBFGS_MEMORY = 10;

/**
 * The two-loop recursion: returns −H·g with H₀ = γ·I, γ = sᵀy/yᵀy of the newest pair (1 with
 * no pairs, i.e. steepest descent). Pairs are oldest first.
 *
 * @example
 * // one pair s = [1, 0], y = [2, 0] (curvature 2 along x): −H·[4, 0] = [−2, 0], a Newton step
 * lbfgsDirection([4, 0], [[1, 0]], [[2, 0]]); // [−2, −0]
 */
export function lbfgsDirection(
  g: ArrayLike<number>,
  s: readonly (readonly number[])[],
  y: readonly (readonly number[])[],
): Float64Array {
  const n = g.length;
  const q = Float64Array.from(g);
  const m = s.length;
  const alpha = new Float64Array(m);
  const rho = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    rho[i] = 1 / dot(y[i]!, s[i]!);
    alpha[i] = rho[i]! * dot(s[i]!, q);
    for (let k = 0; k < n; k++) q[k] = q[k]! - alpha[i]! * y[i]![k]!;
  }
  const gamma = m === 0 ? 1 : dot(s[m - 1]!, y[m - 1]!) / dot(y[m - 1]!, y[m - 1]!);
  for (let k = 0; k < n; k++) q[k] = q[k]! * gamma;
  for (let i = 0; i < m; i++) {
    const beta = rho[i]! * dot(y[i]!, q);
    for (let k = 0; k < n; k++) q[k] = q[k]! + s[i]![k]! * (alpha[i]! - beta);
  }
  for (let k = 0; k < n; k++) q[k] = -q[k]!;
  return q;
}

/**
 * Adds the pair (s, y) when the curvature sᵀy is safely positive (sᵀy > ε·yᵀy, scipy's test), so
 * H stays positive definite; keeps the newest `m`. Returns the new lists (inputs untouched).
 */
export function pushPair(
  s: readonly number[][],
  y: readonly number[][],
  sNew: number[],
  yNew: number[],
  m = LBFGS_MEMORY,
): { s: number[][]; y: number[][]; added: boolean } {
  const sy = dot(sNew, yNew);
  if (!(sy > Number.EPSILON * dot(yNew, yNew))) return { s: [...s], y: [...y], added: false };
  return { s: [...s, sNew].slice(-m), y: [...y, yNew].slice(-m), added: true };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let v = 0;
  for (let i = 0; i < a.length; i++) v += a[i]! * b[i]!;
  return v;
}
