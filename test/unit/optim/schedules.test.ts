import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import {
  constant,
  cosineRestarts,
  exponentialDecay,
  initPlateauState,
  inverseTimeDecay,
  makeSchedule,
  PlateauController,
  stepDecay,
} from '../../../lib/optim/index.js';

describe('Function: constant', () => {
  it('never changes', () => {
    expect(constant(0.1)(0)).toBe(0.1);
    expect(constant(0.1)(1e6)).toBe(0.1);
  });
});

describe('Function: inverseTimeDecay', () => {
  it('is lr0·(1 + t/T)^(−α)', () => {
    // lr0 = .1, T = 10, α = .5: t = 0 → .1; t = 30 → .1·4^(−½) = .05; t = 10 → .1/√2
    const s = inverseTimeDecay(0.1, 10, 0.5);
    expect(s(0)).toBe(0.1);
    expect(s(30)).toBeCloseTo(0.05, 15);
    expect(s(10)).toBeCloseTo(0.1 / Math.SQRT2, 15);
  });
});

describe('Function: exponentialDecay', () => {
  it('is lr0·rate^(t/T), or ⌊t/T⌋ with staircase', () => {
    // lr0 = .1, T = 10, rate = .5: t = 15 → .1·.5^1.5 = .1/(2√2) ≈ .0353553; staircase → .1·.5 = .05
    expect(exponentialDecay(0.1, 10, 0.5)(15)).toBeCloseTo(0.1 / (2 * Math.SQRT2), 15);
    expect(exponentialDecay(0.1, 10, 0.5, true)(15)).toBeCloseTo(0.05, 15);
    expect(exponentialDecay(0.1, 10, 0.5)(20)).toBeCloseTo(0.025, 15);
  });
});

describe('Function: stepDecay', () => {
  it('is lr0·factor^⌊t/every⌋', () => {
    // lr0 = 1, every 5, factor .1: t = 4 → 1; t = 5 → .1; t = 12 → .01
    const s = stepDecay(1, 5, 0.1);
    expect(s(4)).toBe(1);
    expect(s(5)).toBeCloseTo(0.1, 15);
    expect(s(12)).toBeCloseTo(0.01, 15);
  });
});

describe('Function: cosineRestarts', () => {
  it('anneals over growing periods with shrinking peaks (SGDR)', () => {
    // lr0 = 1, T0 = 10, tMul = 2, mMul = .5, minLr = 0. Periods: [0,10) peak 1, [10,30) peak .5, [30,70) peak .25
    const s = cosineRestarts(1, 10, 2, 0.5, 0);
    expect(s(0)).toBe(1);
    // t = 5: ½·1·(1 + cos(π/2)) = .5
    expect(s(5)).toBeCloseTo(0.5, 15);
    // t = 9: ½(1 + cos(.9π)) = ½(1 − .9510565) = .0244717
    expect(s(9)).toBeCloseTo(0.5 * (1 + Math.cos(0.9 * Math.PI)), 15);
    // t = 10: restart at peak .5; t = 20: halfway through a 20-step period → .5·½ = .25
    expect(s(10)).toBeCloseTo(0.5, 15);
    expect(s(20)).toBeCloseTo(0.25, 15);
    // t = 30: second restart, peak .25
    expect(s(30)).toBeCloseTo(0.25, 15);
  });

  it('honours minLr and fixed periods (tMul = 1)', () => {
    // minLr .1, t = 5 of 10: .1 + ½(1 − .1)(1 + 0) = .55
    expect(cosineRestarts(1, 10, 2, 1, 0.1)(5)).toBeCloseTo(0.55, 15);
    // tMul = 1: t = 25 is 5 steps into the third 10-step period, peak 1 → .5
    expect(cosineRestarts(1, 10, 1, 1, 0)(25)).toBeCloseTo(0.5, 15);
    // tMul = 1, mMul = .5: third period peak .25 → t = 20 gives .25
    expect(cosineRestarts(1, 10, 1, 0.5, 0)(20)).toBeCloseTo(0.25, 15);
  });
});

describe('Class: PlateauController', () => {
  describe('Method: observe', () => {
    it('cuts lr after patience bad epochs, then waits the cooldown (Keras semantics)', () => {
      // Prepare: factor .5, patience 2, threshold .01, minLr .1, cooldown 1, lr0 1
      const ctl = new PlateauController(
        { factor: 0.5, patience: 2, threshold: 0.01, minLr: 0.1, cooldown: 1 },
        initPlateauState(1),
      );
      // Act / Assess, epoch by epoch:
      // 1.0 first → best 1; .995 not < .99 → bad 1; .999 → bad 2 → lr .5, cooldown 1
      expect([1.0, 0.995, 0.999].map((l) => ctl.observe(l))).toEqual([1, 1, 0.5]);
      // .998: cooldown 1 → 0, bad 0, then not better and not in cooldown → bad 1; .997 → bad 2 → lr .25
      expect([0.998, 0.997].map((l) => ctl.observe(l))).toEqual([0.5, 0.25]);
      // .5 improves (best .5); .6, .6 → lr .125; .6 (cooldown), .6 → max(.0625, .1) = .1; then stays at minLr
      expect([0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6].map((l) => ctl.observe(l))).toEqual([
        0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1,
      ]);
      // Assess the JSON state
      const st = JSON.parse(JSON.stringify(ctl.getState()));
      expect(st.lr).toBe(0.1);
      expect(st.best).toBe(0.5);
    });
  });
});

describe('Function: makeSchedule', () => {
  it('builds each kind from plain config', () => {
    // same arithmetic as the tests above
    expect(makeSchedule({ kind: 'constant', lr: 0.3 })(7)).toBe(0.3);
    expect(makeSchedule({ kind: 'inverse-time', lr: 0.1, decaySteps: 10, power: 0.5 })(30)).toBeCloseTo(
      0.05,
      15,
    );
    expect(
      makeSchedule({ kind: 'exponential', lr: 0.1, decaySteps: 10, rate: 0.5, staircase: true })(15),
    ).toBeCloseTo(0.05, 15);
    expect(makeSchedule({ kind: 'step', lr: 1, everySteps: 5, factor: 0.1 })(5)).toBeCloseTo(0.1, 15);
    // defaults tMul 2, mMul 1, minLr 0: t = 10 restarts at peak 1
    expect(makeSchedule({ kind: 'cosine-restarts', lr: 1, firstPeriod: 10 })(10)).toBe(1);
    expect(makeSchedule({ kind: 'plateau', lr: 0.2 })(99)).toBe(0.2);
  });

  it('rejects a bad learning rate or period', () => {
    expect(() => makeSchedule({ kind: 'constant', lr: 0 })).toThrow(UsageError);
    expect(() => makeSchedule({ kind: 'step', lr: 1, everySteps: 0, factor: 0.5 })).toThrow(UsageError);
  });
});
