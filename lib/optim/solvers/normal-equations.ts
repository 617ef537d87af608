import { choleskySolve, choleskyWithDrops } from './cholesky.js';
import { unpackSymmetric } from './packed.js';
import type { SufficientStats } from './sufficient-stats.js';

/** The least-squares solution and what was done about rank deficiency. */
export interface NormalSolution {
  /** [intercept, w1..wd]; dropped columns have weight 0. */
  readonly params: Float64Array;
  /** ½·mean squared residual + (λ/2)‖w‖², from the statistics alone. */
  readonly loss: number;
  /** Feature indices (0-based, intercept excluded) whose column was dropped. */
  readonly dropped: number[];
  /** Feature indices whose column is constant (zero after standardisation). */
  readonly constant: number[];
}

/**
 * Minimises (1/2n)·Σ(y − b − xᵀw)² + (λ/2)‖w‖² from summed statistics: solves
 * (Σx̃x̃ᵀ/n + λ·diag(0, 1, …, 1))·θ = Σx̃y/n by Cholesky. Constant or linearly dependent columns
 * (pivot below tolerance, see {@link choleskyWithDrops}) are dropped (weight 0) rather than
 * producing NaN; with λ > 0 the system is positive definite and nothing is dropped.
 *
 * @example
 * // y = 1 + 2x on x = 0, 1, 2: Σx̃x̃ᵀ = [[3, 3], [3, 5]], Σx̃y = [9, 13] → θ = [1, 2]
 */
export function solveNormalEquations(stats: SufficientStats, l2: number): NormalSolution {
  const p = stats.xty.length;
  const n = stats.rows;
  const a = unpackSymmetric(stats.xtx, p);
  const constant: number[] = [];
  // A column is constant when its centred second moment is ~0: Σx² − (Σx)²/n ≤ ε·n.
  for (let j = 1; j < p; j++) {
    const sx = a[j]!;
    const sxx = a[j * p + j]!;
    if (sxx - (sx * sx) / n <= 1e-12 * n) constant.push(j - 1);
  }
  for (let k = 0; k < a.length; k++) a[k] = a[k]! / n;
  for (let j = 1; j < p; j++) a[j * p + j] = a[j * p + j]! + l2;
  const b = stats.xty.map((v) => v / n);
  const f = choleskyWithDrops(a, p);
  const theta = choleskySolve(f, b);
  // loss = ½(Σy²/n − 2θᵀb + θᵀAθ) with A the un-ridged moment matrix, plus the ridge term
  let quad = 0;
  let lin = 0;
  let ridge = 0;
  for (let i = 0; i < p; i++) {
    lin += theta[i]! * b[i]!;
    let row = 0;
    for (let j = 0; j < p; j++) row += a[i * p + j]! * theta[j]!;
    if (i > 0) row -= l2 * theta[i]!;
    quad += theta[i]! * row;
    if (i > 0) ridge += theta[i]! * theta[i]!;
  }
  const loss = Math.max(0, 0.5 * (stats.yy / n - 2 * lin + quad)) + 0.5 * l2 * ridge;
  return {
    params: theta,
    loss,
    dropped: f.dropped.filter((j) => j > 0).map((j) => j - 1),
    constant,
  };
}
