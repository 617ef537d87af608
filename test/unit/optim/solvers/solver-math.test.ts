import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../../lib/optim/models/batch.js';
import { choleskySolve, choleskyWithDrops } from '../../../../lib/optim/solvers/cholesky.js';
import { hessianSum } from '../../../../lib/optim/solvers/hessian.js';
import { lbfgsDirection, pushPair } from '../../../../lib/optim/solvers/lbfgs.js';
import { NEWTON_MAX_STEP, newtonStep } from '../../../../lib/optim/solvers/newton-step.js';
import { solveNormalEquations } from '../../../../lib/optim/solvers/normal-equations.js';
import { packedIndex, packedLength, unpackSymmetric } from '../../../../lib/optim/solvers/packed.js';
import { maxAbs, relativeReduction } from '../../../../lib/optim/solvers/solver-stopping.js';
import { sufficientStats } from '../../../../lib/optim/solvers/sufficient-stats.js';

const batch = (x: number[][], y: number[]): Batch => ({
  x: Float32Array.from(x.flat()),
  y: Float32Array.from(y),
  rows: x.length,
  d: x[0]!.length,
});

describe('Function: packed upper triangle', () => {
  it('stores row i from column i on: 3×3 has 6 entries, (1,2) at 4', () => {
    // row 0: (0,0)=0 (0,1)=1 (0,2)=2; row 1: (1,1)=3 (1,2)=4; row 2: (2,2)=5
    expect(packedLength(3)).toBe(6);
    expect(packedIndex(3, 1, 2)).toBe(4);
    expect(packedIndex(3, 2, 2)).toBe(5);
    expect(Array.from(unpackSymmetric([1, 2, 3, 4, 5, 6], 3))).toEqual([1, 2, 3, 2, 4, 5, 3, 5, 6]);
  });
});

describe('Function: choleskyWithDrops', () => {
  it('factorises [[4, 2], [2, 3]] as L = [[2, 0], [1, √2]] and solves it', () => {
    const f = choleskyWithDrops(Float64Array.of(4, 2, 2, 3), 2);
    expect(Array.from(f.l)).toEqual([2, 0, 1, Math.SQRT2]);
    // [[4, 2], [2, 3]]·x = [8, 7] → x = [1.25, 1.5]
    const x = choleskySolve(f, [8, 7]);
    expect(x[0]).toBeCloseTo(1.25, 14);
    expect(x[1]).toBeCloseTo(1.5, 14);
    expect(f.dropped).toEqual([]);
  });

  it('drops a duplicated column (pivot 0) and a zero column, and solves the rest', () => {
    // columns 0 and 1 equal, column 2 zero: A = [[2, 2, 0], [2, 2, 0], [0, 0, 0]]
    const f = choleskyWithDrops(Float64Array.of(2, 2, 0, 2, 2, 0, 0, 0, 0), 3);
    expect(f.dropped).toEqual([1, 2]);
    // 2·x0 = 4 → x0 = 2; dropped unknowns are 0
    const x = choleskySolve(f, [4, 4, 0]);
    expect(x[0]).toBeCloseTo(2, 14);
    expect([x[1], x[2]]).toEqual([0, 0]);
  });
});

describe('Function: sufficientStats', () => {
  it('sums x̃x̃ᵀ, x̃y and y² with the intercept column', () => {
    // rows (x=1, y=2), (x=3, y=4): Σx̃x̃ᵀ = [[2, 4], [4, 1+9]], Σx̃y = [6, 2+12], Σy² = 20
    const s = sufficientStats(batch([[1], [3]], [2, 4]));
    expect(s).toEqual({ xtx: [2, 4, 10], xty: [6, 14], yy: 20, rows: 2 });
  });
});

describe('Function: solveNormalEquations', () => {
  it('solves y = 1 + 2x exactly, loss 0', () => {
    // x = 0, 1, 2; y = 1, 3, 5: Σx̃x̃ᵀ = [[3, 3], [3, 5]], Σx̃y = [9, 13], Σy² = 35
    const sol = solveNormalEquations({ xtx: [3, 3, 5], xty: [9, 13], yy: 35, rows: 3 }, 0);
    expect(sol.params[0]).toBeCloseTo(1, 12);
    expect(sol.params[1]).toBeCloseTo(2, 12);
    expect(sol.loss).toBeCloseTo(0, 12);
  });

  it('adds λ to the weights only: ridge on centred x = ±1, y = ±1 gives w = 1/(1+λ)', () => {
    // x = −1, 1; y = −1, 1; A/n = [[1, 0], [0, 1]], b/n = [0, 1] → (1 + λ)·w = 1
    const sol = solveNormalEquations({ xtx: [2, 0, 2], xty: [0, 2], yy: 2, rows: 2 }, 1);
    expect(sol.params[0]).toBe(0);
    expect(sol.params[1]).toBeCloseTo(0.5, 14);
    // loss = ½·mean((y − ½x)²) + ½·1·¼ = ½·¼ + ⅛ = ¼
    expect(sol.loss).toBeCloseTo(0.25, 14);
  });

  it('reports a constant column and gives it weight 0', () => {
    // x1 = 0 always (a constant after standardisation), x2 = ±1, y = 2·x2
    const sol = solveNormalEquations(
      sufficientStats(
        batch(
          [
            [0, -1],
            [0, 1],
          ],
          [-2, 2],
        ),
      ),
      0,
    );
    expect(sol.constant).toEqual([0]);
    expect(sol.dropped).toEqual([0]);
    expect(Array.from(sol.params)).toEqual([0, 0, 2]);
  });
});

describe('Function: hessianSum', () => {
  it('logistic at θ = 0: weight p(1−p) = ¼ times x̃x̃ᵀ', () => {
    // one row x = 2: ¼·[[1, 2], [2, 4]]
    const h = hessianSum({ kind: 'logistic', numFeatures: 1 }, [0, 0], batch([[2]], [1]));
    expect(Array.from(h)).toEqual([0.25, 0.5, 1]);
  });

  it('softmax with 2 classes at θ = 0: blocks (δ·½ − ¼)·x̃x̃ᵀ', () => {
    // p = (½, ½): diagonal blocks ¼·x̃x̃ᵀ, off-diagonal −¼·x̃x̃ᵀ; one row x = 1 → x̃x̃ᵀ = all ones
    const h = hessianSum({ kind: 'softmax', numFeatures: 1, numClasses: 2 }, [0, 0, 0, 0], batch([[1]], [0]));
    const full = Array.from(unpackSymmetric(h, 4));
    expect(full).toEqual([
      0.25, 0.25, -0.25, -0.25, 0.25, 0.25, -0.25, -0.25, -0.25, -0.25, 0.25, 0.25, -0.25, -0.25, 0.25, 0.25,
    ]);
  });
});

describe('Function: newtonStep', () => {
  it('solves H·s = −g: H = diag(2, 4), g = [2, 4] → s = [−1, −1], gᵀs = −6', () => {
    const s = newtonStep([2, 0, 4], [2, 4]);
    expect(s.step[0]).toBeCloseTo(-1, 14);
    expect(s.step[1]).toBeCloseTo(-1, 14);
    expect(s.slope).toBeCloseTo(-6, 14);
    expect(s.capped).toBe(false);
  });

  it('caps the largest coordinate at NEWTON_MAX_STEP, keeping the direction', () => {
    // H = diag(1e-3, 1): raw step [−1000, −1] → scaled by 10/1000
    const s = newtonStep([1e-3, 0, 1], [1, 1]);
    expect(s.capped).toBe(true);
    expect(s.step[0]).toBeCloseTo(-NEWTON_MAX_STEP, 12);
    expect(s.step[1]).toBeCloseTo(-NEWTON_MAX_STEP / 1000, 12);
  });
});

describe('Function: lbfgsDirection', () => {
  it('is −g with no memory, and the Newton step with one exact pair of a quadratic', () => {
    expect(Array.from(lbfgsDirection([3, -4], [], []))).toEqual([-3, 4]);
    // f = x² (curvature 2): s = [1, 0], y = [2, 0]; −H·[4, 0] = [−2, 0]
    const d = lbfgsDirection([4, 0], [[1, 0]], [[2, 0]]);
    expect(d[0]).toBe(-2);
    expect(Math.abs(d[1]!)).toBe(0);
  });

  it('keeps a pair only when sᵀy > 0, and at most m pairs', () => {
    expect(pushPair([], [], [1, 0], [-1, 0]).added).toBe(false);
    const kept = pushPair([[1], [2]], [[1], [2]], [3], [3], 2);
    expect(kept.s).toEqual([[2], [3]]);
  });
});

describe('Function: stopping arithmetic', () => {
  it('max |g_i| and scipy relative reduction', () => {
    expect(maxAbs([0.5, -2, 1])).toBe(2);
    expect(relativeReduction(2, 1)).toBe(0.5);
    // below 1 the denominator is 1
    expect(relativeReduction(0.5, 0.25)).toBe(0.25);
  });
});
