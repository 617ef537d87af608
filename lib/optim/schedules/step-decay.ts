import type { Schedule } from './schedule.js';

/** lr(t) = lr0·factor^⌊t/everySteps⌋. */
export function stepDecay(lr0: number, everySteps: number, factor: number): Schedule {
  return (t) => lr0 * factor ** Math.floor(t / everySteps);
}
