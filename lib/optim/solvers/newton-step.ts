import { choleskySolve, choleskyWithDrops } from './cholesky.js';
import { unpackSymmetric } from './packed.js';

/**
 * Most any coordinate may move in one Newton step (standardised units). On separable data the
 * Hessian vanishes as the margins grow and the raw step grows without bound; capping it keeps
 * every iterate finite (the loss still falls by e^(−margin·10) per round) while gtol stops it.
 */
export const NEWTON_MAX_STEP = 10;

/** A Newton direction and the two numbers the line search needs. */
export interface NewtonStep {
  readonly step: Float64Array;
  /** gᵀs (negative for a descent step). */
  readonly slope: number;
  /** Parameter indices whose pivot was dropped (singular directions, e.g. softmax's redundancy). */
  readonly dropped: number[];
  /** True when the step was scaled down to {@link NEWTON_MAX_STEP}. */
  readonly capped: boolean;
}

/**
 * Solves H·s = −g (H packed upper, mean Hessian with the L2 term) by Cholesky; singular directions
 * are dropped (step 0 there — for softmax without L2, the K-th class block is redundant, so this
 * is the reference-class parameterisation). Falls back to −g if the result is not a descent step.
 *
 * @example
 * // H = [[2, 0], [0, 4]], g = [2, 4] → s = [−1, −1], gᵀs = −6
 */
export function newtonStep(hPacked: ArrayLike<number>, g: ArrayLike<number>): NewtonStep {
  const n = g.length;
  const h = unpackSymmetric(hPacked, n);
  const f = choleskyWithDrops(h, n);
  let step = choleskySolve(
    f,
    Array.from(g, (v) => -v),
  );
  let slope = 0;
  for (let i = 0; i < n; i++) slope += g[i]! * step[i]!;
  if (!(slope < 0) || !step.every(Number.isFinite)) {
    step = Float64Array.from(g, (v) => -v);
    slope = 0;
    for (let i = 0; i < n; i++) slope -= g[i]! * g[i]!;
  }
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(step[i]!));
  const capped = maxAbs > NEWTON_MAX_STEP;
  if (capped) {
    const scale = NEWTON_MAX_STEP / maxAbs;
    for (let i = 0; i < n; i++) step[i] = step[i]! * scale;
    slope *= scale;
  }
  return { step, slope, dropped: f.dropped, capped };
}
