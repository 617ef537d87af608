import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch, GradientKernel, ModelSpec } from '../../../lib/optim/index.js';
import { activateBackend, paramCount, TfjsKernel, TypedArrayKernel } from '../../../lib/optim/index.js';
import { normal, rng } from './reference-solvers.js';

const typed = new TypedArrayKernel();

function randomBatch(seed: number, rows: number, d: number, labels: (u: number) => number): Batch {
  const z = normal(rng(seed));
  const u = rng(seed + 1);
  return {
    x: Float32Array.from({ length: rows * d }, () => z()),
    y: Float32Array.from({ length: rows }, () => labels(u())),
    rows,
    d,
  };
}

const SPECS: { spec: ModelSpec; labels: (u: number) => number }[] = [
  { spec: { kind: 'linear', numFeatures: 7 }, labels: (u) => 10 * u - 3 },
  { spec: { kind: 'logistic', numFeatures: 7 }, labels: (u) => (u < 0.4 ? 1 : 0) },
  { spec: { kind: 'softmax', numFeatures: 7, numClasses: 3 }, labels: (u) => Math.floor(3 * u) },
];

function all(batch: Batch) {
  return { batch, indices: null, start: 0, end: batch.rows };
}

describe('Class: TypedArrayKernel', () => {
  describe('Method: lossAndGradient', () => {
    it('matches hand-computed sums for a linear model', () => {
      // Prepare: x = [1, 2], y = [1, 3], params [b=.5, w=1]
      // ŷ = 1.5, 2.5; r = ŷ − y = .5, −.5; lossSum = ½(.25 + .25) = .25
      // ∂/∂b = Σr = 0; ∂/∂w = .5·1 + (−.5)·2 = −.5
      const batch = { x: Float32Array.from([1, 2]), y: Float32Array.from([1, 3]), rows: 2, d: 1 };
      const g = new Float64Array(2);
      // Act
      const r = typed.lossAndGradient(
        { kind: 'linear', numFeatures: 1 },
        Float64Array.from([0.5, 1]),
        all(batch),
        g,
      );
      // Assess
      expect(r).toEqual({ lossSum: 0.25, rows: 2 });
      expect(Array.from(g)).toEqual([0, -0.5]);
    });

    it('matches hand-computed sums for logistic and softmax at zero params', () => {
      // logistic: x = 2, y = 1, z = 0 → p = ½, loss = log 2, g = (p − y)·[1, x] = [−½, −1]
      const b1 = { x: Float32Array.from([2]), y: Float32Array.from([1]), rows: 1, d: 1 };
      const g1 = new Float64Array(2);
      const r1 = typed.lossAndGradient(
        { kind: 'logistic', numFeatures: 1 },
        new Float64Array(2),
        all(b1),
        g1,
      );
      expect(r1.lossSum).toBeCloseTo(Math.LN2, 15);
      expect(Array.from(g1)).toEqual([-0.5, -1]);
      // softmax K=2: x = 1, y = 1 → p = [½, ½], loss = log 2, r = p − onehot = [½, −½]
      // blocks: [r0, r0·x] = [½, ½], [r1, r1·x] = [−½, −½]
      const b2 = { x: Float32Array.from([1]), y: Float32Array.from([1]), rows: 1, d: 1 };
      const g2 = new Float64Array(4);
      const spec = { kind: 'softmax', numFeatures: 1, numClasses: 2 } as const;
      const r2 = typed.lossAndGradient(spec, new Float64Array(4), all(b2), g2);
      expect(r2.lossSum).toBeCloseTo(Math.LN2, 15);
      expect(Array.from(g2)).toEqual([0.5, 0.5, -0.5, -0.5]);
    });

    it.each(SPECS)('agrees with central finite differences ($spec.kind)', ({ spec, labels }) => {
      // Prepare: random data and params; the gradient of lossSum is checked coordinate-wise
      const batch = randomBatch(11, 40, spec.numFeatures, labels);
      const n = paramCount(spec);
      const z = normal(rng(5));
      const params = Float64Array.from({ length: n }, () => 0.3 * z());
      const g = new Float64Array(n);
      const scratch = new Float64Array(n);
      // Act
      typed.lossAndGradient(spec, params, all(batch), g);
      // Assess: (L(θ+h e_i) − L(θ−h e_i)) / 2h with h = 1e-5
      const h = 1e-5;
      for (let i = 0; i < n; i++) {
        const plus = Float64Array.from(params);
        const minus = Float64Array.from(params);
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        const fd =
          (typed.lossAndGradient(spec, plus, all(batch), scratch).lossSum -
            typed.lossAndGradient(spec, minus, all(batch), scratch).lossSum) /
          (2 * h);
        expect(g[i]).toBeCloseTo(fd, 4);
      }
    });

    it('reads rows through an index view exactly like a copied batch', () => {
      // Prepare: rows 3, 0, 5 of a batch versus a batch holding copies of those rows
      const spec = { kind: 'logistic', numFeatures: 4 } as const;
      const batch = randomBatch(2, 8, 4, (u) => (u < 0.5 ? 1 : 0));
      const pick = [3, 0, 5];
      const copy = {
        x: Float32Array.from(pick.flatMap((r) => Array.from(batch.x.subarray(r * 4, r * 4 + 4)))),
        y: Float32Array.from(pick.map((r) => batch.y[r]!)),
        rows: 3,
        d: 4,
      };
      const params = Float64Array.from([0.1, -0.2, 0.3, 0.4, -0.5]);
      const g1 = new Float64Array(5);
      const g2 = new Float64Array(5);
      // Act: indices [9, 3, 0, 5] with start 1, end 4 selects rows 3, 0, 5
      const r1 = typed.lossAndGradient(
        spec,
        params,
        { batch, indices: Uint32Array.from([9, ...pick]), start: 1, end: 4 },
        g1,
      );
      const r2 = typed.lossAndGradient(spec, params, all(copy), g2);
      // Assess: same summation order → identical bits
      expect(r1).toEqual(r2);
      expect(Buffer.from(g1.buffer).equals(Buffer.from(g2.buffer))).toBe(true);
    });

    it('returns zeros for an empty selection and rejects bad softmax labels', () => {
      const spec = { kind: 'softmax', numFeatures: 1, numClasses: 2 } as const;
      const batch = { x: Float32Array.from([1]), y: Float32Array.from([2]), rows: 1, d: 1 };
      const g = new Float64Array(4).fill(7);
      expect(typed.lossAndGradient(spec, new Float64Array(4), { batch, start: 0, end: 0 }, g)).toEqual({
        lossSum: 0,
        rows: 0,
      });
      expect(Array.from(g)).toEqual([0, 0, 0, 0]);
      expect(() => typed.lossAndGradient(spec, new Float64Array(4), all(batch), g)).toThrow(/class indices/);
    });
  });
});

describe('Class: TfjsKernel', () => {
  let kernel: GradientKernel;
  beforeAll(async () => {
    expect(await activateBackend(tf, 'cpu')).toBe(true);
    kernel = new TfjsKernel(tf);
  });

  describe('Method: lossAndGradient', () => {
    it.each(SPECS)('agrees with the typed kernel to 1e-4 relative ($spec.kind)', ({ spec, labels }) => {
      // Prepare
      const batch = randomBatch(21, 500, spec.numFeatures, labels);
      const n = paramCount(spec);
      const z = normal(rng(8));
      const params = Float64Array.from({ length: n }, () => Math.fround(0.5 * z()));
      const perm = Uint32Array.from({ length: 500 }, (_, i) => (i * 7) % 500);
      const sel = { batch, indices: perm, start: 100, end: 400 };
      const gt = new Float64Array(n);
      const gf = new Float64Array(n);
      // Act
      const rt = typed.lossAndGradient(spec, params, sel, gt);
      const rf = kernel.lossAndGradient(spec, params, sel, gf);
      // Assess: float32 tfjs vs float64 loops; scale by the largest gradient entry
      const scale = Math.max(...Array.from(gt, Math.abs));
      expect(rf.rows).toBe(300);
      expect(Math.abs(rf.lossSum - rt.lossSum) / rt.lossSum).toBeLessThan(1e-4);
      for (let i = 0; i < n; i++) expect(Math.abs(gf[i]! - gt[i]!) / scale).toBeLessThan(1e-4);
    });

    it('leaks no tensors and is deterministic run-to-run', () => {
      const spec = { kind: 'softmax', numFeatures: 7, numClasses: 3 } as const;
      const batch = randomBatch(3, 200, 7, (u) => Math.floor(3 * u));
      const params = new Float64Array(paramCount(spec)).fill(0.1);
      const g1 = new Float64Array(params.length);
      const g2 = new Float64Array(params.length);
      const before = tf.memory().numTensors;
      // Act
      kernel.lossAndGradient(spec, params, all(batch), g1);
      kernel.lossAndGradient(spec, params, all(batch), g2);
      // Assess
      expect(tf.memory().numTensors).toBe(before);
      expect(Buffer.from(g1.buffer).equals(Buffer.from(g2.buffer))).toBe(true);
    });
  });
});
