import type { Schedule } from './schedule.js';

/** lr(t) = lr0·rate^(t/T); with `staircase`, the exponent is ⌊t/T⌋ (tfjs/Keras semantics). */
export function exponentialDecay(lr0: number, decaySteps: number, rate: number, staircase = false): Schedule {
  return (t) => {
    const p = t / decaySteps;
    return lr0 * rate ** (staircase ? Math.floor(p) : p);
  };
}
