import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobsProblem, linearProblem, seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

/** The `train --json` contract (issue 2). */
interface TrainJson {
  modelId: string;
  jobId: string;
  model: {
    kind: string;
    features: string[];
    classes?: string[];
    coefficients: Record<string, number> | Record<string, Record<string, number>>;
    intercept: number | Record<string, number>;
  };
  metrics: Record<string, number>;
  steps: number;
  backend: string;
  runner: string;
}

/** Reads a numeric CSV back exactly as the CLI sees it: header, then rows of numbers. */
function readNumericCsv(file: string): { columns: string[]; rows: number[][] } {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  return { columns: header!.split(','), rows: lines.map((l) => l.split(',').map(Number)) };
}

/**
 * Simple least squares y = b + w·x in closed form:
 * w = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², b = ȳ − w·x̄.
 */
function simpleLeastSquares(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Normal equations (AᵀA) θ = Aᵀy with A = [1 | X], solved by Gaussian elimination with partial
 * pivoting. Returns [intercept, w1, …, wd].
 */
function normalEquations(x: number[][], y: number[]): number[] {
  const p = (x[0]?.length ?? 0) + 1;
  const m = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  for (let i = 0; i < x.length; i++) {
    const a = [1, ...x[i]!];
    for (let r = 0; r < p; r++) {
      for (let c = 0; c < p; c++) m[r]![c]! += a[r]! * a[c]!;
      m[r]![p]! += a[r]! * y[i]!;
    }
  }
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= p; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, r) => row[p]! / row[r]!);
}

describe('Command: train', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterEach(() => removeTemp(dir));

  describe('Option: --model linear on the seed example (y = 2x + ε, 100 points, noise 0.1, seed 42)', () => {
    for (const runner of ['local', 'inprocess'] as const) {
      it(`recovers slope 2 and intercept 0, equal to least squares (--runner ${runner})`, async () => {
        // Prepare
        const file = writeCsv(dir, 'seed.csv', seedExample());
        const { rows } = readNumericCsv(file);
        const ls = simpleLeastSquares(
          rows.map((r) => r[0]!),
          rows.map((r) => r[1]!),
        );

        // Act
        const res = await runCli([
          '--home',
          home,
          'train',
          '--data',
          file,
          '--target',
          'y',
          '--model',
          'linear',
          '--runner',
          runner,
          '--json',
        ]);

        // Assess
        expect(res.code).toBe(0);
        const j = res.json<TrainJson>();
        expect(typeof j.modelId).toBe('string');
        expect(j.model.kind).toBe('linear');
        expect(j.model.features).toEqual(['x']);
        const slope = (j.model.coefficients as Record<string, number>).x!;
        const intercept = j.model.intercept as number;
        // The acceptance: within 0.05 of the true line, and within 1e-3 of least squares.
        expect(Math.abs(slope - 2)).toBeLessThan(0.05);
        expect(Math.abs(intercept)).toBeLessThan(0.05);
        expect(Math.abs(slope - ls.slope)).toBeLessThan(1e-3);
        expect(Math.abs(intercept - ls.intercept)).toBeLessThan(1e-3);
        expect(typeof j.metrics.loss).toBe('number');
        expect(Number.isInteger(j.steps) && j.steps > 0).toBe(true);
        expect(j.backend).toMatch(/\S/);
        expect(j.runner).toBe(runner);
      });
    }
  });

  describe('Option: --model linear on a generated 3-feature problem', () => {
    it('matches the normal-equations solution computed from the same CSV', async () => {
      // Prepare: y = 3 + 1.5·x1 − 2·x2 + 0.5·x3 + N(0, 0.1²); x_j ~ N(0, j²).
      const file = writeCsv(
        dir,
        'lin3.csv',
        linearProblem({ rows: 500, weights: [1.5, -2, 0.5], intercept: 3, noise: 0.1, seed: 5 }),
      );
      const { rows } = readNumericCsv(file);
      const [b, w1, w2, w3] = normalEquations(
        rows.map((r) => r.slice(0, 3)),
        rows.map((r) => r[3]!),
      );

      // Act
      const res = await runCli([
        '--home',
        home,
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
        '--json',
      ]);

      // Assess
      expect(res.code).toBe(0);
      const j = res.json<TrainJson>();
      const c = j.model.coefficients as Record<string, number>;
      expect(j.model.features).toEqual(['x1', 'x2', 'x3']);
      expect(c.x1).toBeCloseTo(w1!, 4);
      expect(c.x2).toBeCloseTo(w2!, 4);
      expect(c.x3).toBeCloseTo(w3!, 4);
      expect(j.model.intercept as number).toBeCloseTo(b!, 4);
      // Sanity of the reference itself: it is near the generating weights.
      expect(Math.abs(w1! - 1.5) + Math.abs(w2! + 2) + Math.abs(w3! - 0.5) + Math.abs(b! - 3)).toBeLessThan(
        0.1,
      );
    });
  });

  describe('Option: --model logistic on two well-separated blobs with string labels', () => {
    it('reaches accuracy ≥ 0.97 on a fresh sample via evaluate --json {accuracy, logloss, auc}', async () => {
      // Prepare: centres (−2,−2) and (2,2), spread 1. The Bayes boundary is x1 + x2 = 0; a point's
      // distance to it is N(±2√2, 1), so the Bayes error is Φ(−2.83) ≈ 0.23 %: accuracy ≈ 0.998.
      const centres = [
        [-2, -2],
        [2, 2],
      ];
      const train = writeCsv(
        dir,
        'blobs.csv',
        blobsProblem({ rows: 400, centres, labels: ['no', 'yes'], seed: 7 }),
      );
      const test = writeCsv(
        dir,
        'blobs-test.csv',
        blobsProblem({ rows: 400, centres, labels: ['no', 'yes'], seed: 8 }),
      );

      // Act
      const trained = await runCli([
        '--home',
        home,
        'train',
        '--data',
        train,
        '--target',
        'label',
        '--model',
        'logistic',
        '--runner',
        'inprocess',
        '--json',
      ]);
      const j = trained.json<TrainJson>();
      const evaluated = await runCli([
        '--home',
        home,
        'evaluate',
        '--model',
        j.modelId,
        '--data',
        test,
        '--json',
      ]);

      // Assess
      expect(trained.code).toBe(0);
      expect(j.model.kind).toBe('logistic');
      expect(typeof j.model.intercept).toBe('number');
      expect(evaluated.code).toBe(0);
      const m = evaluated.json<Record<string, number>>();
      expect(Object.keys(m).sort()).toEqual(['accuracy', 'auc', 'logloss']);
      expect(m.accuracy).toBeGreaterThanOrEqual(0.97);
      expect(m.auc).toBeGreaterThanOrEqual(0.99);
      expect(m.logloss).toBeGreaterThan(0);
      expect(m.logloss).toBeLessThan(0.1);
    });
  });

  describe('Option: --model softmax on three well-separated blobs', () => {
    it('reaches accuracy ≥ 0.97 and reports coefficients as class → feature → number', async () => {
      // Prepare: centres (0,4), (−4,−2), (4,−2), spread 1. The closest pair is 7.2 apart, so each
      // point is ≥ 3.6 σ from a pairwise boundary: error ≈ 2·Φ(−3.6) ≈ 0.03 %.
      const centres = [
        [0, 4],
        [-4, -2],
        [4, -2],
      ];
      const labels = ['a', 'b', 'c'];
      const train = writeCsv(dir, 'three.csv', blobsProblem({ rows: 600, centres, labels, seed: 3 }));
      const test = writeCsv(dir, 'three-test.csv', blobsProblem({ rows: 600, centres, labels, seed: 4 }));

      // Act
      const trained = await runCli([
        '--home',
        home,
        'train',
        '--data',
        train,
        '--target',
        'label',
        '--model',
        'softmax',
        '--runner',
        'inprocess',
        '--json',
      ]);
      const j = trained.json<TrainJson>();
      const evaluated = await runCli([
        '--home',
        home,
        'evaluate',
        '--model',
        j.modelId,
        '--data',
        test,
        '--json',
      ]);

      // Assess
      expect(trained.code).toBe(0);
      expect(j.model.kind).toBe('softmax');
      const coefs = j.model.coefficients as Record<string, Record<string, number>>;
      expect(Object.keys(coefs).sort()).toEqual(labels);
      for (const cls of labels) {
        expect(Object.keys(coefs[cls]!).sort()).toEqual(['f1', 'f2']);
        expect(typeof (j.model.intercept as Record<string, number>)[cls]).toBe('number');
      }
      const m = evaluated.json<Record<string, number>>();
      expect(Object.keys(m).sort()).toEqual(['accuracy', 'logloss']);
      expect(m.accuracy).toBeGreaterThanOrEqual(0.97);
    });
  });

  describe('Option: --workers', () => {
    it('full-batch GD with 4 in-process workers equals 1 worker to 1e-9 relative', async () => {
      // Prepare: summing 4 partial gradients instead of one full one only reorders float additions.
      const file = writeCsv(
        dir,
        'lin3.csv',
        linearProblem({ rows: 1000, weights: [1, 2, -1], intercept: 0.5, seed: 9 }),
      );
      const args = [
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--algorithm',
        'batch',
        '--runner',
        'inprocess',
        '--seed',
        '3',
        '--json',
      ];

      // Act
      const one = (await runCli(['--home', join(dir, 'h1'), ...args, '--workers', '1'])).json<TrainJson>();
      const four = (await runCli(['--home', join(dir, 'h4'), ...args, '--workers', '4'])).json<TrainJson>();

      // Assess
      const c1 = one.model.coefficients as Record<string, number>;
      const c4 = four.model.coefficients as Record<string, number>;
      for (const f of ['x1', 'x2', 'x3']) {
        expect(Math.abs(c4[f]! - c1[f]!)).toBeLessThanOrEqual(1e-9 * Math.abs(c1[f]!));
      }
      expect(
        Math.abs((four.model.intercept as number) - (one.model.intercept as number)),
      ).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(one.model.intercept as number)));
    });
  });
});

describe('Command: predict', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Option: --out', () => {
    it('writes one prediction per row, b + w·x of the trained model', async () => {
      // Prepare
      const home = join(dir, 'home');
      const file = writeCsv(dir, 'seed.csv', seedExample());
      const j = (
        await runCli([
          '--home',
          home,
          'train',
          '--data',
          file,
          '--target',
          'y',
          '--model',
          'linear',
          '--runner',
          'inprocess',
          '--json',
        ])
      ).json<TrainJson>();
      const out = join(dir, 'preds.csv');

      // Act
      const res = await runCli([
        '--home',
        home,
        'predict',
        '--model',
        j.modelId,
        '--data',
        file,
        '--out',
        out,
      ]);

      // Assess
      expect(res.code).toBe(0);
      const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
      expect(header).toBe('prediction');
      expect(lines).toHaveLength(100);
      const { rows } = readNumericCsv(file);
      const w = (j.model.coefficients as Record<string, number>).x!;
      const b = j.model.intercept as number;
      // Features pass through float32 shards: x carries a relative error ≤ 2⁻²⁴ ≈ 6e-8, so with
      // |w·x| ≤ 2·2 = 4 a prediction may differ from the float64 b + w·x by ~2.4e-7; allow 1e-6.
      lines.forEach((line, i) => {
        expect(Math.abs(Number(line) - (b + w * rows[i]![0]!))).toBeLessThan(1e-6);
      });
    });
  });
});

describe('Command: models', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Method: list and show', () => {
    it('lists the trained model and shows its version with the same coefficients', async () => {
      // Prepare
      const home = join(dir, 'home');
      const file = writeCsv(dir, 'seed.csv', seedExample());
      const j = (
        await runCli([
          '--home',
          home,
          'train',
          '--data',
          file,
          '--target',
          'y',
          '--model',
          'linear',
          '--runner',
          'inprocess',
          '--json',
        ])
      ).json<TrainJson>();

      // Act
      const list = await runCli(['--home', home, 'models', 'list', '--json']);
      const show = await runCli(['--home', home, 'models', 'show', j.modelId, '--json']);

      // Assess
      expect(j.modelId).toBe('seed@1');
      expect(list.code).toBe(0);
      const rows = list.json<{ name: string; versions: number[]; latest: number }[]>();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ name: 'seed', versions: [1], latest: 1 });
      expect(show.code).toBe(0);
      const v = show.json<{ name: string; version: number; artifact: TrainJson['model'] }>();
      expect(v).toMatchObject({ name: 'seed', version: 1 });
      expect(v.artifact.coefficients).toEqual(j.model.coefficients);
      expect(v.artifact.intercept).toBe(j.model.intercept);
    });
  });
});
