/**
 * `npm run bench` (= `node --expose-gc dist/bench/run.js` after `npm run build`): every bench
 * section in one run, a readable report on stdout, and `bench-out/report.json` + `report.md`.
 *
 * Sections, in order: `optim` (gradient-step throughput per kernel/backend), `data` (CSV
 * preprocessing MB/s, peak RSS, compression, and `bench/ingest.ts`: parser candidates and
 * `shardtrain upload` against pandas.read_csv; in a child process so its peak RSS is its own),
 * `coordination` (per-round overhead, local cloud vs in-process), `local-sgd` (rounds and wall
 * time to a target loss, sync GD vs local SGD K = 1, 4, 16), `solvers` (rounds and wall time per
 * solver next to scikit-learn's lbfgs), `whole` (`shardtrain train --data` on 200k × 32 and 1M × 32
 * logistic CSVs, whole process, vs a pandas + scikit-learn script, pair by pair), `mlp` (digits accuracy, rounds and gradient rows/s next to scikit-learn's
 * MLPClassifier; bench/mlp.ts), `simulate` (`shardtrain simulate`'s table, W = 1…256; bench/simulate.ts).
 *
 * Knobs: `BENCH_ONLY=optim,data,coordination,local-sgd,solvers,whole,mlp,partitions,simulate` picks sections; `BENCH_QUICK=1` shrinks
 * every section (under 2 minutes with `BENCH_CSV_MB=20`); `BENCH_CSV_MB` (default 1024, quick 32)
 * sizes the CSV; `BENCH_OUT` (default `bench-out`) is where the report goes; the sections' own
 * knobs are documented in their files.
 *
 * @example
 * npm run build && BENCH_QUICK=1 BENCH_CSV_MB=20 npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCoordinationBench } from './coordination.js';
import { runLocalSgdBench } from './local-sgd.js';
import { runMlpBench } from './mlp.js';
import { runOptimBench } from './optim.js';
import { runPartitionsBench } from './partitions.js';
import { runSimulateBench } from './simulate.js';
import { runSolversBench } from './solvers.js';
import { quickMode, roundTo, secondsSince } from './stats.js';
import { reportMarkdown } from './summary.js';
import { runWholeProcessBench } from './whole-process.js';

/** Section names accepted by `BENCH_ONLY`, in run order. */
export const SECTIONS = [
  'optim',
  'data',
  'coordination',
  'local-sgd',
  'solvers',
  'whole',
  'mlp',
  'partitions',
  'simulate',
] as const;
export type SectionName = (typeof SECTIONS)[number];

/** The sections `BENCH_ONLY` asks for (all when unset); throws on an unknown name. */
export function selectedSections(only: string | undefined): SectionName[] {
  if (only === undefined || only.trim() === '') return [...SECTIONS];
  const asked = only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = asked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`,
    );
  }
  return SECTIONS.filter((s) => asked.includes(s));
}

/** Runs the data bench in a child Node process and returns its report (with `childMaxRssMb`). */
async function runDataChild(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shardtrain-bench-data-'));
  const out = path.join(dir, 'data.json');
  const entry = fileURLToPath(new URL('./data-child.js', import.meta.url));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', entry, out], { env, stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (c, signal) => resolve(c ?? (signal !== null ? 128 : null)));
    });
    if (code !== 0) throw new Error(`data bench child exited with code ${code}`);
    return JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Runs the selected sections; resolves with the report (also written under `BENCH_OUT`). */
export async function runBench(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const quick = quickMode(env);
  const sections = selectedSections(env.BENCH_ONLY);
  // quick defaults for knobs the caller did not set (read by the sections from process.env)
  if (quick) {
    env.BENCH_OPTIM_SECONDS ??= '0.2';
    env.BENCH_OPTIM_SIZES ??= '100000x32';
    env.BENCH_CSV_MB ??= '32';
  }
  const t0 = performance.now();
  const report: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    quick,
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      totalMemMb: Math.round(os.totalmem() / 1024 / 1024),
      loadAverageStart: loadAverage(),
    },
    sections: {} as Record<string, unknown>,
  };
  const results = report.sections as Record<string, unknown>;
  let failed = 0;
  console.log(
    `shardtrain bench: sections ${sections.join(', ')}${quick ? ' (BENCH_QUICK)' : ''}; load average ${loadAverage()}`,
  );
  for (const name of sections) {
    const s0 = performance.now();
    console.log(`\n== ${name} ==`);
    try {
      let result: Record<string, unknown>;
      if (name === 'optim')
        result = { seconds: Number(env.BENCH_OPTIM_SECONDS ?? 0.6), ...(await runOptimBench()) };
      else if (name === 'data') result = await runDataChild(env);
      else if (name === 'coordination') result = await runCoordinationBench();
      else if (name === 'solvers') result = await runSolversBench(env);
      else if (name === 'whole') result = await runWholeProcessBench(env);
      else if (name === 'mlp') result = await runMlpBench(env);
      else if (name === 'partitions') result = await runPartitionsBench();
      else if (name === 'simulate') result = await runSimulateBench(env);
      else result = await runLocalSgdBench();
      if (name === 'data') printData(result);
      results[name] = { ...result, sectionSeconds: secondsSince(s0), loadAverageAfter: loadAverage() };
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      console.error(
        `bench section ${name} failed: ${error instanceof Error ? (error.stack ?? message) : message}`,
      );
      results[name] = { error: message, sectionSeconds: secondsSince(s0) };
    }
    console.log(`(${name}: ${secondsSince(s0)} s, load average ${loadAverage()})`);
  }
  (report.environment as Record<string, unknown>).loadAverageEnd = loadAverage();
  report.totalSeconds = roundTo((performance.now() - t0) / 1000, 1);
  report.failedSections = failed;
  const outDir = path.resolve(env.BENCH_OUT ?? 'bench-out');
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = reportMarkdown(report);
  await writeFile(path.join(outDir, 'report.md'), md);
  console.log(`\n== summary (also in ${path.join(outDir, 'report.md')}) ==\n`);
  console.log(md);
  console.log(`report: ${path.join(outDir, 'report.json')}`);
  return report;
}

function printData(r: Record<string, unknown>): void {
  console.log(
    `\ndata bench: ${String(r.csvMb)} MB CSV, ${String(r.rows)} rows; own process max RSS ${String(r.childMaxRssMb)} MB`,
  );
  const rows = ['none', 'deflate', 'brotli']
    .filter((c) => typeof r[c] === 'object' && r[c] !== null)
    .map((c) => ({ compression: c, ...(r[c] as Record<string, unknown>) }));
  console.table(rows);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runBench();
  // the local cloud's SQLite handles and timers are closed, but tfjs may keep the loop alive
  process.exit(report.failedSections === 0 ? 0 : 1);
}
