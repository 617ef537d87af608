/**
 * Partitioned upload bench (issue 9, item 3): `shardtrain upload <dir>` of a table in P parts
 * (default 4) against `shardtrain upload <file>` of the same rows as one file and against
 * `pandas.read_csv` of that file, each a whole process (spawn to exit), run in the same process
 * and in alternation, reported as ratios.
 *
 * Locally the parts go to min(P, cores/2) preprocess handler threads, so on 2 cores the figure is
 * the price of the partitioned path (P handler invocations, the marker, the merge) more than a
 * speed-up; on AWS each part is its own Lambda invocation.
 *
 * Knobs: `BENCH_PARTS_ROWS` (default 400 000, quick 40 000), `BENCH_PARTS` (default 4),
 * `BENCH_PARTS_REPEATS` (default 2; the median is reported).
 *
 * Run alone: `npm run build && node dist/bench/partitions.js`.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intKnob, quantile, quickMode, roundTo } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

const PYTHON = '/usr/bin/python3';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PANDAS = 'import sys, numpy as np, pandas as pd; pd.read_csv(sys.argv[1]).to_numpy(np.float32)';

/** Wall seconds of one child process, spawn to exit; throws on a non-zero exit. */
function wholeProcess(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve((performance.now() - t0) / 1000)
        : reject(new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/** Splits a CSV into `parts` files of (about) equal rows, each with the header. */
async function split(file: string, dir: string, rows: number, parts: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const per = Math.ceil(rows / parts);
  let header: string | undefined;
  let out: ReturnType<typeof createWriteStream> | undefined;
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (header === undefined) {
      header = line;
      continue;
    }
    if (line === '') continue;
    if (n % per === 0) {
      out?.end();
      out = createWriteStream(path.join(dir, `part-${String(n / per).padStart(5, '0')}.csv`));
      out.write(`${header}\n`);
    }
    if (!out!.write(`${line}\n`)) await new Promise<void>((r) => out!.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((r) => {
    if (out === undefined) r();
    else out.end(() => r());
  });
}

export async function runPartitionsBench(): Promise<Record<string, unknown>> {
  const rows = intKnob('BENCH_PARTS_ROWS', quickMode() ? 40_000 : 400_000);
  const parts = intKnob('BENCH_PARTS', 4);
  const repeats = intKnob('BENCH_PARTS_REPEATS', 2);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shardtrain-parts-'));
  try {
    const file = path.join(dir, 'whole.csv');
    const bytes = await writeSyntheticCsv(file, { kind: 'logistic', rows, features: 31, seed: 9 });
    await split(file, path.join(dir, 'parts'), rows, parts);
    const cli = path.join(REPO_ROOT, 'bin', 'shardtrain.js');
    const upload = (what: string, i: number) =>
      wholeProcess(process.execPath, [
        cli,
        '--home',
        path.join(dir, `home-${i}`),
        'upload',
        what,
        '--dataset',
        'b',
      ]);
    const hasPandas = await wholeProcess(PYTHON, ['-c', 'import pandas']).then(
      () => true,
      () => false,
    );
    const single: number[] = [];
    const partitioned: number[] = [];
    const pandas: number[] = [];
    for (let i = 0; i < repeats; i++) {
      // Alternating, so a load change on the shared machine falls on all three.
      single.push(await upload(file, 2 * i));
      partitioned.push(await upload(path.join(dir, 'parts'), 2 * i + 1));
      if (hasPandas) pandas.push(await wholeProcess(PYTHON, ['-c', PANDAS, file]));
    }
    const median = (xs: number[]) => quantile(xs, 0.5);
    const s = median(single);
    const p = median(partitioned);
    return {
      csvMb: roundTo(bytes / 2 ** 20, 1),
      rows,
      parts,
      repeats,
      singleSeconds: roundTo(s, 2),
      partitionedSeconds: roundTo(p, 2),
      // < 1: the partitioned upload took longer than the single file
      singleOverPartitioned: roundTo(s / p, 2),
      pandasReadCsvSeconds: hasPandas ? roundTo(median(pandas), 2) : 'missing',
      pandasOverPartitioned: hasPandas ? roundTo(median(pandas) / p, 2) : 'missing',
      cpus: os.cpus().length,
      loadAverage: roundTo(os.loadavg()[0]!, 1),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runPartitionsBench(), null, 2));
}
