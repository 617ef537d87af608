import { createHash, randomBytes } from 'node:crypto';
import { DatasetError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import { readCsvRecords } from './csv/csv-records.js';
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
import { type Compression, DEFAULT_COMPRESSION, encodeShardAsync } from './shard/shard-codec.js';
import { DatasetStatsAccumulator } from './stats/dataset-stats.js';

/** Rows per shard unless told otherwise. */
export const DEFAULT_SHARD_ROWS = 65_536;
/** Key prefix of processed datasets unless told otherwise. */
export const DEFAULT_PROCESSED_PREFIX = 'processed';

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
  /** Called after each shard is stored (progress bars). */
  readonly onShard?: (entry: ShardEntry) => void;
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
  if (!DATASET_NAME.test(dataset)) {
    throw new DatasetError({ file }, `dataset name "${dataset}" must be letters, digits, ".", "_" or "-"`);
  }
  if (!Number.isInteger(shardRows) || shardRows < 1) {
    throw new RangeError(`shardRows must be a positive integer, got ${shardRows}`);
  }
  const runId = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(6).toString('hex')}`;
  const staging = `${prefix}/${dataset}/_staging/${runId}`;

  const hash = createHash('sha256');
  let csvBytes = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      hash.update(chunk);
      csvBytes += chunk.byteLength;
      yield chunk;
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
    const bytes = await encodeShardAsync({ rows, cols, data }, compression);
    await store.put(key, bytes, { contentType: 'application/octet-stream' });
    const done = { ...entry, bytes: bytes.byteLength };
    shards[shards.indexOf(entry)] = done;
    shardBytes += bytes.byteLength;
    options.onShard?.(done);
  };

  try {
    let names: string[] | undefined;
    let decoder: RowDecoder | undefined;
    let accumulator: DatasetStatsAccumulator | undefined;
    let buffers: [Float32Array, Float32Array] | undefined;
    let current = 0;
    let filled = 0;
    let rows = 0;
    let headerLine = 1;

    const flush = async (): Promise<void> => {
      if (filled === 0) return;
      const cols = names!.length;
      const block = buffers![current]!.subarray(0, filled * cols);
      accumulator!.addBlock(block, filled);
      // Compression of this block overlaps with parsing the next one; at most one is in flight.
      if (pending !== undefined) await pending;
      const write = store1(block, filled, cols, rows);
      write.catch(() => {}); // observed later by `await pending`; avoid an unhandled rejection meanwhile
      pending = write;
      rows += filled;
      filled = 0;
      current = 1 - current;
    };

    for await (const record of readCsvRecords(hashed(), file)) {
      if (decoder === undefined) {
        headerLine = record.line;
        names = validateHeader(record.cells, file, record.line);
        decoder = new RowDecoder(names, file);
        buffers = [new Float32Array(shardRows * names.length), new Float32Array(shardRows * names.length)];
        continue;
      }
      decoder.decode(record.cells, record.line, buffers![current]!, filled * names!.length);
      if (accumulator === undefined)
        accumulator = new DatasetStatsAccumulator(decoder.columnTypes, MAX_COMOMENT_COLUMNS);
      filled++;
      if (filled === shardRows) await flush();
    }
    if (csvBytes === 0)
      throw new DatasetError(
        { file },
        'the file is empty (0 bytes); upload a CSV with a header row and data rows',
      );
    if (decoder === undefined || names === undefined) {
      throw new DatasetError({ file }, 'the file has no header row (only blank lines)');
    }
    if (rows + filled === 0) {
      throw new DatasetError({ file, line: headerLine }, 'the file has a header but no data rows');
    }
    await flush();
    if (pending !== undefined) await pending;

    const sha256 = hash.digest('hex');
    const version = sha256.slice(0, 16);
    const summary = accumulator!.result();
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
    const key = manifestKey(prefix, dataset, version);
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
  }
}

async function deleteAll(store: ObjectStore, keys: readonly string[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => store.delete(key)));
}
