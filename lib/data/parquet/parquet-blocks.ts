import { parquetMetadata, parquetRead } from 'hyparquet';
import { DatasetError } from '../../errors.js';
import { validateHeader } from '../csv/header.js';
import { RowDecoder } from '../csv/row-decoder.js';
import type { TableBlocks, TableHeader } from '../preprocess.js';

export { isParquetFile } from './parquet-name.js';

/**
 * A Parquet value as the CSV cell it would be: numbers and bigints in JavaScript's shortest
 * round-trip spelling (so they parse back to the same double), `null` as an empty cell,
 * everything else (strings, booleans, dates) as text.
 */
function toCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

/**
 * Rows of a Parquet file (hyparquet) as float32 blocks, validated exactly like a CSV: every row
 * goes through the same {@link RowDecoder} as its CSV spelling would (first row decides the
 * types; empty (null), NaN, Infinity and text in a numeric column are rejected with the same
 * one-line errors). A flat schema's column names are the header (line 1); row i (0-based) is
 * "line i + 2", the line it would have in the equivalent CSV.
 *
 * Parquet needs random access, so the file's bytes are collected first (the SHA-256 and byte
 * count still see them as they stream in); rows are then decoded one shard at a time. Big
 * datasets belong in several part files.
 */
export function parquetBlocks(
  source: AsyncIterable<Uint8Array>,
  file: string,
  shardRows: number,
): TableBlocks {
  let header: TableHeader | undefined;
  async function* blocks(): AsyncGenerator<Float32Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of source) parts.push(chunk);
    if (parts.length === 0) return;
    const bytes = Buffer.concat(parts);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    let metadata: ReturnType<typeof parquetMetadata>;
    try {
      metadata = parquetMetadata(buffer);
    } catch (error) {
      throw new DatasetError({ file }, `not a valid Parquet file: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const [root, ...fields] = metadata.schema;
    if (fields.length !== (root?.num_children ?? 0) || fields.some((f) => (f.num_children ?? 0) > 0)) {
      throw new DatasetError(
        { file },
        'nested Parquet columns are not supported; use a flat table of numbers and labels',
      );
    }
    const names = validateHeader(
      fields.map((f) => f.name),
      file,
      1,
    );
    header = { names, decoder: new RowDecoder(names, file), headerLine: 1 };
    const cols = names.length;
    const total = Number(metadata.num_rows);
    const buffers = [0, 1].map(() => new Float32Array(new SharedArrayBuffer(shardRows * cols * 4)));
    let current = 0;
    for (let start = 0; start < total; start += shardRows) {
      const end = Math.min(total, start + shardRows);
      let rows: unknown[][] = [];
      try {
        await parquetRead({
          file: buffer,
          metadata,
          rowStart: start,
          rowEnd: end,
          onComplete: (r: unknown[][]) => {
            rows = r;
          },
        });
      } catch (error) {
        throw new DatasetError(
          { file },
          `cannot read Parquet rows ${start}-${end}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const out = buffers[current]!;
      rows.forEach((row, i) => {
        header!.decoder.decode(row.map(toCell), start + i + 2, out, i * cols);
      });
      yield out.subarray(0, rows.length * cols);
      current = 1 - current;
    }
  }
  return { blocks: blocks(), header: () => header };
}
