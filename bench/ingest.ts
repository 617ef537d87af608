/**
 * Ingest bench (issue 9): CSV parser candidates side by side, and `shardtrain upload` against
 * `pandas.read_csv` of the same file, each in its own process, as ratios to pandas.
 *
 * One synthetic numeric file (`writeSyntheticCsv`, logistic, `BENCH_INGEST_ROWS` × 32, default
 * 500 000 rows ≈ 145 MB, quick 50 000). Measured:
 * - `parsers`: bytes → float32 values in this process, MB/s, for the CsvBlockScanner (the
 *   choice), the csv-parse reader it replaced (reference), udsv and csv-simple-parser (each
 *   splitting 1 MiB chunks into string cells, then the same per-cell number check);
 * - `pandas`: `pandas.read_csv` + `to_numpy(float32)` in a child `/usr/bin/python3`: time inside
 *   the process and whole process (spawn to exit), peak RSS;
 * - `upload`: `node bin/shardtrain.js upload <file>` whole process (a fresh home), peak RSS;
 * - ratios: pandas seconds ÷ ours (> 1: faster than pandas), both wall time and CPU time (on a
 *   shared machine the CPU time is the steadier of the two).
 * Without `/usr/bin/python3` + pandas the pandas figures are `missing` and no ratio is printed.
 */
import { spawn } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import parseSimple from 'csv-simple-parser';
import { inferSchema, initParser } from 'udsv';
import { CsvBlockScanner } from '../lib/data/csv/block-scanner.js';
import { readCsvRecords } from '../lib/data/csv/csv-records.js';
import { validateHeader } from '../lib/data/csv/header.js';
import { toFiniteNumber } from '../lib/data/csv/parse-number.js';
import { RowDecoder } from '../lib/data/csv/row-decoder.js';
import { quickMode, roundTo } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

const MB = 1024 * 1024;
const PYTHON = '/usr/bin/python3';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Timed {
  readonly seconds: number;
  readonly cpuSeconds: number;
}

async function timed(work: () => Promise<unknown>): Promise<Timed> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function chunks(file: string): AsyncIterable<Buffer> {
  return createReadStream(file, { highWaterMark: MB });
}

/** The chosen parser: CsvBlockScanner into two reused blocks. */
async function scannerValues(file: string): Promise<number> {
  const scanner = new CsvBlockScanner(file, 65_536);
  let values = 0;
  for await (const chunk of chunks(file)) {
    scanner.feed(chunk);
    while (scanner.scan(false)) {
      values += scanner.fullBlock().length;
      scanner.nextBlock();
    }
  }
  while (scanner.scan(true)) {
    values += scanner.fullBlock().length;
    scanner.nextBlock();
  }
  return values + (scanner.filled > 0 ? scanner.fullBlock().length : 0);
}

/** The reference: csv-parse records decoded by RowDecoder. */
async function csvParseValues(file: string): Promise<number> {
  let decoder: RowDecoder | undefined;
  let out = new Float32Array(0);
  let values = 0;
  for await (const record of readCsvRecords(chunks(file), file)) {
    if (decoder === undefined) {
      decoder = new RowDecoder(validateHeader(record.cells, file, record.line), file);
      out = new Float32Array(decoder.names.length);
      continue;
    }
    decoder.decode(record.cells, record.line, out, 0);
    values += out.length;
  }
  return values;
}

/** A string-cell parser over 1 MiB chunks cut at the last line break, then the number check. */
async function stringCellValues(
  file: string,
  split: (text: string, first: boolean) => string[][],
): Promise<number> {
  const decoder = new TextDecoder();
  let carry = '';
  let first = true;
  let values = 0;
  let out = new Float32Array(0);
  const take = (text: string): void => {
    const rows = split(text, first);
    let start = 0;
    if (first) {
      out = new Float32Array(rows[0]!.length);
      start = 1;
      first = false;
    }
    for (let r = start; r < rows.length; r++) {
      const cells = rows[r]!;
      if (cells.length === 1 && cells[0] === '') continue;
      for (let c = 0; c < cells.length; c++) {
        const v = toFiniteNumber(cells[c]!);
        if (v === undefined) throw new Error(`${file}: "${cells[c]}" is not a number`);
        out[c] = v;
      }
      values += cells.length;
    }
  };
  for await (const chunk of chunks(file)) {
    const text = carry + decoder.decode(chunk, { stream: true });
    const cut = text.lastIndexOf('\n');
    carry = text.slice(cut + 1);
    take(text.slice(0, cut));
  }
  if (carry !== '') take(carry);
  return values;
}

async function udsvValues(file: string): Promise<number> {
  let parser: ReturnType<typeof initParser> | undefined;
  let header = '';
  return stringCellValues(file, (text, first) => {
    if (parser === undefined) {
      header = text.slice(0, text.indexOf('\n'));
      parser = initParser(inferSchema(text.slice(0, 64 * 1024)));
    }
    // stringArrs skips the header on every call (it skips by the header's length): give later
    // chunks the header again.
    const rows = parser.stringArrs(first ? text : `${header}\n${text}`);
    return first ? [parser.schema.cols.map((c) => c.name), ...rows] : rows;
  });
}

async function simpleValues(file: string): Promise<number> {
  return stringCellValues(file, (text) => parseSimple(text) as string[][]);
}

/** Spawns a command; resolves with wall seconds and the exit code, stdout collected. */
function runChild(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ seconds: (performance.now() - t0) / 1000, code, stdout, stderr }));
  });
}

const PANDAS_SCRIPT = `
import json, resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
import numpy as np, pandas as pd
t1 = time.perf_counter(); c1 = time.process_time()
a = pd.read_csv(sys.argv[1]).to_numpy(np.float32)
t2 = time.perf_counter(); c2 = time.process_time()
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"readSeconds": t2 - t1, "readCpuSeconds": c2 - c1, "cpuSeconds": u.ru_utime + u.ru_stime,
  "maxRssMb": u.ru_maxrss / 1024, "values": int(a.size), "pandas": pd.__version__}))
`;

/** Whole-process CPU and peak RSS of a Node child, written by a preloaded exit hook. */
const RUSAGE_HOOK = `process.on('exit', () => { const u = process.resourceUsage();
  require('fs').writeFileSync(process.env.BENCH_RUSAGE_OUT, JSON.stringify({ cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRssMb: u.maxRSS / 1024 })); });`;

async function pandasAnchor(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    await fs.access(PYTHON);
  } catch {
    return undefined;
  }
  const run = await runChild(PYTHON, ['-c', PANDAS_SCRIPT, file]);
  if (run.code !== 0) return undefined; // numpy/pandas missing
  const inner = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
  return { ...inner, wholeSeconds: run.seconds };
}

async function uploadWholeProcess(file: string, dir: string): Promise<Record<string, number>> {
  const hook = path.join(dir, 'rusage-hook.cjs');
  const out = path.join(dir, 'rusage.json');
  await fs.writeFile(hook, RUSAGE_HOOK);
  const home = path.join(dir, 'home');
  const run = await runChild(
    process.execPath,
    [
      '--require',
      hook,
      path.join(REPO_ROOT, 'bin', 'shardtrain.js'),
      'upload',
      file,
      '--dataset',
      'bench',
      '--home',
      home,
    ],
    { ...process.env, BENCH_RUSAGE_OUT: out },
  );
  if (run.code !== 0) throw new Error(`shardtrain upload exited with ${run.code}: ${run.stderr.trim()}`);
  const usage = JSON.parse(await fs.readFile(out, 'utf8')) as { cpuSeconds: number; maxRssMb: number };
  await fs.rm(home, { recursive: true, force: true });
  return { wholeSeconds: run.seconds, ...usage };
}

function ratio(anchor: number | undefined, ours: number): number | string {
  return anchor === undefined ? 'missing' : roundTo(anchor / ours, 2);
}

export async function runIngestBench(): Promise<Record<string, unknown>> {
  const rows = Number(process.env.BENCH_INGEST_ROWS ?? (quickMode() ? 50_000 : 500_000));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shardtrain-ingest-'));
  try {
    const file = path.join(dir, 'ingest.csv');
    const bytes = await writeSyntheticCsv(file, { kind: 'logistic', rows, features: 31, seed: 9 });
    const mb = bytes / MB;
    const report: Record<string, unknown> = { csvMb: roundTo(mb, 1), rows, columns: 32 };

    const pandas = await pandasAnchor(file);
    const pandasMBps = pandas === undefined ? undefined : mb / (pandas.readSeconds as number);
    const parsers: Record<string, unknown> = {};
    const candidates: [string, (f: string) => Promise<number>][] = [
      ['scanner', scannerValues],
      ['udsv', udsvValues],
      ['csv-simple-parser', simpleValues],
      ['csv-parse (reference)', csvParseValues],
    ];
    for (const [name, parse] of candidates) {
      let values = 0;
      const t = await timed(async () => {
        values = await parse(file);
      });
      if (values !== rows * 32) throw new Error(`${name}: ${values} values, expected ${rows * 32}`);
      parsers[name] = {
        MBps: roundTo(mb / t.seconds, 1),
        vsPandasReadCsv: pandasMBps === undefined ? 'missing' : roundTo(mb / t.seconds / pandasMBps, 2),
      };
    }
    report.parsers = parsers;
    report.pandas =
      pandas === undefined
        ? 'missing (needs /usr/bin/python3 with numpy and pandas)'
        : {
            readCsvMBps: roundTo(pandasMBps!, 1),
            readSeconds: roundTo(pandas.readSeconds as number, 2),
            wholeSeconds: roundTo(pandas.wholeSeconds as number, 2),
            cpuSeconds: roundTo(pandas.cpuSeconds as number, 2),
            maxRssMb: roundTo(pandas.maxRssMb as number, 0),
          };
    const upload = await uploadWholeProcess(file, dir);
    report.upload = {
      wholeSeconds: roundTo(upload.wholeSeconds!, 2),
      MBps: roundTo(mb / upload.wholeSeconds!, 1),
      cpuSeconds: roundTo(upload.cpuSeconds!, 2),
      maxRssMb: roundTo(upload.maxRssMb!, 0),
      // > 1: `shardtrain upload` is faster than pandas.read_csv, each in its own process
      speedVsPandasWhole: ratio(pandas?.wholeSeconds as number | undefined, upload.wholeSeconds!),
      cpuVsPandasWhole: ratio(pandas?.cpuSeconds as number | undefined, upload.cpuSeconds!),
      rssVsPandas:
        pandas === undefined ? 'missing' : roundTo(upload.maxRssMb! / (pandas.maxRssMb as number), 2),
    };
    report.cpus = os.cpus().length;
    report.loadAverage = roundTo(os.loadavg()[0]!, 1);
    return report;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runIngestBench(), null, 2));
}
