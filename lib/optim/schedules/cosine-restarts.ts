import type { Schedule } from './schedule.js';

/**
 * SGDR (Loshchilov & Hutter 2017): cosine annealing from a peak down to `minLr` over a period,
 * then a warm restart. Period i lasts firstPeriod·tMul^i steps and peaks at lr0·mMul^i:
 * lr(t) = minLr + ½·(peak_i − minLr)·(1 + cos(π·(t − start_i)/T_i)).
 */
export function cosineRestarts(lr0: number, firstPeriod: number, tMul = 2, mMul = 1, minLr = 0): Schedule {
  return (t) => {
    let start = 0;
    let period = firstPeriod;
    let peak = lr0;
    if (tMul === 1) {
      const i = Math.floor(t / firstPeriod);
      start = i * firstPeriod;
      peak = lr0 * mMul ** i;
    } else {
      // periods grow geometrically, so this loop runs O(log t) times
      while (t >= start + period) {
        start += period;
        period *= tMul;
        peak *= mMul;
      }
    }
    return minLr + 0.5 * (peak - minLr) * (1 + Math.cos((Math.PI * (t - start)) / period));
  };
}
