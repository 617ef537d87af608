import { describe, expect, it } from 'vitest';
import { ProtocolError, UsageError } from '../../../lib/errors.js';
import type { OptimizerConfig } from '../../../lib/optim/index.js';
import { AdamOptimizer, createOptimizer, MomentumOptimizer, SGDOptimizer } from '../../../lib/optim/index.js';

const G1 = Float64Array.from([0.5, -1]);

describe('Class: SGDOptimizer', () => {
  describe('Method: applyGradients', () => {
    it('steps params − lr·g', () => {
      // Prepare: p = [1, 2], g = [.5, −1], lr = .1 → [1 − .05, 2 + .1] = [.95, 2.1]
      const p = Float64Array.from([1, 2]);
      const opt = new SGDOptimizer();
      // Act
      opt.applyGradients(p, G1, 0.1);
      // Assess
      expect(p[0]).toBeCloseTo(0.95, 15);
      expect(p[1]).toBeCloseTo(2.1, 15);
      expect(opt.getWeights()).toEqual({ iterations: 1, kind: 'plain' });
    });
  });
});

describe('Class: MomentumOptimizer', () => {
  describe('Method: applyGradients', () => {
    it('accumulates a ← βa + g (heavy ball)', () => {
      // step 1: a = .5 → p = 1 − .1·.5 = .95; step 2: a = .9·.5 + .5 = .95 → p = .95 − .095 = .855
      const p = Float64Array.from([1, 2]);
      const opt = new MomentumOptimizer(2, 0.9);
      opt.applyGradients(p, G1, 0.1);
      opt.applyGradients(p, G1, 0.1);
      expect(p[0]).toBeCloseTo(0.855, 14);
      // second coordinate: a = −1, then −1.9 → p = 2 + .1 + .19 = 2.29
      expect(p[1]).toBeCloseTo(2.29, 14);
    });

    it('uses g + βa with Nesterov', () => {
      // step 1: a = .5, step = .5 + .9·.5 = .95 → p = 1 − .095 = .905
      // step 2: a = .95, step = .5 + .9·.95 = 1.355 → p = .905 − .1355 = .7695
      const p = Float64Array.from([1, 2]);
      const opt = new MomentumOptimizer(2, 0.9, true);
      opt.applyGradients(p, G1, 0.1);
      expect(p[0]).toBeCloseTo(0.905, 14);
      opt.applyGradients(p, G1, 0.1);
      expect(p[0]).toBeCloseTo(0.7695, 14);
    });
  });
});

describe('Class: AdamOptimizer', () => {
  describe('Method: applyGradients', () => {
    it('follows the bias-corrected update', () => {
      // t=1, g=.5: m = .05, v = .001·.25; m̂ = .05/.1 = .5, v̂ = .25 → p = 1 − .1·.5/(.5 + 1e-8)
      const p = Float64Array.from([1]);
      const opt = new AdamOptimizer(1);
      opt.applyGradients(p, Float64Array.from([0.5]), 0.1);
      expect(p[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 14);
      // t=2, g=−1: m = .9·.05 − .1 = −.055, m̂ = −.055/(1 − .81) = −.055/.19
      // v = .999·.00025 + .001·1 = .00124975, v̂ = .00124975/(1 − .998001) = .00124975/.001999
      const mHat = -0.055 / 0.19;
      const vHat = 0.00124975 / 0.001999;
      const expected = 1 - (0.1 * 0.5) / (0.5 + 1e-8) - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
      opt.applyGradients(p, Float64Array.from([-1]), 0.1);
      expect(p[0]).toBeCloseTo(expected, 12);
      expect(opt.getWeights().iterations).toBe(2);
    });
  });

  describe('Method: getWeights / setWeights', () => {
    it('round-trips through JSON with the iteration count first, resuming bit-identically', () => {
      // Prepare: run 3 steps, serialise, resume a fresh optimizer and take 2 more steps on both
      const a = new AdamOptimizer(2);
      const pa = Float64Array.from([1, 2]);
      for (let i = 0; i < 3; i++) a.applyGradients(pa, Float64Array.from([0.3 * i, -0.7]), 0.05);
      const json = JSON.stringify(a.getWeights());
      const b = new AdamOptimizer(2);
      b.setWeights(JSON.parse(json));
      const pb = Float64Array.from(pa);
      // Act
      for (const o of [
        [a, pa],
        [b, pb],
      ] as const) {
        o[0].applyGradients(o[1], Float64Array.from([0.1, 0.2]), 0.05);
        o[0].applyGradients(o[1], Float64Array.from([-0.4, 0.2]), 0.05);
      }
      // Assess
      expect(Object.keys(JSON.parse(json))[0]).toBe('iterations');
      expect(Buffer.from(pa.buffer).equals(Buffer.from(pb.buffer))).toBe(true);
    });

    it('refuses a state of another optimizer', () => {
      const m = new MomentumOptimizer(2);
      expect(() => m.setWeights({ iterations: 0, kind: 'plain' })).toThrow(ProtocolError);
      expect(() => new AdamOptimizer(3).setWeights(new AdamOptimizer(2).getWeights())).toThrow(ProtocolError);
    });
  });
});

describe('Function: createOptimizer', () => {
  it('builds each kind and rejects unknown ones', () => {
    const kinds: OptimizerConfig[] = [
      { kind: 'plain' },
      { kind: 'momentum', nesterov: true },
      { kind: 'adam' },
    ];
    expect(kinds.map((c) => createOptimizer(c, 3).kind)).toEqual(['plain', 'momentum', 'adam']);
    expect(() => createOptimizer({ kind: 'rmsprop' } as unknown as OptimizerConfig, 3)).toThrow(UsageError);
  });
});
