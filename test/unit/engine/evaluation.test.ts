import { describe, expect, it } from 'vitest';
import { preprocessCsv } from '../../../lib/data/index.js';
import { isHoldoutRow } from '../../../lib/engine/datasets/holdout.js';
import { evaluateModel, modelRows } from '../../../lib/engine/evaluation/evaluate.js';
import { holdoutMetrics } from '../../../lib/engine/evaluation/holdout-eval.js';
import type { ModelArtifact } from '../../../lib/engine/serving/model-artifact.js';
import { HOLDOUT_SEED } from '../../../lib/engine/training/job-plan.js';
import { DatasetError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * Eight rows in four shards of two. x = 1…8; y = 2x + 1 + e with e = (0, 1, 0, −1, 0, 0, 2, 0);
 * `label` (yes first, so its stored index 0 is the model's class 1), `c` (c first) and `b` (0/1).
 */
const X = [1, 2, 3, 4, 5, 6, 7, 8];
const Y = [3, 6, 7, 8, 11, 13, 17, 17];
const LABEL = ['yes', 'no', 'no', 'yes', 'no', 'yes', 'yes', 'no'];
const C = ['c', 'a', 'b', 'a', 'c', 'b', 'a', 'c'];
const B = [0, 1, 1, 0, 1, 0, 0, 1];
const CSV = `x,label,y,c,b\n${X.map((x, i) => `${x},${LABEL[i]},${Y[i]},${C[i]},${B[i]}`).join('\n')}\n`;

async function dataset() {
  const store = new MemoryObjectStore();
  const manifest = await preprocessCsv({
    source: csvSource(CSV),
    file: 'f.csv',
    dataset: 'd',
    store,
    shardRows: 2,
  });
  return { store, manifest };
}

function artifact(over: Partial<ModelArtifact>): ModelArtifact {
  return {
    v: 1,
    kind: 'linear',
    target: 'y',
    features: ['x'],
    coefficients: { x: 2 },
    intercept: 1,
    params: [],
    transform: {},
    metrics: {},
    backend: 'typed-array',
    steps: 1,
    ...over,
  } as ModelArtifact;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** References written from the definitions, over the rows `at`. */
const ref = {
  regression(at: number[], yHat: (x: number) => number) {
    const y = at.map((i) => Y[i]!);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const sse = at.reduce((s, i) => s + (Y[i]! - yHat(X[i]!)) ** 2, 0);
    const sst = y.reduce((s, v) => s + (v - mean) ** 2, 0);
    return { mse: sse / at.length, rmse: Math.sqrt(sse / at.length), r2: 1 - sse / sst };
  },
  binary(at: number[], cls: (i: number) => number, p: (x: number) => number) {
    let correct = 0;
    let loss = 0;
    let good = 0;
    let pairs = 0;
    for (const i of at) {
      const pi = p(X[i]!);
      if ((pi >= 0.5 ? 1 : 0) === cls(i)) correct++;
      loss -= Math.log(cls(i) === 1 ? pi : 1 - pi);
      for (const j of at)
        if (cls(i) === 1 && cls(j) === 0) {
          pairs++;
          good += pi > p(X[j]!) ? 1 : pi === p(X[j]!) ? 0.5 : 0;
        }
    }
    return { accuracy: correct / at.length, logloss: loss / at.length, auc: good / pairs };
  },
};
const expectClose = (got: Record<string, number>, want: Record<string, number>) => {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) expect(got[k]).toBeCloseTo(v, 6);
};
const ALL = [0, 1, 2, 3, 4, 5, 6, 7];

describe('Function: evaluateModel', () => {
  it('regression over every shard: mse, rmse, r2', async () => {
    // ŷ = 1 + 2x: residuals e = (0, 1, 0, −1, 0, 0, 2, 0) → SSE 6, MSE 0.75.
    // mean y = 82/8 = 10.25; SST = Σ(y − 10.25)² = 52.5625 + 18.0625 + 10.5625 + 5.0625 + 0.5625 + 7.5625 + 2·45.5625 = 185.5.
    const { store, manifest } = await dataset();
    const m = await evaluateModel(store, manifest, artifact({}));
    expectClose({ ...m }, { mse: 0.75, rmse: Math.sqrt(0.75), r2: 1 - 6 / 185.5 });
  });

  it('logistic on a text label: classes matched by name, not by stored index', async () => {
    // p = σ(x − 4.5); model classes (no, yes): "yes" is class 1 though stored first.
    const { store, manifest } = await dataset();
    const model = artifact({
      kind: 'logistic',
      target: 'label',
      classes: ['no', 'yes'],
      coefficients: { x: 1 },
      intercept: -4.5,
    });
    const m = await evaluateModel(store, manifest, model);
    const want = ref.binary(
      ALL,
      (i) => (LABEL[i] === 'yes' ? 1 : 0),
      (x) => sigmoid(x - 4.5),
    );
    // by hand: predicted yes for x ≥ 5 → rows 5–8 (no, yes, yes, no) and rows 1–4 predicted no
    // (yes, no, no, yes): 4 of 8 right.
    expect(want.accuracy).toBe(0.5);
    expectClose({ ...m }, want);
  });

  it('logistic on a numeric 0/1 target reads the labels as "0" and "1"', async () => {
    const { store, manifest } = await dataset();
    const model = artifact({ kind: 'logistic', target: 'b', classes: ['0', '1'], coefficients: { x: -1 } });
    // p = σ(1 − x)
    const m = await evaluateModel(store, manifest, model);
    expectClose(
      { ...m },
      ref.binary(
        ALL,
        (i) => B[i]!,
        (x) => sigmoid(1 - x),
      ),
    );
  });

  it('softmax on a text label: accuracy and cross-entropy over the K probabilities', async () => {
    // scores a: 0, b: 0, c: x − 4 → P(c) = e^(x−4)/(2 + e^(x−4)), P(a) = P(b) = 1/(2 + e^(x−4)).
    const { store, manifest } = await dataset();
    const model = artifact({
      kind: 'softmax',
      target: 'c',
      classes: ['a', 'b', 'c'],
      coefficients: { a: {}, b: {}, c: { x: 1 } },
      intercept: { a: 0, b: 0, c: -4 },
    });
    const m = await evaluateModel(store, manifest, model);
    let loss = 0;
    let correct = 0;
    for (const i of ALL) {
      const e = Math.exp(X[i]! - 4);
      const p = { a: 1 / (2 + e), b: 1 / (2 + e), c: e / (2 + e) };
      // argmax: c when e > 1 (x > 4); a (first of the a/b tie) when x < 4; x = 4 is a three-way tie → a.
      const best = X[i]! > 4 ? 'c' : 'a';
      if (best === C[i]) correct++;
      loss -= Math.log(p[C[i] as 'a' | 'b' | 'c']);
    }
    // by hand: x > 4 rows have c = (c, b, a, c) → 2 right; x ≤ 4 rows have (c, a, b, a) → 2 right.
    expect(correct).toBe(4);
    expectClose({ ...m }, { accuracy: correct / 8, logloss: loss / 8 });
  });

  it('refuses a label the model does not know, naming its line', async () => {
    const { store, manifest } = await dataset();
    const model = artifact({ kind: 'logistic', target: 'c', classes: ['a', 'b'] });
    // row 0 holds "c": line 2 of the file (line 1 is the header)
    await expect(evaluateModel(store, manifest, model)).rejects.toThrow(
      new DatasetError(
        { file: 'f.csv', line: 2, column: 'c' },
        'label "c" is not a class the model knows (a, b)',
      ),
    );
  });

  it('refuses a missing column and a text feature, naming them', async () => {
    const { store, manifest } = await dataset();
    await expect(evaluateModel(store, manifest, artifact({ features: ['w'] }))).rejects.toThrow(
      'f.csv, column "w": the model needs this feature column but the file has: x, label, y, c, b',
    );
    await expect(evaluateModel(store, manifest, artifact({ target: 'z' }))).rejects.toThrow(
      'f.csv, column "z": the model needs this target column but the file has: x, label, y, c, b',
    );
    await expect(
      evaluateModel(store, manifest, artifact({ features: ['label'], coefficients: {} })),
    ).rejects.toThrow('f.csv, column "label": feature column is not numeric');
  });
});

describe('Function: modelRows', () => {
  it('yields each shard’s rows in the model’s feature order, with or without the target', async () => {
    const { store, manifest } = await dataset();
    const model = artifact({ features: ['b', 'x'] });
    const blocks = [];
    for await (const b of modelRows(store, manifest, model, true)) blocks.push(b);
    expect(blocks.map((b) => b.rows)).toEqual([2, 2, 2, 2]);
    expect(blocks.flatMap((b) => Array.from(b.x))).toEqual(X.flatMap((x, i) => [B[i]!, x]));
    expect(blocks.flatMap((b) => Array.from(b.y))).toEqual(Y);
    const bare = [];
    for await (const b of modelRows(store, manifest, artifact({ target: 'absent' }), false)) bare.push(b);
    expect(bare.flatMap((b) => Array.from(b.x))).toEqual(X);
    expect(bare.every((b) => b.y.length === 0)).toBe(true);
  });
});

describe('Function: holdoutMetrics', () => {
  // The held-out rows of the shared mask (holdout.ts, tested on its own) at fraction ½.
  const held = ALL.filter((i) => isHoldoutRow(i, 0.5, HOLDOUT_SEED));

  it('scores each model on the same held-out rows', async () => {
    // Not every row and not none, in several shards: the mask is per row index of the version.
    expect(held.length).toBeGreaterThan(1);
    expect(held.length).toBeLessThan(8);
    const { store, manifest } = await dataset();
    const a = artifact({});
    const b = artifact({ coefficients: { x: 1 }, intercept: 4 });
    const [ma, mb] = await holdoutMetrics(store, manifest, 0.5, [a, b]);
    expectClose(
      ma!,
      ref.regression(held, (x) => 1 + 2 * x),
    );
    expectClose(
      mb!,
      ref.regression(held, (x) => 4 + x),
    );
  });

  it('reads several features per held-out row from their own columns', async () => {
    // ŷ = 1 + 5·b + 2·x, features listed b before x (columns 4 and 0 of the file).
    const { store, manifest } = await dataset();
    const two = artifact({ features: ['b', 'x'], coefficients: { b: 5, x: 2 } });
    const [m] = await holdoutMetrics(store, manifest, 0.5, [two]);
    const yHat = (i: number) => 1 + 5 * B[i]! + 2 * X[i]!;
    const y = held.map((i) => Y[i]!);
    const mean = y.reduce((a, v) => a + v, 0) / y.length;
    const sse = held.reduce((acc, i) => acc + (Y[i]! - yHat(i)) ** 2, 0);
    const sst = y.reduce((acc, v) => acc + (v - mean) ** 2, 0);
    expectClose(m!, { mse: sse / held.length, rmse: Math.sqrt(sse / held.length), r2: 1 - sse / sst });
    // The rows differ in b, so reading b for x (or one row's cells for another's) changes the sse.
    expect(new Set(held.map((i) => B[i])).size).toBe(2);
  });

  it('matches binary labels by name; a label the model never saw is class 0', async () => {
    const { store, manifest } = await dataset();
    const yes = artifact({
      kind: 'logistic',
      target: 'label',
      classes: ['no', 'yes'],
      coefficients: { x: 1 },
      intercept: -4.5,
    });
    // "maybe" is not a label of the data: every row reads as class 0 for it.
    const odd = { ...yes, classes: ['yes', 'maybe'] };
    const [m1, m2] = await holdoutMetrics(store, manifest, 0.5, [yes, odd]);
    const p = (x: number) => sigmoid(x - 4.5);
    expectClose(
      m1!,
      ref.binary(held, (i) => (LABEL[i] === 'yes' ? 1 : 0), p),
    );
    const all0 = ref.binary(held, () => 0, p);
    expect(m2!.accuracy).toBeCloseTo(all0.accuracy, 12);
    expect(m2!.logloss).toBeCloseTo(all0.logloss, 12);
    expect(m2!.auc).toBeNaN();
  });

  it('reads a numeric 0/1 class target as the labels "0" and "1"', async () => {
    const { store, manifest } = await dataset();
    const model = artifact({
      kind: 'logistic',
      target: 'b',
      classes: ['0', '1'],
      coefficients: { x: 1 },
      intercept: -4.5,
    });
    const [m] = await holdoutMetrics(store, manifest, 0.5, [model]);
    expectClose(
      m!,
      ref.binary(
        held,
        (i) => B[i]!,
        (x) => sigmoid(x - 4.5),
      ),
    );
  });

  it('softmax: class indices by name, an unknown label counted as class 0', async () => {
    const { store, manifest } = await dataset();
    // scores a: 0, b: 0, c: x − 4; and a model that knows only (b, c): "a" rows count as b.
    const three = artifact({
      kind: 'softmax',
      target: 'c',
      classes: ['a', 'b', 'c'],
      coefficients: { a: {}, b: {}, c: { x: 1 } },
      intercept: { a: 0, b: 0, c: -4 },
    });
    const two = artifact({
      kind: 'softmax',
      target: 'c',
      classes: ['b', 'c'],
      coefficients: { b: {}, c: { x: 1 } },
      intercept: { b: 0, c: -4 },
    });
    const [m3, m2] = await holdoutMetrics(store, manifest, 0.5, [three, two]);
    let loss3 = 0;
    let right3 = 0;
    let loss2 = 0;
    let right2 = 0;
    for (const i of held) {
      const e = Math.exp(X[i]! - 4);
      const p3 = { a: 1 / (2 + e), b: 1 / (2 + e), c: e / (2 + e) };
      const label = C[i] as 'a' | 'b' | 'c';
      loss3 -= Math.log(p3[label]);
      if ((X[i]! > 4 ? 'c' : 'a') === label) right3++;
      const p2 = { b: 1 / (1 + e), c: e / (1 + e) };
      const as2 = label === 'a' ? 'b' : label;
      loss2 -= Math.log(p2[as2]);
      if ((X[i]! > 4 ? 'c' : 'b') === as2) right2++;
    }
    expectClose(m3!, { accuracy: right3 / held.length, logloss: loss3 / held.length });
    expectClose(m2!, { accuracy: right2 / held.length, logloss: loss2 / held.length });
  });

  it('returns nothing for no models, and refuses an empty split or a missing column', async () => {
    const { store, manifest } = await dataset();
    expect(await holdoutMetrics(store, manifest, 0.5, [])).toEqual([]);
    // A fraction so small that none of the 8 rows falls under it.
    expect(ALL.some((i) => isHoldoutRow(i, 1e-9, HOLDOUT_SEED))).toBe(false);
    await expect(holdoutMetrics(store, manifest, 1e-9, [artifact({})])).rejects.toThrow(
      'f.csv: the holdout split has no rows',
    );
    await expect(holdoutMetrics(store, manifest, 0.5, [artifact({ target: 'z' })])).rejects.toThrow(
      'f.csv, column "z": column missing',
    );
    await expect(
      holdoutMetrics(store, manifest, 0.5, [artifact({}), artifact({ features: ['w'] })]),
    ).rejects.toThrow('f.csv, column "w": column missing');
  });
});
