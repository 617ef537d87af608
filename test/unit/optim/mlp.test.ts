import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import {
  type Batch,
  chooseSolver,
  computeTask,
  fit as fitModel,
  initParams,
  initTrainState,
  layerBlocks,
  type ModelSpec,
  mlpLossAndGradient,
  paramCount,
  planRound,
  predict,
  predictProba,
  resolveTrainConfig,
  TypedArrayKernel,
  validateSpec,
} from '../../../lib/optim/index.js';

/**
 * A reference MLP written from the definitions, one row at a time, in float64: forward with
 * ReLU, then the head's loss (½r², softplus(z) − yz, log-sum-exp − z_y). Used for finite differences.
 */
function referenceLoss(spec: ModelSpec, theta: ArrayLike<number>, batch: Batch): number {
  const sizes = [spec.numFeatures, ...(spec.hidden ?? []), spec.head === 'softmax' ? spec.numClasses! : 1];
  let total = 0;
  for (let r = 0; r < batch.rows; r++) {
    let a = Array.from(batch.x.subarray(r * batch.d, (r + 1) * batch.d));
    let off = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const n = sizes[l]!;
      const out: number[] = [];
      for (let o = 0; o < sizes[l + 1]!; o++) {
        let s = theta[off]!;
        for (let i = 0; i < n; i++) s += theta[off + 1 + i]! * a[i]!;
        off += n + 1;
        out.push(l + 2 < sizes.length ? Math.max(0, s) : s);
      }
      a = out;
    }
    const y = batch.y[r]!;
    if (spec.head === 'linear') total += 0.5 * (a[0]! - y) ** 2;
    else if (spec.head === 'logistic') total += Math.log(1 + Math.exp(a[0]!)) - y * a[0]!;
    else total += Math.log(a.reduce((s, z) => s + Math.exp(z), 0)) - a[y]!;
  }
  return total;
}

function tinyBatch(rows: number, d: number, label: (i: number) => number): Batch {
  const x = new Float32Array(rows * d);
  // fixed, irregular inputs (no RNG: every value written here), away from ReLU kinks at 0
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(1.7 * i + 0.3) * 1.5;
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = label(i);
  return { x, y, rows, d };
}

const heads: [ModelSpec['head'], number | undefined, (i: number) => number][] = [
  ['linear', undefined, (i) => Math.cos(i)],
  ['logistic', undefined, (i) => i % 2],
  ['softmax', 3, (i) => i % 3],
];

describe('MLP gradients (typed kernel)', () => {
  for (const [head, numClasses, label] of heads) {
    it(`match central finite differences of a reference loss, ${head} head, two hidden layers`, () => {
      const spec: ModelSpec = { kind: 'mlp', numFeatures: 3, hidden: [4, 3], head, numClasses };
      const batch = tinyBatch(7, 3, label);
      const theta = initParams(spec, 5);
      for (const b of layerBlocks(spec)) {
        for (let o = 0; o < b.outputs; o++) theta[b.offset + o * (b.inputs + 1)] = 0.1 * (o + 1);
      }
      const g = new Float64Array(paramCount(spec));
      const { lossSum, rows } = mlpLossAndGradient(
        spec,
        theta,
        { batch, indices: null, start: 0, end: 7 },
        g,
      );
      expect(rows).toBe(7);
      expect(lossSum).toBeCloseTo(referenceLoss(spec, theta, batch), 10);
      const h = 1e-6;
      for (let i = 0; i < theta.length; i++) {
        const plus = Float64Array.from(theta);
        const minus = Float64Array.from(theta);
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        const fd = (referenceLoss(spec, plus, batch) - referenceLoss(spec, minus, batch)) / (2 * h);
        expect(Math.abs(g[i]! - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }
    });
  }

  it('the sum over 4 partitions of a round equals one partition of every row (to 1e-9)', () => {
    const spec: ModelSpec = { kind: 'mlp', numFeatures: 3, hidden: [5], head: 'softmax', numClasses: 3 };
    const batch = tinyBatch(50, 3, (i) => i % 3);
    const part = (s: number, e: number): Batch => ({
      x: batch.x.subarray(s * 3, e * 3),
      y: batch.y.subarray(s, e),
      rows: e - s,
      d: 3,
    });
    const run = (parts: Batch[]): number[] => {
      const config = resolveTrainConfig(
        { spec, solver: 'gd', optimizer: { kind: 'adam' }, seed: 3 },
        { rows: 50, partitions: parts.length },
      );
      const state = initTrainState(config);
      const plan = planRound(
        config,
        state,
        parts.map((p) => p.rows),
      );
      const kernel = new TypedArrayKernel();
      const params = Float64Array.from(state.params);
      const sums = new Float64Array(paramCount(spec));
      plan.tasks.forEach((t, p) => {
        const r = computeTask(config, params, parts[p]!, t, kernel);
        if (r.kind !== 'gradient') throw new Error('expected a gradient result');
        r.gradSum.forEach((v, i) => {
          sums[i] = sums[i]! + v;
        });
      });
      return Array.from(sums);
    };
    const one = run([batch]);
    const four = run([part(0, 13), part(13, 25), part(25, 38), part(38, 50)]);
    for (let i = 0; i < one.length; i++) expect(Math.abs(four[i]! - one[i]!)).toBeLessThan(1e-9);
  });
});

describe('MLP He initialisation', () => {
  const spec: ModelSpec = {
    kind: 'mlp',
    numFeatures: 64,
    hidden: [128, 64],
    head: 'softmax',
    numClasses: 10,
  };

  it('is the same bits for the same seed and different for another', () => {
    const a = initParams(spec, 7);
    expect(Buffer.from(initParams(spec, 7).buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(Buffer.from(initParams(spec, 8).buffer).equals(Buffer.from(a.buffer))).toBe(false);
  });

  it('has zero biases and weight variance 2/fan_in per layer', () => {
    const p = initParams(spec, 1);
    for (const b of layerBlocks(spec)) {
      let s = 0;
      let ss = 0;
      const n = b.outputs * b.inputs;
      for (let o = 0; o < b.outputs; o++) {
        const at = b.offset + o * (b.inputs + 1);
        expect(p[at]).toBe(0);
        for (let i = 1; i <= b.inputs; i++) {
          s += p[at + i]!;
          ss += p[at + i]! ** 2;
        }
      }
      const variance = ss / n - (s / n) ** 2;
      // n ≥ 640 draws: the sample variance is within ±20 % of 2/fan_in with overwhelming probability
      expect(variance / (2 / b.inputs)).toBeGreaterThan(0.8);
      expect(variance / (2 / b.inputs)).toBeLessThan(1.2);
    }
  });

  it('lays out [d, h1, h2, K] as K·(h2+1) + h2·(h1+1) + h1·(d+1) parameters', () => {
    expect(paramCount(spec)).toBe(128 * 65 + 64 * 129 + 10 * 65);
  });
});

describe('MLP spec and solver choice', () => {
  it('rejects missing, empty or oversized hidden layers and hidden on other kinds', () => {
    expect(() => validateSpec({ kind: 'mlp', numFeatures: 2, head: 'linear' })).toThrow(UsageError);
    expect(() => validateSpec({ kind: 'mlp', numFeatures: 2, hidden: [0], head: 'linear' })).toThrow(
      /1\.\.4096/,
    );
    expect(() => validateSpec({ kind: 'mlp', numFeatures: 2, hidden: [2.5], head: 'linear' })).toThrow(
      UsageError,
    );
    expect(() => validateSpec({ kind: 'linear', numFeatures: 2, hidden: [3] })).toThrow(/--model mlp/);
    expect(() => validateSpec({ kind: 'mlp', numFeatures: 2, hidden: [3], head: 'softmax' })).toThrow(
      /K >= 2/,
    );
  });

  it('auto picks L-BFGS and says why; newton and normal are refused', () => {
    const spec: ModelSpec = { kind: 'mlp', numFeatures: 4, hidden: [8], head: 'logistic' };
    const d = chooseSolver(spec, 'auto', []);
    expect(d.solver).toBe('lbfgs');
    expect(d.reason).toMatch(/MLPClassifier/);
    expect(() => chooseSolver(spec, 'newton', [])).toThrow(UsageError);
    expect(() => chooseSolver(spec, 'normal', [])).toThrow(UsageError);
    expect(chooseSolver(spec, 'auto', ['--optimizer']).solver).toBe('gd');
  });

  it("defaults to scikit-learn's alpha 1e-4 on its scale: l2 = 1e-4/n, for L-BFGS and GD alike", () => {
    const spec: ModelSpec = { kind: 'mlp', numFeatures: 4, hidden: [8], head: 'linear' };
    expect(resolveTrainConfig({ spec }, { rows: 200 }).spec.l2).toBeCloseTo(1e-4 / 200, 18);
    expect(resolveTrainConfig({ spec, solver: 'gd' }, { rows: 200 }).spec.l2).toBeCloseTo(1e-4 / 200, 18);
    expect(resolveTrainConfig({ spec: { ...spec, l2: 0 } }, { rows: 200 }).spec.l2).toBe(0);
  });
});

describe('MLP training', () => {
  // XOR: no linear model separates it; two hidden ReLU layers do
  const rows = 200;
  const x = new Float32Array(rows * 2);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = ((i * 37) % 100) / 50 - 1 + 0.01;
    const b = ((i * 61) % 97) / 48.5 - 1 + 0.01;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a * b > 0 ? 1 : 0;
  }
  const batch: Batch = { x, y, rows, d: 2 };
  const spec: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [16], head: 'logistic' };
  const accuracy = (params: Float64Array): number => {
    const p = predict(spec, params, batch);
    let ok = 0;
    for (let i = 0; i < rows; i++) if (p[i]! > 0.5 === (y[i] === 1)) ok++;
    return ok / rows;
  };

  it('L-BFGS learns XOR (a linear model cannot beat ~50 %)', () => {
    const config = resolveTrainConfig({ spec, seed: 1 }, { rows });
    const { params, state } = fitModel(config, [batch]);
    expect(state.status.status).toBe('done');
    expect(accuracy(params)).toBeGreaterThan(0.95);
  });

  for (const optimizer of ['plain', 'momentum', 'adam'] as const) {
    it(`gradient descent with ${optimizer} lowers the loss, local SGD too`, () => {
      const kind =
        optimizer === 'momentum' ? { kind: 'momentum' as const, momentum: 0.9 } : { kind: optimizer };
      for (const sync of ['gd', 'local-sgd'] as const) {
        const config = resolveTrainConfig(
          { spec, optimizer: kind, algorithm: 'minibatch', batchSize: 32, sync, maxEpochs: 30, seed: 2 },
          { rows, partitions: 2 },
        );
        const losses: number[] = [];
        const halves = [0, 100, 200].map((r) => r);
        const parts: Batch[] = [0, 1].map((p) => ({
          x: x.subarray(halves[p]! * 2, halves[p + 1]! * 2),
          y: y.subarray(halves[p]!, halves[p + 1]!),
          rows: 100,
          d: 2,
        }));
        const { params } = fitModel(config, parts, { onRound: (r) => losses.push(r.loss) });
        expect(params.every(Number.isFinite)).toBe(true);
        expect(losses.at(-1)!).toBeLessThan(losses[0]!);
      }
    });
  }

  it('an enormous step diverges: stopped as diverged, the last finite parameters kept', () => {
    const lin: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [8], head: 'linear' };
    const big = Float32Array.from(y, (v, i) => v * 1e3 + i);
    const config = resolveTrainConfig(
      { spec: lin, optimizer: { kind: 'plain' }, learningRate: 1e6, maxEpochs: 50, seed: 1 },
      { rows },
    );
    const { state } = fitModel(config, [{ ...batch, y: big }]);
    expect(state.status).toEqual({ status: 'done', reason: 'diverged' });
    expect(state.params.every(Number.isFinite)).toBe(true);
  });

  it('predictProba of a softmax head sums to 1 per row', () => {
    const s: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [3], head: 'softmax', numClasses: 4 };
    const p = predictProba(s, initParams(s, 1), batch);
    for (let i = 0; i < rows; i++)
      expect(p[4 * i]! + p[4 * i + 1]! + p[4 * i + 2]! + p[4 * i + 3]!).toBeCloseTo(1, 12);
  });
});

describe('MLP on the tfjs kernel', () => {
  it('agrees with the float64 back-propagation to float32 precision (cpu backend)', async () => {
    const { loadTfjs, activateBackend, TfjsKernel } = await import('../../../lib/optim/index.js');
    const tf = await loadTfjs();
    expect(await activateBackend(tf, 'cpu')).toBe(true);
    const kernel = new TfjsKernel(tf);
    for (const [head, numClasses, label] of heads) {
      const spec: ModelSpec = { kind: 'mlp', numFeatures: 3, hidden: [6, 4], head, numClasses };
      const batch = tinyBatch(40, 3, label);
      const theta = initParams(spec, 2);
      const sel = { batch, indices: Uint32Array.from({ length: 40 }, (_, i) => 39 - i), start: 5, end: 35 };
      const g64 = new Float64Array(paramCount(spec));
      const g32 = new Float64Array(paramCount(spec));
      const a = mlpLossAndGradient(spec, theta, sel, g64);
      const b = kernel.lossAndGradient(spec, theta, sel, g32);
      expect(b.rows).toBe(30);
      expect(Math.abs(b.lossSum - a.lossSum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.lossSum)));
      const scale = Math.max(...Array.from(g64, Math.abs));
      for (let i = 0; i < g64.length; i++) expect(Math.abs(g32[i]! - g64[i]!)).toBeLessThan(1e-4 * scale);
    }
  });
});
