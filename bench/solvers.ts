/**
 * Solvers: rounds and wall time to the reference solution per solver, next to scikit-learn's
 * lbfgs iterations and test metrics on the same 80/20 split. (The whole process against a pandas +
 * scikit-learn script is the section `whole`, `bench/whole-process.ts`.)
 *
 * Method. A child `/usr/bin/python3` (scikit-learn's bundled diabetes 442 × 10, breast_cancer
 * 569 × 30, digits 1797 × 64 × 10 classes; else synthetic data of the same shapes and no
 * scikit-learn columns) splits each set with `train_test_split(test_size=0.2, random_state=0)`,
 * fits StandardScaler + LinearRegression / LogisticRegression (lbfgs, defaults but max_iter=1000)
 * and reports `n_iter_` and test metrics (R², accuracy). Here the same train rows are
 * standardised alike (train mean, population sd) and split into 4 partitions; every solver runs
 * through `fit` (the round machine every runner shares) with its defaults. "rounds to metric" is
 * the first round whose parameters reach scikit-learn's test metric; "loss gap" is the final
 * training loss minus the lowest any solver reached on the same objective, relative. newton/lbfgs
 * classifiers default to scikit-learn's objective (C = 1: l2 = 1/n_train); rows `…, l2 0` run
 * them unpenalised (gd's default objective).
 *
 * Knobs: `BENCH_SOLVERS_GD=0` leaves out the GD rows (3000 rounds on digits; default on, off in quick).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Batch, ModelSpec, SolverChoice, TrainState } from '../lib/optim/index.js';
import { fit as fitModel, predict, resolveTrainConfig } from '../lib/optim/index.js';
import { quickMode, roundTo } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

const PYTHON = '/usr/bin/python3';

/** What the python child reports per problem. */
interface SkProblem {
  name: string;
  kind: 'linear' | 'logistic' | 'softmax';
  classes: number;
  train: string;
  test: string;
  sklearn: { nIter: number | null; metric: number; seconds: number } | null;
}

const ANCHOR = `
import json, sys, time, os
out = sys.argv[1]
try:
    import numpy as np
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import r2_score, accuracy_score
except Exception as e:
    print(json.dumps({"error": "scikit-learn missing: " + str(e)}))
    sys.exit(0)
res = []
for name, loader, kind in [("diabetes", datasets.load_diabetes, "linear"),
                           ("breast_cancer", datasets.load_breast_cancer, "logistic"),
                           ("digits", datasets.load_digits, "softmax")]:
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    paths = {}
    for part, A, b in [("train", Xtr, ytr), ("test", Xte, yte)]:
        p = os.path.join(out, name + "-" + part + ".csv")
        np.savetxt(p, np.column_stack([A, b]), delimiter=",", fmt="%.17g")
        paths[part] = p
    t = time.perf_counter()
    sc = StandardScaler().fit(Xtr)
    if kind == "linear":
        m = LinearRegression().fit(sc.transform(Xtr), ytr)
        metric = r2_score(yte, m.predict(sc.transform(Xte))); n_iter = None
    else:
        m = LogisticRegression(max_iter=1000).fit(sc.transform(Xtr), ytr)
        metric = accuracy_score(yte, m.predict(sc.transform(Xte))); n_iter = int(np.max(m.n_iter_))
    secs = time.perf_counter() - t
    res.append({"name": name, "kind": kind, "classes": int(len(set(y))) if kind != "linear" else 1,
                "train": paths["train"], "test": paths["test"],
                "sklearn": {"nIter": n_iter, "metric": metric, "seconds": secs}})
print(json.dumps({"problems": res, "sklearn": __import__("sklearn").__version__}))
`;

function readCsvMatrix(text: string): number[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));
}

/** Column mean and population sd of the train rows (sd 0 → 1: a constant column becomes 0). */
function scaler(rows: number[][], d: number): { mean: number[]; sd: number[] } {
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] = mean[j]! + r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sd[j] = sd[j]! + (r[j]! - mean[j]!) ** 2 / rows.length;
  return { mean, sd: sd.map((v) => Math.sqrt(v) || 1) };
}

function toBatch(
  rows: number[][],
  d: number,
  s: { mean: number[]; sd: number[] },
  y: (v: number) => number,
): Batch {
  const x = new Float32Array(rows.length * d);
  const yy = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = (r[j]! - s.mean[j]!) / s.sd[j]!;
    yy[i] = y(r[d]!);
  });
  return { x, y: yy, rows: rows.length, d };
}

function split(b: Batch, w: number): Batch[] {
  const size = Math.ceil(b.rows / w);
  return Array.from({ length: w }, (_, p) => {
    const s = Math.min(b.rows, p * size);
    const e = Math.min(b.rows, (p + 1) * size);
    return { x: b.x.subarray(s * b.d, e * b.d), y: b.y.subarray(s, e), rows: e - s, d: b.d };
  });
}

/** Test metric of standardised-space params: R² (linear, on the original target) or accuracy. */
function metric(spec: ModelSpec, params: ArrayLike<number>, test: Batch, yMean: number, ySd: number): number {
  const p = predict(spec, params, test);
  if (spec.kind === 'linear') {
    let ss = 0;
    let tot = 0;
    let m = 0;
    for (let i = 0; i < test.rows; i++) m += test.y[i]! / test.rows;
    for (let i = 0; i < test.rows; i++) {
      ss += (test.y[i]! - (p[i]! * ySd + yMean)) ** 2;
      tot += (test.y[i]! - m) ** 2;
    }
    return 1 - ss / tot;
  }
  let ok = 0;
  for (let i = 0; i < test.rows; i++) {
    const cls = spec.kind === 'logistic' ? (p[i]! >= 0.5 ? 1 : 0) : p[i]!;
    if (cls === test.y[i]) ok++;
  }
  return ok / test.rows;
}

interface SolverRow {
  problem: string;
  solver: string;
  l2: number;
  rounds: number;
  stop: string;
  ms: number;
  finalLoss: number;
  lossGap?: number;
  testMetric: number;
  roundsToSklearnMetric: number | null;
  sklearnIter: number | null;
  sklearnMetric: number | null;
}

function runSolvers(p: SkProblem, withGd: boolean): SolverRow[] {
  const train = readCsvMatrix(require_text(p.train));
  const test = readCsvMatrix(require_text(p.test));
  const d = train[0]!.length - 1;
  const s = scaler(train, d);
  const ys =
    p.kind === 'linear'
      ? scaler(
          train.map((r) => [r[d]!]),
          1,
        )
      : { mean: [0], sd: [1] };
  const yMean = ys.mean[0]!;
  const ySd = ys.sd[0]!;
  const trainBatch = toBatch(train, d, s, (v) => (p.kind === 'linear' ? (v - yMean) / ySd : v));
  const testBatch = toBatch(test, d, s, (v) => v);
  const parts = split(trainBatch, 4);
  const sk = p.sklearn;
  const rows: SolverRow[] = [];
  const choices: SolverChoice[] = [
    'auto',
    ...(p.kind === 'linear' ? (['normal'] as const) : []),
    'newton',
    'lbfgs',
    ...(withGd ? (['gd'] as const) : []),
  ];
  // undefined: the defaults (newton/lbfgs classifiers: scikit-learn's C = 1, λ = 1/n); 0: no penalty
  const lambdas: (number | undefined)[] = p.kind === 'linear' ? [undefined] : [undefined, 0];
  for (const l2 of lambdas) {
    for (const solver of choices) {
      if (l2 === 0 && (solver === 'gd' || solver === 'auto')) continue;
      const spec: ModelSpec = {
        kind: p.kind,
        numFeatures: d,
        ...(p.kind === 'softmax' ? { numClasses: p.classes } : {}),
        ...(l2 !== undefined ? { l2 } : {}),
      };
      const config = resolveTrainConfig({ spec, solver }, { rows: trainBatch.rows, partitions: 4 });
      // every round's params are kept (a reference: states are immutable), scored after the clock
      const trail: number[][] = [];
      const t0 = performance.now();
      const timed = fitModel(config, parts, {
        onRound: ({ state }: { state: TrainState }) => trail.push(state.params),
      });
      const ms = performance.now() - t0;
      let reached: number | null = null;
      if (sk !== null) {
        const i = trail.findIndex(
          (params) => metric(spec, params, testBatch, yMean, ySd) >= sk.metric - 1e-12,
        );
        reached = i < 0 ? null : i + 1;
      }
      const st = timed.state;
      rows.push({
        problem: `${p.name}${l2 === 0 ? ', l2 0' : ''}`,
        solver: solver === 'auto' ? `auto→${config.solver}` : solver,
        l2: roundTo(config.spec.l2 ?? 0, 6),
        rounds: timed.rounds,
        stop: st.status.status === 'done' ? st.status.reason : 'running',
        ms: roundTo(ms, 1),
        finalLoss: st.last?.loss ?? Number.NaN,
        testMetric: roundTo(metric(spec, timed.params, testBatch, yMean, ySd), 4),
        roundsToSklearnMetric: reached,
        sklearnIter: sk?.nIter ?? null,
        sklearnMetric: sk === null ? null : roundTo(sk.metric, 4),
      });
    }
  }
  // loss gap: relative to the best final loss among the rows of the same objective (problem and l2)
  for (const r of rows) {
    const best = Math.min(
      ...rows.filter((o) => o.problem === r.problem && o.l2 === r.l2).map((o) => o.finalLoss),
    );
    r.lossGap = Number(((r.finalLoss - best) / Math.max(Math.abs(best), 1e-300)).toPrecision(2));
    r.finalLoss = Number(r.finalLoss.toPrecision(8));
  }
  return rows;
}

const textCache = new Map<string, string>();
function require_text(file: string): string {
  const t = textCache.get(file);
  if (t === undefined) throw new Error(`not loaded: ${file}`);
  return t;
}

/** Synthetic stand-ins with scikit-learn's shapes, when it is missing (no anchor columns then). */
async function syntheticProblems(dir: string): Promise<SkProblem[]> {
  const shapes = [
    { name: 'diabetes-like', kind: 'linear' as const, rows: 442, d: 10 },
    { name: 'breast_cancer-like', kind: 'logistic' as const, rows: 569, d: 30 },
  ];
  const out: SkProblem[] = [];
  for (const s of shapes) {
    const file = path.join(dir, `${s.name}.csv`);
    await writeSyntheticCsv(file, { kind: s.kind, rows: s.rows, features: s.d, seed: 5 });
    const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(1);
    const cut = Math.floor(lines.length * 0.8);
    const train = path.join(dir, `${s.name}-train.csv`);
    const test = path.join(dir, `${s.name}-test.csv`);
    textCache.set(train, lines.slice(0, cut).join('\n'));
    textCache.set(test, lines.slice(cut).join('\n'));
    out.push({ name: s.name, kind: s.kind, classes: 1, train, test, sklearn: null });
  }
  return out;
}

export async function runSolversBench(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, unknown>> {
  const quick = quickMode(env);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shardtrain-bench-solvers-'));
  try {
    const anchor = spawnSync(PYTHON, ['-c', ANCHOR, dir], { encoding: 'utf8', timeout: 300_000 });
    const parsed =
      anchor.status === 0
        ? (JSON.parse(anchor.stdout.trim().split('\n').at(-1) ?? '{}') as {
            problems?: SkProblem[];
            sklearn?: string;
            error?: string;
          })
        : { error: `${PYTHON} failed: ${(anchor.stderr || anchor.error?.message || '').slice(-200)}` };
    const hasSklearn = parsed.problems !== undefined;
    if (!hasSklearn)
      console.log(`solvers bench: scikit-learn anchor missing (${parsed.error}); synthetic data`);
    const problems = parsed.problems ?? (await syntheticProblems(dir));
    for (const p of problems) {
      if (!textCache.has(p.train)) textCache.set(p.train, await readFile(p.train, 'utf8'));
      if (!textCache.has(p.test)) textCache.set(p.test, await readFile(p.test, 'utf8'));
    }
    const withGd = (env.BENCH_SOLVERS_GD ?? (quick ? '0' : '1')) !== '0';
    const rows = problems.flatMap((p) => runSolvers(p, withGd));
    console.table(
      rows.map((r) => ({
        problem: r.problem,
        solver: r.solver,
        rounds: r.rounds,
        stop: r.stop,
        ms: r.ms,
        'loss gap': r.lossGap,
        'test metric': r.testMetric,
        'rounds→sk metric': r.roundsToSklearnMetric,
        'sk iter': r.sklearnIter,
        'sk metric': r.sklearnMetric,
      })),
    );
    return { sklearn: parsed.sklearn ?? null, anchor: hasSklearn ? 'scikit-learn' : 'missing', rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSolversBench();
}
