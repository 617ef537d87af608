import { randomBytes } from 'node:crypto';
import { DatasetError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import { CsvBlockScanner } from './csv/block-scanner.js';
import { validateHeader } from './csv/header.js';
import { RowDecoder } from './csv/row-decoder.js';
import {
  type ColumnManifest,
  type DatasetManifest,
  datasetManifestSchema,
  MAX_COMOMENT_COLUMNS,
  manifestKey,
  type ShardEntry,
} from './manifest.js';
import { isParquetFile } from './parquet/parquet-name.js';
import { type Compression, DEFAULT_COMPRESSION } from './shard/shard-codec.js';
import { ShardPipeline, THREAD_MIN_BYTES } from './shard/shard-pipeline.js';

/** Rows per shard unless told otherwise. */
export const DEFAULT_SHARD_ROWS = 65_536;
/** Key prefix of processed datasets unless told otherwise. */
export const DEFAULT_PROCESSED_PREFIX = 'processed';

/** Which CSV reader {@link preprocessCsv} uses. */
export type CsvParserChoice = 'scanner' | 'csv-parse';

export interface PreprocessOptions {
  /** Raw CSV bytes (a file stream, an S3 object stream). */
  readonly source: AsyncIterable<Uint8Array>;
  /** Name used in error messages, e.g. `data.csv` or the S3 key. */
  readonly file: string;
  readonly dataset: string;
  readonly store: ObjectStore;
  /** Rows per shard; default {@link DEFAULT_SHARD_ROWS}. Memory is about 2 × shardRows × columns × 4 bytes. */
  readonly shardRows?: number;
  /** Default {@link DEFAULT_COMPRESSION}. */
  readonly compression?: Compression;
  /** Default {@link DEFAULT_PROCESSED_PREFIX}. */
  readonly prefix?: string;
  /**
   * `scanner` (default): {@link CsvBlockScanner}, bytes straight into float32 blocks.
   * `csv-parse`: the previous reader (csv-parse records + {@link RowDecoder}), kept as the
   * reference the scanner is tested and benchmarked against; both give the same shards,
   * statistics and errors.
   */
  readonly parser?: CsvParserChoice;
  /**
   * Where the manifest goes instead of `<prefix>/<dataset>/<version>/manifest.json` (same
   * put-if-absent rule): one part of a partitioned version writes its part manifest there, and
   * the version is published later by merging the parts (`lib/data/partitions`).
   */
  readonly manifestKey?: string;
  /** Called after each shard is stored (progress bars). */
  readonly onShard?: (entry: ShardEntry) => void;
  /**
   * Called with each block of parsed rows before it is stored: `block` holds rows `firstRow …`
   * (`cols` floats a row, the shard's values) and is valid only during the call (copy it;
   * `RowCollector.add` does). `bytesRead`: file bytes read so far. An in-process job trains
   * from these instead of reading the shards back.
   */
  readonly onRows?: (block: Float32Array, firstRow: number, cols: number, bytesRead: number) => void;
}

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Streams a CSV into compressed float32 shards and a manifest, validating every row on the way.
 *
 * Shards go to `<prefix>/<dataset>/_staging/<runId>/shard-00000.bin` as soon as each is full
 * (two shard buffers in memory: one being filled, one being compressed and written). At the end
 * the manifest goes to `<prefix>/<dataset>/<version>/manifest.json` with put-if-absent, where
 * version = first 16 hex characters of the CSV's SHA-256; the manifest lists the shard keys, so
 * the shards of the run that wrote the manifest stay where they are. If that manifest already
 * exists (same bytes uploaded again) the new shards are deleted and the existing manifest is
 * returned. On any error the shards written so far are deleted and the error is rethrown: a
 * rejected file changes nothing already stored.
 *
 * @throws DatasetError for anything wrong with the file (naming file, line, column).
 * @example
 * const manifest = await preprocessCsv({
 *   source: createReadStream('data.csv'), file: 'data.csv', dataset: 'houses', store,
 * });
 */
export async function preprocessCsv(options: PreprocessOptions): Promise<DatasetManifest> {
  const { source, file, dataset, store } = options;
  const shardRows = options.shardRows ?? DEFAULT_SHARD_ROWS;
  const compression = options.compression ?? DEFAULT_COMPRESSION;
  const prefix = options.prefix ?? DEFAULT_PROCESSED_PREFIX;
  const parser = options.parser ?? 'scanner';
  if (!DATASET_NAME.test(dataset)) {
    throw new DatasetError({ file }, `dataset name "${dataset}" must be letters, digits, ".", "_" or "-"`);
  }
  if (!Number.isInteger(shardRows) || shardRows < 1) {
    throw new RangeError(`shardRows must be a positive integer, got ${shardRows}`);
  }
  const runId = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(6).toString('hex')}`;
  const staging = `${prefix}/${dataset}/_staging/${runId}`;

  // Read the first few MB before deciding: a file that ends within them stays in this thread,
  // a bigger one gets the shard threads (hashing, statistics and compression off the parser).
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < THREAD_MIN_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.byteLength;
  }
  const pipeline = new ShardPipeline(compression, !ended);
  let csvBytes = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for (const chunk of head.splice(0)) {
      pipeline.update(chunk);
      csvBytes += chunk.byteLength;
      yield chunk;
    }
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      pipeline.update(next.value);
      csvBytes += next.value.byteLength;
      yield next.value;
    }
  }

  const written: string[] = [];
  const shards: ShardEntry[] = [];
  let pending: Promise<void> | undefined;
  let shardBytes = 0;

  const store1 = async (data: Float32Array, rows: number, cols: number, firstRow: number): Promise<void> => {
    const key = `${staging}/shard-${String(shards.length).padStart(5, '0')}.bin`;
    const entry: ShardEntry = { key, rows, bytes: 0, firstRow };
    shards.push(entry);
    written.push(key);
    const bytes = await pipeline.encode(data, rows, cols);
    await store.put(key, bytes, { contentType: 'application/octet-stream' });
    const done = { ...entry, bytes: bytes.byteLength };
    shards[shards.indexOf(entry)] = done;
    shardBytes += bytes.byteLength;
    options.onShard?.(done);
  };

  try {
    // The Parquet reader and the reference CSV reader are loaded only for the files that use them.
    const table = isParquetFile(file)
      ? (await import('./parquet/parquet-blocks.js')).parquetBlocks(hashed(), file, shardRows)
      : parser === 'csv-parse'
        ? csvParseBlocks(hashed(), file, shardRows)
        : scannerBlocks(hashed(), file, shardRows);
    let rows = 0;
    for await (const block of table.blocks) {
      const { names, decoder } = table.header()!;
      const cols = names.length;
      const filled = block.length / cols;
      if (rows === 0) pipeline.begin(decoder.columnTypes, MAX_COMOMENT_COLUMNS);
      // Statistics and compression of this block overlap with parsing the next one (in the shard
      // thread for big blocks); at most one is in flight, and the block source fills the other of
      // its two buffers meanwhile.
      if (pending !== undefined) await pending;
      options.onRows?.(block, rows, cols, csvBytes);
      const write = store1(block, filled, cols, rows);
      write.catch(() => {}); // observed later by `await pending`; avoid an unhandled rejection meanwhile
      pending = write;
      rows += filled;
    }
    if (csvBytes === 0)
      throw new DatasetError(
        { file },
        'the file is empty (0 bytes); upload a CSV with a header row and data rows',
      );
    const header = table.header();
    if (header === undefined) {
      throw new DatasetError({ file }, 'the file has no header row (only blank lines)');
    }
    if (rows === 0) {
      throw new DatasetError({ file, line: header.headerLine }, 'the file has a header but no data rows');
    }
    if (pending !== undefined) await pending;
    const { names, decoder } = header;

    const sha256 = await pipeline.digest();
    const version = sha256.slice(0, 16);
    const summary = await pipeline.summary();
    const types = decoder.columnTypes;
    const columns: ColumnManifest[] = names.map((name, index) => {
      const s = summary.columns[index]!;
      const categorical = types[index] === 'categorical';
      return {
        name,
        index,
        type: types[index]!,
        stats: s.stats,
        ...(categorical
          ? { categories: [...decoder.categories(index)], categoryCounts: s.classCounts ?? [] }
          : {}),
        ...(s.distinct !== undefined ? { distinct: s.distinct } : {}),
        ...(s.histogram !== undefined ? { histogram: s.histogram } : {}),
      };
    });
    const manifest: DatasetManifest = {
      v: 1,
      dataset,
      version,
      createdAt: new Date().toISOString(),
      source: { file, bytes: csvBytes, sha256 },
      rows,
      columns,
      ...(summary.comoments !== undefined
        ? {
            comoments: {
              columns: summary.comoments.columns.map((i) => names![i]!),
              count: summary.comoments.value.count,
              mean: summary.comoments.value.mean,
              upper: summary.comoments.value.upper,
            },
          }
        : {}),
      shards,
      shardRows,
      compression,
      csvBytes,
      shardBytes,
    };
    const key = options.manifestKey ?? manifestKey(prefix, dataset, version);
    if (await store.putIfAbsent(key, JSON.stringify(manifest))) return manifest;

    // Same content already processed: keep the existing version, drop this run's shards.
    const existing = await store.get(key);
    await deleteAll(store, written);
    if (existing === undefined) throw new DatasetError({ file }, `manifest ${key} vanished while being read`);
    return datasetManifestSchema.parse(JSON.parse(new TextDecoder().decode(existing.body)));
  } catch (error) {
    if (pending !== undefined) await pending.catch(() => {});
    await deleteAll(store, written);
    throw error;
  } finally {
    await pipeline.close();
    await iterator.return?.();
  }
}

async function deleteAll(store: ObjectStore, keys: readonly string[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => store.delete(key)));
}

/** The header of a table being read: column names, the decoder that knows types and labels. */
export interface TableHeader {
  readonly names: string[];
  readonly decoder: RowDecoder;
  readonly headerLine: number;
}

/**
 * Rows of a table as row-major float32 blocks of `shardRows` rows (the last one shorter).
 * A block stays valid until the block after it has been taken (two buffers alternate), so the
 * consumer may compress one block while the source fills the next.
 */
export interface TableBlocks {
  readonly blocks: AsyncIterable<Float32Array>;
  /** Known once the first block is out (or, for a file without data rows, at the end). */
  header(): TableHeader | undefined;
}

function scannerBlocks(source: AsyncIterable<Uint8Array>, file: string, shardRows: number): TableBlocks {
  const scanner = new CsvBlockScanner(file, shardRows);
  async function* blocks(): AsyncGenerator<Float32Array> {
    for await (const chunk of source) {
      scanner.feed(chunk);
      while (scanner.scan(false)) {
        yield scanner.fullBlock();
        scanner.nextBlock();
      }
    }
    while (scanner.scan(true)) {
      yield scanner.fullBlock();
      scanner.nextBlock();
    }
    if (scanner.filled > 0) yield scanner.fullBlock();
  }
  return {
    blocks: blocks(),
    header: () =>
      scanner.names === undefined
        ? undefined
        : { names: scanner.names, decoder: scanner.decoder!, headerLine: scanner.headerLine },
  };
}

/** The reference reader: csv-parse records decoded by {@link RowDecoder}. */
function csvParseBlocks(source: AsyncIterable<Uint8Array>, file: string, shardRows: number): TableBlocks {
  let header: TableHeader | undefined;
  async function* blocks(): AsyncGenerator<Float32Array> {
    const { readCsvRecords } = await import('./csv/csv-records.js');
    let buffers: [Float32Array, Float32Array] | undefined;
    let current = 0;
    let filled = 0;
    for await (const record of readCsvRecords(source, file)) {
      if (header === undefined) {
        const names = validateHeader(record.cells, file, record.line);
        header = { names, decoder: new RowDecoder(names, file), headerLine: record.line };
        buffers = [new Float32Array(shardRows * names.length), new Float32Array(shardRows * names.length)];
        continue;
      }
      const cols = header.names.length;
      header.decoder.decode(record.cells, record.line, buffers![current]!, filled * cols);
      filled++;
      if (filled === shardRows) {
        yield buffers![current]!.subarray(0, filled * cols);
        current = 1 - current;
        filled = 0;
      }
    }
    if (filled > 0) yield buffers![current]!.subarray(0, filled * header!.names.length);
  }
  return { blocks: blocks(), header: () => header };
}
