import { describe, expect, it } from 'vitest';
import { gradientConverged, l2Norm, lossStalled, updateNoImprovement } from '../../../lib/optim/index.js';

describe('Function: updateNoImprovement', () => {
  it('counts epochs that do not beat the best by tol (relative)', () => {
    // first epoch only sets best
    expect(updateNoImprovement({ best: null, count: 0 }, 1, 1e-4)).toEqual({ best: 1, count: 0 });
    // .99999 > 1 − 1e-4·1 = .9999 → no improvement (count 1), but best still moves to .99999
    expect(updateNoImprovement({ best: 1, count: 0 }, 0.99999, 1e-4)).toEqual({ best: 0.99999, count: 1 });
    // .9 < .9999 → improvement, count resets
    expect(updateNoImprovement({ best: 1, count: 3 }, 0.9, 1e-4)).toEqual({ best: 0.9, count: 0 });
  });

  it('compares with the previous epoch when given one', () => {
    // best .5, previous .8, loss .7 < .8 − .8e-4 → improving although above best
    expect(updateNoImprovement({ best: 0.5, count: 2 }, 0.7, 1e-4, 0.8)).toEqual({ best: 0.5, count: 0 });
    // loss .8 is not below .8 − 8e-5 → count 3
    expect(updateNoImprovement({ best: 0.5, count: 2 }, 0.8, 1e-4, 0.8).count).toBe(3);
  });
});

describe('Function: lossStalled / gradientConverged / l2Norm', () => {
  it('applies the thresholds', () => {
    expect(lossStalled({ best: 1, count: 4 }, 5)).toBe(false);
    expect(lossStalled({ best: 1, count: 5 }, 5)).toBe(true);
    // ‖(3, 4)‖ = 5
    expect(l2Norm([3, 4])).toBe(5);
    // 1e-7 ≤ 1e-6·1 → converged; 2e-6 > 1e-6 → not
    expect(gradientConverged(1e-7, 1, 1e-6)).toBe(true);
    expect(gradientConverged(2e-6, 1, 1e-6)).toBe(false);
    expect(gradientConverged(0, 0, 1e-6)).toBe(true);
  });
});
