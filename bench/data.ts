/**
 * Data-layer benchmark: generates a CSV on disk, preprocesses it into a directory-backed object
 * store once per compression, and reports throughput, peak RSS and compression ratio. Also times
 * the shard codec alone on one full shard.
 *
 * `BENCH_CSV_MB` (default 1024) sets the CSV size; `BENCH_COMPRESSIONS` (default
 * `none,deflate,brotli`) which preprocessing runs to do. Run directly with
 * `BENCH_CSV_MB=200 npx tsx bench/data.ts`.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsObjectStore } from '../lib/adapters/local/fs-object-store.js';
import { type Compression, decodeShard, encodeShard, preprocessCsv } from '../lib/data/index.js';
import { seededRng } from '../lib/examples/random.js';
import { runIngestBench } from './ingest.js';

const COLUMNS = 16;
const MB = 1024 * 1024;

/** One CSV row: 15 correlated features with 6 significant digits and a 0/1 label. */
function rowMaker(seed: number): () => string {
  const rng = seededRng(seed);
  const random = (): number => rng.uniform();
  const scales = Array.from({ length: COLUMNS - 1 }, (_, j) => 10 ** ((j % 5) - 1));
  return () => {
    const base = random() * 2 - 1;
    const cells = scales.map((s, j) => ((base * (j % 3) + random() * 2 - 1) * s * 100).toPrecision(6));
    cells.push(base > 0 ? '1' : '0');
    return cells.join(',');
  };
}

/** Writes about `bytes` bytes of CSV to `file`, returns the exact size and row count. */
export async function generateCsv(file: string, bytes: number): Promise<{ bytes: number; rows: number }> {
  const out = createWriteStream(file);
  const header = `${Array.from({ length: COLUMNS - 1 }, (_, j) => `x${j}`).join(',')},label\n`;
  out.write(header);
  let written = header.length;
  let rows = 0;
  const next = rowMaker(42);
  while (written < bytes) {
    const lines: string[] = [];
    let chunk = 0;
    while (chunk < MB && written + chunk < bytes) {
      const line = `${next()}\n`;
      lines.push(line);
      chunk += line.length;
      rows++;
    }
    written += chunk;
    if (!out.write(lines.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes: written, rows };
}

/** Runs `work` while sampling RSS every 50 ms; returns its result, seconds and peak RSS in MB. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; peakRssMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const start = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, seconds: (performance.now() - start) / 1000, peakRssMb: peak / MB };
  } finally {
    clearInterval(timer);
  }
}

function round(x: number, digits = 2): number {
  return Number(x.toFixed(digits));
}

/** Encode/decode speed and ratio of one 65 536-row shard of the generated data, per compression. */
async function codecBench(file: string): Promise<Record<string, unknown>> {
  const rows = 65_536;
  const next = rowMaker(7);
  const data = new Float32Array(rows * COLUMNS);
  for (let r = 0; r < rows; r++) {
    next()
      .split(',')
      .forEach((cell, c) => {
        data[r * COLUMNS + c] = Number(cell);
      });
  }
  const shard = { rows, cols: COLUMNS, data };
  const rawMb = data.byteLength / MB;
  const result: Record<string, unknown> = { file: path.basename(file), shardRows: rows, rawMb: round(rawMb) };
  for (const compression of ['none', 'deflate', 'brotli'] as const) {
    let bytes = encodeShard(shard, compression);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) bytes = encodeShard(shard, compression);
    const t1 = performance.now();
    for (let i = 0; i < 3; i++) decodeShard(bytes);
    const t2 = performance.now();
    result[compression] = {
      ratio: round(data.byteLength / bytes.byteLength, 3),
      encodeMBps: round((3 * rawMb) / ((t1 - t0) / 1000), 1),
      decodeMBps: round((3 * rawMb) / ((t2 - t1) / 1000), 1),
    };
  }
  return result;
}

/**
 * Generates the CSV, preprocesses it once per compression into an `FsObjectStore` in a temp
 * directory, and returns the measurements (the temp directory is removed afterwards).
 */
export async function runDataBench(): Promise<Record<string, unknown>> {
  const csvMb = Number(process.env.BENCH_CSV_MB ?? 1024);
  const compressions = (process.env.BENCH_COMPRESSIONS ?? 'none,deflate,brotli').split(',') as Compression[];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shardtrain-bench-'));
  try {
    const csvFile = path.join(dir, 'bench.csv');
    const genStart = performance.now();
    const generated = await generateCsv(csvFile, csvMb * MB);
    const report: Record<string, unknown> = {
      csvMb: round(generated.bytes / MB),
      rows: generated.rows,
      columns: COLUMNS,
      generateSeconds: round((performance.now() - genStart) / 1000),
      node: process.version,
      cpus: os.cpus().length,
    };
    for (const compression of compressions) {
      const store = new FsObjectStore({ root: path.join(dir, `store-${compression}`) });
      const run = await measured(() =>
        preprocessCsv({
          source: createReadStream(csvFile, { highWaterMark: MB }),
          file: 'bench.csv',
          dataset: 'bench',
          store,
          compression,
        }),
      );
      report[compression] = {
        seconds: round(run.seconds),
        MBps: round(generated.bytes / MB / run.seconds, 1),
        peakRssMb: round(run.peakRssMb, 0),
        shardMb: round(run.result.shardBytes / MB),
        ratio: round(run.result.csvBytes / run.result.shardBytes, 3),
        shards: run.result.shards.length,
      };
      await fs.rm(path.join(dir, `store-${compression}`), { recursive: true, force: true });
    }
    report.codec = await codecBench(csvFile);
    // Parser candidates and `shardtrain upload` against pandas.read_csv (issue 9); BENCH_INGEST=0 skips.
    if (process.env.BENCH_INGEST !== '0') report.ingest = await runIngestBench();
    report.maxRssMbProcess = round(process.resourceUsage().maxRSS / 1024, 0);
    return report;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runDataBench(), null, 2));
}
