import { choleskySolve, choleskyWithDrops } from './cholesky.js';
import { unpackSymmetric } from './packed.js';

/**
 * The first trust radius: most any coordinate may move in one Newton step (standardised units).
 * On separable data the Hessian vanishes as the margins grow and the raw step grows without
 * bound; capping it keeps every iterate finite. A capped step that is accepted whole doubles the
 * radius (near-separable data: weights far out are reached in a few rounds, not hundreds), up to
 * {@link NEWTON_MAX_RADIUS}, a bound on how fast the weights may grow; gtol then stops it.
 */
export const NEWTON_MAX_STEP = 10;
export const NEWTON_MAX_RADIUS = 1000;

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
 * Solves H·s = −g (H packed upper, mean Hessian with the L2 term) by Cholesky, then scales s so
 * no coordinate moves more than `radius`; singular directions
 * are dropped (step 0 there — for softmax without L2, the K-th class block is redundant, so this
 * is the reference-class parameterisation). Falls back to −g if the result is not a descent step.
 *
 * @example
 * // H = [[2, 0], [0, 4]], g = [2, 4] → s = [−1, −1], gᵀs = −6
 */
export function newtonStep(
  hPacked: ArrayLike<number>,
  g: ArrayLike<number>,
  radius: number = NEWTON_MAX_STEP,
): NewtonStep {
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
  const capped = maxAbs > radius;
  if (capped) {
    const scale = radius / maxAbs;
    for (let i = 0; i < n; i++) step[i] = step[i]! * scale;
    slope *= scale;
  }
  return { step, slope, dropped: f.dropped, capped };
}
