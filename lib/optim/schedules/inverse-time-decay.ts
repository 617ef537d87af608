import type { Schedule } from './schedule.js';

/** lr(t) = lr0·(1 + t/T)^(−α) (sklearn's "invscaling" with a time scale T). */
export function inverseTimeDecay(lr0: number, decaySteps: number, power: number): Schedule {
  return (t) => lr0 * (1 + t / decaySteps) ** -power;
}
