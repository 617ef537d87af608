import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import type { Batch, ModelSpec, RowSelection } from '../../../lib/optim/index.js';
import { CHUNK_ROWS, loadGradientWasm, paramCount, WasmSimdKernel } from '../../../lib/optim/index.js';
import { normal, rng } from './reference-solvers.js';

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

/**
 * The float64 reference: one row at a time, Math.exp/Math.log, the textbook formulas
 * (softmax through log-sum-exp). Independent of both kernels.
 */
function reference(spec: ModelSpec, w: Float64Array, sel: RowSelection): { loss: number; g: number[] } {
  const { x, y, d } = sel.batch;
  const k = spec.kind === 'softmax' ? (spec.numClasses ?? 0) : 1;
  const g = new Array<number>(k * (d + 1)).fill(0);
  let loss = 0;
  for (let i = sel.start; i < sel.end; i++) {
    const row = sel.indices ? sel.indices[i]! : i;
    const z = Array.from({ length: k }, (_, c): number => {
      let s = w[c * (d + 1)]!;
      for (let j = 0; j < d; j++) s += w[c * (d + 1) + 1 + j]! * x[row * d + j]!;
      return s;
    });
    const t = y[row]!;
    let r: number[];
    if (spec.kind === 'linear') {
      r = [z[0]! - t];
      loss += 0.5 * r[0]! ** 2;
    } else if (spec.kind === 'logistic') {
      const p = 1 / (1 + Math.exp(-z[0]!));
      r = [p - t];
      loss += Math.log(1 + Math.exp(-Math.abs(z[0]!))) + Math.max(z[0]!, 0) - t * z[0]!;
    } else {
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
      loss += lse - z[t]!;
      r = z.map((v, c) => Math.exp(v - lse) - (c === t ? 1 : 0));
    }
    for (let c = 0; c < k; c++) {
      g[c * (d + 1)] = g[c * (d + 1)]! + r[c]!;
      for (let j = 0; j < d; j++) g[c * (d + 1) + 1 + j] = g[c * (d + 1) + 1 + j]! + r[c]! * x[row * d + j]!;
    }
  }
  return { loss, g };
}

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

const SPECS: { spec: ModelSpec; labels: (u: number) => number }[] = [
  { spec: { kind: 'linear', numFeatures: 13 }, labels: (u) => 10 * u - 3 },
  { spec: { kind: 'logistic', numFeatures: 13 }, labels: (u) => (u < 0.4 ? 1 : 0) },
  { spec: { kind: 'softmax', numFeatures: 13, numClasses: 5 }, labels: (u) => Math.floor(5 * u) },
  { spec: { kind: 'logistic', numFeatures: 16 }, labels: (u) => (u < 0.5 ? 1 : 0) },
  { spec: { kind: 'softmax', numFeatures: 2, numClasses: 3 }, labels: (u) => Math.floor(3 * u) },
];

describe('Class: WasmSimdKernel', () => {
  let one: WasmSimdKernel;
  let two: WasmSimdKernel;
  let four: WasmSimdKernel;
  beforeAll(async () => {
    one = await WasmSimdKernel.create({ threads: 1 });
    two = await WasmSimdKernel.create({ threads: 2 });
    four = await WasmSimdKernel.create({ threads: 4 });
  });
  afterAll(async () => {
    await Promise.all([one, two, four].map((k) => k.close()));
  });

  describe('Method: lossAndGradient', () => {
    it('matches hand-computed sums for a linear model', () => {
      // Prepare: x = [1, 2], y = [1, 3], params [b=.5, w=1]: ŷ = 1.5, 2.5; r = .5, −.5
      // lossSum = ½(.25 + .25) = .25; ∂/∂b = Σr = 0; ∂/∂w = .5·1 + (−.5)·2 = −.5 (all exact in f32)
      const batch = { x: Float32Array.from([1, 2]), y: Float32Array.from([1, 3]), rows: 2, d: 1 };
      const g = new Float64Array(2);
      // Act
      const r = one.lossAndGradient(
        { kind: 'linear', numFeatures: 1 },
        Float64Array.from([0.5, 1]),
        { batch, start: 0, end: 2 },
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
      const r1 = one.lossAndGradient(
        { kind: 'logistic', numFeatures: 1 },
        new Float64Array(2),
        { batch: b1, start: 0, end: 1 },
        g1,
      );
      expect(r1.lossSum).toBeCloseTo(Math.LN2, 15);
      expect(Array.from(g1)).toEqual([-0.5, -1]);
      // softmax K=2: x = 1, y = 1 → p = [½, ½], loss = log 2, blocks [½, ½], [−½, −½]
      const b2 = { x: Float32Array.from([1]), y: Float32Array.from([1]), rows: 1, d: 1 };
      const g2 = new Float64Array(4);
      const spec = { kind: 'softmax', numFeatures: 1, numClasses: 2 } as const;
      const r2 = one.lossAndGradient(spec, new Float64Array(4), { batch: b2, start: 0, end: 1 }, g2);
      expect(r2.lossSum).toBeCloseTo(Math.LN2, 15);
      expect(Array.from(g2)).toEqual([0.5, 0.5, -0.5, -0.5]);
    });

    it.each(SPECS)(
      'agrees with a float64 reference over several chunks ($spec.kind, d=$spec.numFeatures)',
      ({ spec, labels }) => {
        // Prepare: 2.3 chunks of rows, a selection that starts and ends off the block grid
        const rows = Math.floor(2.3 * CHUNK_ROWS);
        const batch = randomBatch(31, rows, spec.numFeatures, labels);
        const z = normal(rng(4));
        const params = Float64Array.from({ length: paramCount(spec) }, () => 0.4 * z());
        const sel = { batch, start: 5, end: rows - 3 };
        const g = new Float64Array(params.length);
        // Act
        const r = two.lossAndGradient(spec, params, sel, g);
        // Assess: f32 products → ~1e-7 relative per term; bound 1e-5 of the gradient's scale
        const ref = reference(spec, params, sel);
        const scale = Math.max(...ref.g.map(Math.abs));
        expect(r.rows).toBe(rows - 8);
        expect(Math.abs(r.lossSum - ref.loss) / ref.loss).toBeLessThan(1e-6);
        for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - ref.g[i]!) / scale).toBeLessThan(1e-5);
      },
    );

    it.each(SPECS)(
      'gives the same bits with 1, 2 and 4 threads and on every call ($spec.kind)',
      ({ spec, labels }) => {
        // Prepare
        const rows = 3 * CHUNK_ROWS + 77;
        const batch = randomBatch(41, rows, spec.numFeatures, labels);
        const params = Float64Array.from({ length: paramCount(spec) }, (_, i) => 0.3 * Math.sin(i + 1));
        const sel = { batch, start: 0, end: rows };
        const run = (k: WasmSimdKernel) => {
          const g = new Float64Array(params.length);
          const r = k.lossAndGradient(spec, params, sel, g);
          return `${r.lossSum}|${bits(g)}`;
        };
        // Act
        const results = [run(one), run(two), run(four), run(four), run(two), run(one)];
        // Assess
        expect(new Set(results).size).toBe(1);
      },
    );

    it('reads a permutation slice exactly like a copied batch, with any thread count', () => {
      // Prepare: a slice of a permutation covering two chunks, and a batch holding those rows
      const spec = { kind: 'softmax', numFeatures: 9, numClasses: 4 } as const;
      const rows = 3 * CHUNK_ROWS;
      const batch = randomBatch(7, rows, 9, (u) => Math.floor(4 * u));
      const perm = Uint32Array.from({ length: rows }, (_, i) => (i * 7919) % rows);
      const start = 1000;
      const end = start + CHUNK_ROWS + 500;
      const pick = Array.from(perm.subarray(start, end));
      const copy = {
        x: Float32Array.from(pick.flatMap((r) => Array.from(batch.x.subarray(r * 9, r * 9 + 9)))),
        y: Float32Array.from(pick.map((r) => batch.y[r]!)),
        rows: pick.length,
        d: 9,
      };
      const params = Float64Array.from({ length: paramCount(spec) }, (_, i) => 0.2 * Math.cos(i));
      const g1 = new Float64Array(params.length);
      const g2 = new Float64Array(params.length);
      const g4 = new Float64Array(params.length);
      // Act
      const r1 = two.lossAndGradient(spec, params, { batch, indices: perm, start, end }, g1);
      const r2 = one.lossAndGradient(spec, params, { batch: copy, start: 0, end: copy.rows }, g2);
      const r4 = four.lossAndGradient(spec, params, { batch, indices: perm, start, end }, g4);
      // Assess: same rows in the same order and chunks → identical bits; and right vs the reference
      expect(r1).toEqual(r2);
      expect(r4).toEqual(r2);
      expect(bits(g1)).toBe(bits(g2));
      expect(bits(g4)).toBe(bits(g2));
      const ref = reference(spec, params, { batch, indices: perm, start, end });
      const scale = Math.max(...ref.g.map(Math.abs));
      for (let i = 0; i < g1.length; i++) expect(Math.abs(g1[i]! - ref.g[i]!) / scale).toBeLessThan(1e-5);
    });

    it('keeps results when batches come and go (resident copies are keyed by batch)', () => {
      // Prepare: two batches of the same shape, alternated
      const spec = { kind: 'linear', numFeatures: 6 } as const;
      const a = randomBatch(1, 5000, 6, (u) => u);
      const b = randomBatch(2, 5000, 6, (u) => u);
      const params = Float64Array.from([0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7]);
      const once = (batch: Batch) => {
        const g = new Float64Array(7);
        two.lossAndGradient(spec, params, { batch, start: 0, end: batch.rows }, g);
        return bits(g);
      };
      // Act
      const first = [once(a), once(b)];
      const again = [once(a), once(b), once(a)];
      // Assess
      expect(first[0]).not.toBe(first[1]);
      expect(again).toEqual([first[0], first[1], first[0]]);
    });

    it('stays finite for very large logits (exp underflows to 0)', () => {
      // Prepare: z = ±1000: the loss of a wrong label is |z|, p is 0 or 1 exactly
      const spec = { kind: 'logistic', numFeatures: 1 } as const;
      const batch = { x: Float32Array.from([1, -1, 1]), y: Float32Array.from([0, 1, 1]), rows: 3, d: 1 };
      const g = new Float64Array(2);
      // Act
      const r = one.lossAndGradient(spec, Float64Array.from([0, 1000]), { batch, start: 0, end: 3 }, g);
      // Assess: rows 0 and 1 are wrong by 1000 each, row 2 right: loss 2000, r = [1, −1, 0]
      expect(r.lossSum).toBe(2000);
      expect(Array.from(g)).toEqual([0, 2]);
    });

    it('returns zeros for an empty selection and checks softmax labels of the selected rows only', () => {
      const spec = { kind: 'softmax', numFeatures: 1, numClasses: 2 } as const;
      const batch = { x: Float32Array.from([1, 1, 1]), y: Float32Array.from([0, 1, 2]), rows: 3, d: 1 };
      const g = new Float64Array(4).fill(7);
      expect(two.lossAndGradient(spec, new Float64Array(4), { batch, start: 1, end: 1 }, g)).toEqual({
        lossSum: 0,
        rows: 0,
      });
      expect(Array.from(g)).toEqual([0, 0, 0, 0]);
      expect(two.lossAndGradient(spec, new Float64Array(4), { batch, start: 0, end: 2 }, g).rows).toBe(2);
      expect(() => two.lossAndGradient(spec, new Float64Array(4), { batch, start: 0, end: 3 }, g)).toThrow(
        /row 2 is 2; labels must be class indices 0\.\.1/,
      );
      expect(() =>
        two.lossAndGradient(
          spec,
          new Float64Array(4),
          { batch, indices: Uint32Array.from([1, 2]), start: 0, end: 2 },
          g,
        ),
      ).toThrow(UsageError);
    });

    it('rejects a batch whose width differs from the model', () => {
      const batch = { x: new Float32Array(4), y: new Float32Array(2), rows: 2, d: 2 };
      expect(() =>
        one.lossAndGradient(
          { kind: 'linear', numFeatures: 3 },
          new Float64Array(4),
          { batch, start: 0, end: 2 },
          new Float64Array(4),
        ),
      ).toThrow(/2 features but the model expects 3/);
    });
  });
});

describe('Module: gradient-simd.wasm elementary functions', () => {
  it('match Math.exp, Math.log1p and Math.log to a few ulps on their domains', async () => {
    // Prepare: the module's own polynomials (the kernel's bits must not depend on libm)
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const memory = new api.Memory({ initial: 1, maximum: 1, shared: true });
    const { instance } = await api.instantiate(await loadGradientWasm(), { env: { memory } });
    const { expneg, log1p01, logge1 } = instance.exports as Record<string, (x: number) => number>;
    const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));
    let worst = 0;
    // Act + Assess: a grid over each domain
    for (let i = 0; i <= 20_000; i++) {
      const x = -700 * (i / 20_000) ** 2;
      worst = Math.max(worst, rel(expneg!(x), Math.exp(x)));
      const e = i / 20_000;
      if (e > 0) worst = Math.max(worst, rel(log1p01!(e), Math.log1p(e)));
      const v = 1 + 99 * (i / 20_000);
      if (v > 1) worst = Math.max(worst, rel(logge1!(v), Math.log(v)));
    }
    expect(worst).toBeLessThan(1e-14);
    expect(expneg!(0)).toBe(1);
    expect(expneg!(-800)).toBe(0);
    expect(log1p01!(0)).toBe(0);
    expect(logge1!(1)).toBe(0);
  });
});

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => object;
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
