import type { Schedule } from './schedule.js';

/** lr(t) = lr0. */
export function constant(lr0: number): Schedule {
  return () => lr0;
}
