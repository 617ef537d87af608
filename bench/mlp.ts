/**
 * MLP: accuracy, rounds and throughput on scikit-learn's digits (1797 × 64, 10 classes) next to
 * scikit-learn's MLPClassifier on the same split, in the same bench process.
 *
 * Method. A child `/usr/bin/python3` loads digits, splits it with
 * `train_test_split(test_size=0.2, random_state=0, stratify=y)`, standardises with the train rows'
 * StandardScaler and fits `MLPClassifier(hidden_layer_sizes=H)` for random_state 0..S−1 in two
 * settings: its defaults (adam, mini-batches of 200, lr 1e-3, alpha 1e-4, ≤ 200 epochs: "the"
 * MLPClassifier accuracy) and `solver='lbfgs'` (alpha 1e-4). It hands back the standardised rows,
 * mean test accuracy, mean `n_iter_` and mean fit seconds per setting. Here the same train rows
 * are split into `BENCH_MLP_WORKERS` partitions (default 4) and fitted through `fit` (the round
 * machine every runner shares) with `--model mlp --hidden H` for seeds 0..S−1: `auto` (L-BFGS,
 * ≤ 200 iterations) at alpha 1e-4 (the default, scikit-learn's), `auto` at the alpha
 * `selectMlpAlpha` picks on a validation split of the train rows (the test rows never enter it;
 * its seconds include the selection fits), and once (seed 0) full-batch Adam GD
 * (`--optimizer adam`, lr 0.05, capped at `BENCH_MLP_GD_ROUNDS`). "rounds to sklearn" is the
 * first round whose parameters reach the default MLPClassifier's mean test accuracy.
 * Throughput: rows/s of one MLP gradient pass (forward + back-propagation, float64) over the train
 * rows, median of 15, next to the same pass in numpy timed by the python child.
 * State bytes: mean bytes of a stored round state (`jobs/<id>/state/<round>.json`) over the
 * rounds of the seed-0 L-BFGS fit, as stored now (vectors base64, state document v2) and as plain
 * JSON (v1, what was stored before), for the MLP and for logistic L-BFGS (digit 0 against the rest).
 * Calibration: the planner's kernel figures (`calibrateKernel`, row·features/s of a logistic
 * gradient: the MLP rows/s the old d×1 work model predicted from them; `calibrateMlp`, the MLP
 * kernel's multiply-adds/s: the rows/s the planner predicts now) next to the measured ones.
 *
 * Knobs: `BENCH_MLP_HIDDEN` (default 100), `BENCH_MLP_WORKERS` (4), `BENCH_MLP_SEEDS` (3; quick 1),
 * `BENCH_MLP_GD_ROUNDS` (600; quick 150).
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { encodeState } from '../lib/engine/training/job-store.js';
import type {
  AlphaSelection,
  Batch,
  GradientKernel,
  ModelSpec,
  SolverChoice,
  TrainConfigInput,
  TrainState,
} from '../lib/optim/index.js';
import {
  fit as fitModel,
  initParams,
  mlpLossAndGradient,
  paramCount,
  predict,
  resolveTrainConfig,
  selectMlpAlpha,
  TypedArrayKernel,
  WasmSimdKernel,
} from '../lib/optim/index.js';
import { calibrateKernel, calibrateMlp } from '../lib/planner/calibration.js';
import { modelRowWork } from '../lib/planner/workload.js';
import { intKnob, quickMode, roundTo } from './stats.js';

const PYTHON = '/usr/bin/python3';

const ANCHOR = `
import json, sys, time
hidden = tuple(int(h) for h in sys.argv[1].split(','))
try:
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.neural_network import MLPClassifier
    import warnings
    warnings.filterwarnings('ignore')
except Exception as e:
    print(json.dumps({"error": "scikit-learn missing: " + str(e)}))
    sys.exit(0)
X, y = load_digits(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
sc = StandardScaler().fit(Xtr)
Xtr = sc.transform(Xtr); Xte = sc.transform(Xte)
out = {"hidden": list(hidden), "train": {"x": Xtr.ravel().tolist(), "y": ytr.tolist()},
       "test": {"x": Xte.ravel().tolist(), "y": yte.tolist()}, "d": X.shape[1]}
seeds = int(sys.argv[2])
for name, kw in [("adam", {}), ("lbfgs", {"solver": "lbfgs"})]:
    acc, its, secs = [], [], []
    for rs in range(seeds):
        t = time.perf_counter()
        m = MLPClassifier(hidden_layer_sizes=hidden, random_state=rs, max_iter=200, **kw).fit(Xtr, ytr)
        secs.append(time.perf_counter() - t)
        acc.append(float((m.predict(Xte) == yte).mean())); its.append(int(m.n_iter_))
    out[name] = {"accuracy": float(np.mean(acc)), "accuracies": acc, "nIter": float(np.mean(its)), "seconds": float(np.mean(secs))}
# numpy reference of one gradient pass (forward + backprop, float64), for throughput
rng = np.random.default_rng(0)
sizes = [X.shape[1], *hidden, 10]
W = [rng.normal(0, (2 / a) ** 0.5, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
B = [np.zeros(b) for b in sizes[1:]]
Y = np.eye(10)[ytr]
def grad():
    acts = [Xtr]
    for l, (w, b) in enumerate(zip(W, B)):
        z = acts[-1] @ w + b
        acts.append(np.maximum(z, 0) if l < len(W) - 1 else z)
    z = acts[-1]; z = z - z.max(1, keepdims=True); p = np.exp(z); p /= p.sum(1, keepdims=True)
    d = p - Y; gs = []
    for l in range(len(W) - 1, -1, -1):
        gs.append((acts[l].T @ d, d.sum(0)))
        if l > 0: d = (d @ W[l].T) * (acts[l] > 0)
    return gs
times = []
for _ in range(30):
    t = time.perf_counter(); grad(); times.append(time.perf_counter() - t)
out["numpyGradSeconds"] = float(np.median(times))
print(json.dumps(out))
`;

interface SkRun {
  accuracy: number;
  accuracies: number[];
  nIter: number;
  seconds: number;
}

interface Anchor {
  hidden: number[];
  d: number;
  train: { x: number[]; y: number[] };
  test: { x: number[]; y: number[] };
  adam: SkRun;
  lbfgs: SkRun;
  numpyGradSeconds: number;
  error?: string;
}

function toBatch(x: readonly number[], y: readonly number[], d: number): Batch {
  return { x: Float32Array.from(x), y: Float32Array.from(y), rows: y.length, d };
}

function partitions(b: Batch, w: number): Batch[] {
  const out: Batch[] = [];
  for (let p = 0; p < w; p++) {
    const s = Math.floor((p * b.rows) / w);
    const e = Math.floor(((p + 1) * b.rows) / w);
    out.push({ x: b.x.subarray(s * b.d, e * b.d), y: b.y.subarray(s, e), rows: e - s, d: b.d });
  }
  return out;
}

function accuracy(spec: ModelSpec, params: Float64Array, test: Batch): number {
  const p = predict(spec, params, test);
  let ok = 0;
  for (let i = 0; i < test.rows; i++) if (p[i] === test.y[i]) ok++;
  return ok / test.rows;
}

/** Mean bytes of a round state as stored (v2, vectors base64) and as plain JSON (v1, before). */
function stateBytesMeter() {
  const sums = new Map<string, { rounds: number; stored: number; plain: number; params: number }>();
  return {
    add(name: string, state: TrainState): void {
      const e = sums.get(name) ?? { rounds: 0, stored: 0, plain: 0, params: state.params.length };
      e.rounds++;
      e.stored += Buffer.byteLength(encodeState(state).json);
      e.plain += Buffer.byteLength(JSON.stringify(state));
      sums.set(name, e);
    },
    report: () =>
      [...sums].map(([run, e]) => ({
        run,
        params: e.params,
        rounds: e.rounds,
        storedBytesPerRound: Math.round(e.stored / e.rounds),
        plainJsonBytesPerRound: Math.round(e.plain / e.rounds),
        ratio: roundTo(e.stored / e.plain, 3),
      })),
  };
}

/**
 * The planner's calibrations next to the measured MLP rows/s: per linear kernel
 * (`calibrateKernel`: row·features/s of a logistic gradient, 16 384 × 32) the rows/s the old work
 * model implied for an mlp (rate / d, as if it were a linear model), and the MLP kernel's own
 * (`calibrateMlp`, multiply-adds/s) with the rows/s the planner now predicts: rate /
 * modelRowWork(spec), ≈ 3 × the network's weights a row.
 */
async function calibrationReport(mlpRowsPerSecond: number, spec: ModelSpec) {
  const kernels: GradientKernel[] = [new TypedArrayKernel()];
  const wasm = await WasmSimdKernel.create().catch(() => undefined);
  if (wasm !== undefined) kernels.push(wasm);
  const line = (kernel: string, rate: number, unit: string, predicted: number) => ({
    kernel,
    rate: Math.round(rate),
    unit,
    mlpRowsPerSecondPredicted: Math.round(predicted),
    mlpRowsPerSecondMeasured: Math.round(mlpRowsPerSecond),
    predictedOverMeasured: roundTo(predicted / mlpRowsPerSecond, 2),
  });
  const rows = kernels.map((k) => {
    const c = calibrateKernel(k, { machine: 'bench' });
    return line(
      `${c.kernel} (old: d×1)`,
      c.rowFeaturesPerSecond,
      'row·features/s',
      c.rowFeaturesPerSecond / spec.numFeatures,
    );
  });
  await wasm?.close();
  const m = calibrateMlp({ machine: 'bench' });
  rows.push(
    line(m.kernel, m.rowFeaturesPerSecond, 'multiply-adds/s', m.rowFeaturesPerSecond / modelRowWork(spec)),
  );
  return rows;
}

/** Runs the section; returns its report (also printed as a table). */
export async function runMlpBench(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const hidden = (env.BENCH_MLP_HIDDEN ?? '100').split(',').map(Number);
  const quick = quickMode(env);
  const workers = intKnob('BENCH_MLP_WORKERS', 4, env);
  const seeds = intKnob('BENCH_MLP_SEEDS', quick ? 1 : 3, env);
  const gdRounds = intKnob('BENCH_MLP_GD_ROUNDS', quick ? 150 : 600, env);
  const py = spawnSync(PYTHON, ['-c', ANCHOR, hidden.join(','), String(seeds)], {
    encoding: 'utf8',
    timeout: 1_200_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (py.status !== 0) return { anchor: `python failed: ${py.stderr.slice(-300)}` };
  const a = JSON.parse(py.stdout) as Anchor;
  if (a.error !== undefined) return { anchor: a.error };
  const train = toBatch(a.train.x, a.train.y, a.d);
  const test = toBatch(a.test.x, a.test.y, a.d);
  const spec: ModelSpec = { kind: 'mlp', numFeatures: a.d, hidden, head: 'softmax', numClasses: 10 };
  const parts = partitions(train, workers);
  const target = a.adam.accuracy;
  const selections: AlphaSelection[] = [];
  const bytes = stateBytesMeter();
  const one = (solver: SolverChoice, seed: number, extra: Partial<TrainConfigInput>, select: boolean) => {
    const t0 = performance.now();
    let l2 = {};
    if (select) {
      const sel = selectMlpAlpha({ spec, solver, seed, ...extra }, parts);
      selections.push(sel);
      l2 = { l2: sel.alpha / train.rows };
    }
    const config = resolveTrainConfig(
      { spec: { ...spec, ...l2 }, solver, seed, ...extra },
      { rows: train.rows, numFeatures: a.d, partitions: workers },
    );
    let reached = null as number | null;
    let evalMs = 0;
    const { params, state, rounds } = fitModel(config, parts, {
      onRound: (r) => {
        const e0 = performance.now();
        if (seed === 0 && config.solver === 'lbfgs')
          bytes.add(select ? 'mlp, alpha by validation' : 'mlp', r.state);
        if (reached === null && accuracy(spec, Float64Array.from(r.state.params), test) >= target)
          reached = r.round + 1;
        evalMs += performance.now() - e0;
      },
    });
    const seconds = (performance.now() - t0 - evalMs) / 1000;
    const stop = state.status.status === 'done' ? state.status.reason : 'running';
    return { solver: config.solver, accuracy: accuracy(spec, params, test), rounds, reached, stop, seconds };
  };
  const mean = (v: readonly number[]): number => v.reduce((x, y) => x + y, 0) / Math.max(1, v.length);
  const runs: Record<string, unknown>[] = [];
  const variants: [string, SolverChoice, Partial<TrainConfigInput>, number, boolean][] = [
    ['auto (lbfgs), alpha 1e-4 (default)', 'auto', {}, seeds, false],
    ['auto (lbfgs), alpha by validation', 'auto', {}, seeds, true],
    ['gd adam, full batch', 'gd', { optimizer: { kind: 'adam' }, maxSteps: gdRounds }, 1, false],
  ];
  for (const [name, solver, extra, n, select] of variants) {
    const rs = Array.from({ length: n }, (_, seed) => one(solver, seed, extra, select));
    const seconds = mean(rs.map((r) => r.seconds));
    const reached = rs.map((r) => r.reached).filter((r): r is number => r !== null);
    runs.push({
      run: name,
      seeds: n,
      accuracy: roundTo(mean(rs.map((r) => r.accuracy)), 4),
      sklearnAdam: roundTo(a.adam.accuracy, 4),
      sklearnLbfgs: roundTo(a.lbfgs.accuracy, 4),
      alpha: select
        ? selections
            .slice(-n)
            .map((x) => x.alpha)
            .join(',')
        : null,
      rounds: roundTo(mean(rs.map((r) => r.rounds)), 1),
      roundsToSklearn: reached.length === 0 ? null : roundTo(mean(reached), 1),
      reachedSklearn: `${reached.length}/${n}`,
      stop: [...new Set(rs.map((r) => r.stop))].join(','),
      seconds: roundTo(seconds, 2),
      wallVsSklearnAdam: roundTo(seconds / a.adam.seconds, 2),
      wallVsSklearnLbfgs: roundTo(seconds / a.lbfgs.seconds, 2),
    });
  }
  // state bytes of logistic L-BFGS: digit 0 against the rest, on the same partitions
  const zero = (b: Batch): Batch => ({ ...b, y: b.y.map((v) => (v === 0 ? 1 : 0)) });
  const logistic = resolveTrainConfig(
    { spec: { kind: 'logistic', numFeatures: a.d }, solver: 'lbfgs' },
    { rows: train.rows, numFeatures: a.d, partitions: workers },
  );
  fitModel(logistic, parts.map(zero), { onRound: (r) => bytes.add('logistic (65 params)', r.state) });
  // throughput of one gradient pass over all train rows
  const theta = initParams(spec, 0);
  const g = new Float64Array(paramCount(spec));
  const sel = { batch: train, indices: null, start: 0, end: train.rows };
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    mlpLossAndGradient(spec, theta, sel, g);
    times.push((performance.now() - t) / 1000);
  }
  times.sort((x, y) => x - y);
  const gradSeconds = times[Math.floor(times.length / 2)]!;
  const report = {
    hidden: hidden.join(','),
    workers,
    trainRows: train.rows,
    testRows: test.rows,
    seeds,
    sklearn: { adam: a.adam, lbfgs: a.lbfgs },
    runs,
    alphaSelection: selections.map((x) => x.reason),
    stateBytes: bytes.report(),
    calibration: await calibrationReport(train.rows / gradSeconds, spec),
    throughput: {
      rowsPerSecond: Math.round(train.rows / gradSeconds),
      numpyRowsPerSecond: Math.round(train.rows / a.numpyGradSeconds),
      ratioToNumpy: roundTo(a.numpyGradSeconds / gradSeconds, 3),
    },
  };
  console.table(runs);
  console.table(report.stateBytes);
  console.table(report.calibration);
  console.log(
    `mlp gradient pass: ${report.throughput.rowsPerSecond} rows/s (numpy ${report.throughput.numpyRowsPerSecond}; ratio ${report.throughput.ratioToNumpy})`,
  );
  return report;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runMlpBench(), null, 2));
}
