/**
 * Whole process against scikit-learn (issue 9, item 5): `shardtrain train --data f.csv --target y
 * --model logistic --runner inprocess --holdout 0.2` (a fresh home each run: upload, ingest,
 * training, registration, spawn to exit) against the pandas + scikit-learn script a user already
 * has (read_csv, StandardScaler, LogisticRegression lbfgs, the same 20 % test rows), on n × 32
 * logistic CSVs (`bench/synthetic-csv.ts`, seed 11).
 *
 * Method. The two commands run in turn, A B A B …, and the ratio is taken pair by pair (the
 * median is reported), so a machine whose speed drifts — shared CPUs — moves both sides of a
 * pair alike. The test rows are shardtrain's holdout rows (`isHoldoutRow(i, 0.2, HOLDOUT_SEED)`,
 * the same Murmur3 mix written in numpy in the script), the script fits on the others; after the
 * timing, shardtrain's model is scored on those rows by the same numpy code, so "test accuracy"
 * is the same computation on the same rows for both.
 *
 * CPU. Where `/usr/bin/time` exists each command runs under it, and the CPU seconds (user +
 * system, every thread) and peak RSS of both sides are reported too, with their ratio pair by
 * pair: on a shared machine the CPU ratio moves far less with the load than the wall ratio.
 *
 * Knobs: `BENCH_WHOLE_ROWS` (default `200000,1000000`; quick `20000`; the older
 * `BENCH_SOLVERS_ROWS` too), `BENCH_WHOLE_PAIRS` (default 3; quick 1). The bench section `whole`
 * (`BENCH_ONLY=whole npm run bench`); alone: `node dist/bench/whole-process.js`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HOLDOUT_SEED } from '../lib/engine/training/job-plan.js';
import { intKnob, quickMode, roundTo } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

const PYTHON = '/usr/bin/python3';
const TIME = '/usr/bin/time';
const HOLDOUT = 0.2;

/** numpy spelling of `isHoldoutRow` (lib/engine/datasets/holdout.ts). */
const MASK = `
import numpy as np
def holdout_mask(n, fraction, seed):
    r = np.arange(n, dtype=np.uint64); M = np.uint64(0xffffffff)
    h = ((r * np.uint64(0x9e3779b1)) & M) ^ np.uint64(seed)
    h ^= h >> np.uint64(16); h = (h * np.uint64(0x85ebca6b)) & M
    h ^= h >> np.uint64(13); h = (h * np.uint64(0xc2b2ae35)) & M
    h ^= h >> np.uint64(16)
    return h.astype(np.float64) / 4294967296.0 < fraction
`;

/** The user's script: what is timed against `shardtrain train`. */
export const SKLEARN_SCRIPT = `
import sys, json
${MASK}
import pandas as pd
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
df = pd.read_csv(sys.argv[1])
X = df.drop(columns=["y"]).values; y = df["y"].values
test = holdout_mask(len(y), ${HOLDOUT}, ${HOLDOUT_SEED})
sc = StandardScaler().fit(X[~test])
m = LogisticRegression().fit(sc.transform(X[~test]), y[~test])
acc = float((m.predict(sc.transform(X[test])) == y[test]).mean())
print(json.dumps({"nIter": int(m.n_iter_[0]), "testAccuracy": acc, "testRows": int(test.sum())}))
`;

/** Scores a shardtrain model (coefficients in raw feature units) on the same test rows. */
const SCORE_SCRIPT = `
import sys, json
${MASK}
import pandas as pd
model = json.load(open(sys.argv[2]))["model"]
df = pd.read_csv(sys.argv[1])
X = df[model["features"]].values.astype(np.float64); y = df["y"].values
test = holdout_mask(len(y), ${HOLDOUT}, ${HOLDOUT_SEED})
w = np.array([model["coefficients"][f] for f in model["features"]])
z = X[test] @ w + model["intercept"]
positive = model["classes"][1]
pred = np.where(z > 0, positive, model["classes"][0]).astype(str)
print(json.dumps({"testAccuracy": float((pred == y[test].astype(str)).mean())}))
`;

interface Timed {
  seconds: number;
  stdout: string;
  stderr: string;
  code: number | null;
  /** User + system CPU seconds of the process and its threads (when `/usr/bin/time` exists). */
  cpuSeconds?: number;
  maxRssMb?: number;
}

/** Runs a command to its exit; wall seconds from spawn to exit, and its CPU through `/usr/bin/time`. */
async function timed(command: string, args: string[], usageFile: string): Promise<Timed> {
  const withTime = existsSync(TIME);
  const result = await new Promise<Timed>((resolve, reject) => {
    const t0 = performance.now();
    const child = withTime
      ? spawn(TIME, ['-f', '%U %S %M', '-o', usageFile, command, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ seconds: (performance.now() - t0) / 1000, stdout, stderr, code }),
    );
  });
  if (withTime) {
    const line = (await readFile(usageFile, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? '';
    const [user, system, rssKb] = line.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(system)) result.cpuSeconds = user! + system!;
    if (Number.isFinite(rssKb)) result.maxRssMb = rssKb! / 1024;
  }
  return result;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function shardtrainCli(): string {
  // dist/bench/whole-process.js (npm run bench) or bench/whole-process.ts (tsx)
  return [
    fileURLToPath(new URL('../../bin/shardtrain.js', import.meta.url)),
    fileURLToPath(new URL('../bin/shardtrain.js', import.meta.url)),
  ].find((f) => existsSync(f))!;
}

/** One CSV size: `pairs` runs of each command in turn, then the test accuracy of both. */
async function compareOne(dir: string, rows: number, pairs: number): Promise<Record<string, unknown>> {
  const file = path.join(dir, `logistic-${rows}.csv`);
  const bytes = await writeSyntheticCsv(file, { kind: 'logistic', rows, features: 32, seed: 11 });
  const cli = shardtrainCli();
  const ours: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  const cpu: { ours: number; theirs: number }[] = [];
  const rss: { ours: number; theirs: number }[] = [];
  const usageFile = path.join(dir, 'usage.txt');
  let lastJson = '';
  let sk: { nIter: number; testAccuracy: number; testRows: number } | undefined;
  for (let i = 0; i < pairs; i++) {
    const home = path.join(dir, `home-${rows}-${i}`);
    const a = await timed(
      process.execPath,
      [
        cli,
        '--home',
        home,
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'logistic',
        '--runner',
        'inprocess',
        '--holdout',
        String(HOLDOUT),
        '--json',
      ],
      usageFile,
    );
    await rm(home, { recursive: true, force: true });
    if (a.code !== 0) throw new Error(`shardtrain train failed: ${a.stderr.slice(-400)}`);
    lastJson = a.stdout.trim().split('\n').at(-1)!;
    const b = await timed(PYTHON, ['-c', SKLEARN_SCRIPT, file], usageFile);
    if (b.code !== 0) throw new Error(`the scikit-learn script failed: ${b.stderr.slice(-300)}`);
    sk = JSON.parse(b.stdout.trim().split('\n').at(-1)!) as typeof sk;
    ours.push(a.seconds);
    theirs.push(b.seconds);
    ratios.push(a.seconds / b.seconds);
    if (a.cpuSeconds !== undefined && b.cpuSeconds !== undefined)
      cpu.push({ ours: a.cpuSeconds, theirs: b.cpuSeconds });
    if (a.maxRssMb !== undefined && b.maxRssMb !== undefined)
      rss.push({ ours: a.maxRssMb, theirs: b.maxRssMb });
    console.log(
      `whole process ${rows} rows, pair ${i + 1}/${pairs}: shardtrain ${a.seconds.toFixed(2)} s (CPU ${a.cpuSeconds?.toFixed(2) ?? '?'} s) vs scikit-learn ${b.seconds.toFixed(2)} s (CPU ${b.cpuSeconds?.toFixed(2) ?? '?'} s): ${(a.seconds / b.seconds).toFixed(3)}; load ${os.loadavg()[0]!.toFixed(1)}`,
    );
  }
  const modelFile = path.join(dir, `model-${rows}.json`);
  await writeFile(modelFile, lastJson);
  const scored = spawnSync(PYTHON, ['-c', SCORE_SCRIPT, file, modelFile], { encoding: 'utf8' });
  if (scored.status !== 0) throw new Error(`scoring failed: ${scored.stderr.slice(-300)}`);
  const ourAccuracy = (JSON.parse(scored.stdout.trim().split('\n').at(-1)!) as { testAccuracy: number })
    .testAccuracy;
  const j = JSON.parse(lastJson) as { steps: number; wallMs: number; solver?: { name: string } };
  await rm(file, { force: true });
  return {
    rows,
    features: 32,
    csvMb: roundTo(bytes / 1e6, 1),
    pairs,
    shardtrainSeconds: roundTo(median(ours), 2),
    sklearnSeconds: roundTo(median(theirs), 2),
    /** Median over pairs of shardtrain / scikit-learn (≤ 1: shardtrain is at least as fast). */
    ratio: roundTo(median(ratios), 3),
    ratios: ratios.map((r) => roundTo(r, 3)),
    ...(cpu.length > 0
      ? {
          shardtrainCpuSeconds: roundTo(median(cpu.map((c) => c.ours)), 2),
          sklearnCpuSeconds: roundTo(median(cpu.map((c) => c.theirs)), 2),
          /** Median over pairs of shardtrain / scikit-learn CPU seconds (every thread of each). */
          cpuRatio: roundTo(median(cpu.map((c) => c.ours / c.theirs)), 3),
          cpuRatios: cpu.map((c) => roundTo(c.ours / c.theirs, 3)),
        }
      : {}),
    ...(rss.length > 0
      ? {
          shardtrainMaxRssMb: Math.round(median(rss.map((r) => r.ours))),
          sklearnMaxRssMb: Math.round(median(rss.map((r) => r.theirs))),
        }
      : {}),
    shardtrainTrainSeconds: roundTo(j.wallMs / 1000, 2),
    shardtrainRounds: j.steps,
    shardtrainSolver: j.solver?.name,
    sklearnIter: sk!.nIter,
    testRows: sk!.testRows,
    shardtrainTestAccuracy: roundTo(ourAccuracy, 5),
    sklearnTestAccuracy: roundTo(sk!.testAccuracy, 5),
    accuracyGap: roundTo(Math.abs(ourAccuracy - sk!.testAccuracy), 5),
    loadAverage: os.loadavg().map((l) => roundTo(l, 2)),
  };
}

/** The section: every size in `BENCH_WHOLE_ROWS`; `anchor: 'missing'` without scikit-learn. */
export async function runWholeProcessBench(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, unknown>> {
  const quick = quickMode(env);
  const check = spawnSync(PYTHON, ['-c', 'import sklearn, pandas'], { encoding: 'utf8' });
  if (check.status !== 0) return { anchor: `missing (${PYTHON} has no scikit-learn/pandas)` };
  const sizes = (env.BENCH_WHOLE_ROWS ?? env.BENCH_SOLVERS_ROWS ?? (quick ? '20000' : '200000,1000000'))
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  const pairs = intKnob('BENCH_WHOLE_PAIRS', quick ? 1 : 3, env);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shardtrain-bench-whole-'));
  try {
    const results: Record<string, unknown>[] = [];
    for (const rows of sizes) {
      const r = await compareOne(dir, rows, pairs);
      console.log('whole process, logistic CSV:', JSON.stringify(r));
      results.push(r);
    }
    return { anchor: 'pandas + scikit-learn script', results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runWholeProcessBench(), null, 2));
}
