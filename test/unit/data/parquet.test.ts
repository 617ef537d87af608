import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { type DatasetManifest, loadRows, preprocessCsv } from '../../../lib/data/index.js';
import { DatasetError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * Parquet uploads (issue 9): a Parquet file is validated like the CSV that spells the same table
 * (same accept/reject, line, column, message) and gives the same statistics and rows.
 */
type Column = { name: string; data: unknown[]; type: 'DOUBLE' | 'STRING' | 'INT32' };

function parquet(columns: Column[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: columns as never }));
}

async function* bytesSource(bytes: Uint8Array, chunk = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
}

async function run(source: AsyncIterable<Uint8Array>, file: string) {
  const store = new MemoryObjectStore();
  try {
    const manifest = await preprocessCsv({ source, file, dataset: 'ds', store, shardRows: 2 });
    return { manifest, store, error: undefined };
  } catch (error) {
    expect(store.keys()).toEqual([]);
    return { manifest: undefined, store, error: error as DatasetError };
  }
}

/** What does not depend on the file's format or bytes. */
function content(m: DatasetManifest): unknown {
  return {
    rows: m.rows,
    columns: m.columns,
    comoments: m.comoments,
    shards: m.shards.map((s) => [s.rows, s.firstRow]),
  };
}

describe('Parquet uploads', () => {
  it('gives the same columns, statistics and rows as the same table in CSV', async () => {
    const columns: Column[] = [
      { name: 'x', data: [1.5, -2, 3, 4.25, 5], type: 'DOUBLE' },
      { name: 'colour', data: ['red', 'blue', 'red', 'green', 'red'], type: 'STRING' },
      { name: 'y', data: [0, 1, 1, 0, 1], type: 'INT32' },
    ];
    const csv = 'x,colour,y\n1.5,red,0\n-2,blue,1\n3,red,1\n4.25,green,0\n5,red,1\n';
    const pq = await run(bytesSource(parquet(columns)), 'table.parquet');
    const text = await run(csvSource(csv), 'table.csv');
    expect(pq.error).toBeUndefined();
    expect(content(pq.manifest!)).toEqual(content(text.manifest!));
    expect(pq.manifest!.columns[1]!.categories).toEqual(['red', 'blue', 'green']);
    // x = 1.5, −2, 3, 4.25, 5: mean 11.75 / 5 = 2.35
    expect(pq.manifest!.columns[0]!.stats.mean).toBeCloseTo(2.35, 12);
    const { data } = await loadRows(pq.store, pq.manifest!, 0, 5);
    expect(Array.from(data)).toEqual([1.5, 0, 0, -2, 1, 1, 3, 0, 1, 4.25, 2, 0, 5, 0, 1]);
  });

  const rejections: { name: string; columns: Column[]; csv: string }[] = [
    {
      name: 'a null (empty cell) in a numeric column',
      columns: [{ name: 'a', data: [1, null, 3], type: 'DOUBLE' }],
      csv: 'a\n1\n\n3\n',
    },
    {
      name: 'NaN',
      columns: [{ name: 'a', data: [1, 2, Number.NaN], type: 'DOUBLE' }],
      csv: 'a\n1\n2\nNaN\n',
    },
    {
      name: 'Infinity in the first row',
      columns: [{ name: 'a', data: [Number.POSITIVE_INFINITY, 2], type: 'DOUBLE' }],
      csv: 'a\nInfinity\n2\n',
    },
    {
      name: 'text in a column whose first row is a number',
      columns: [{ name: 'k', data: ['1', '2', 'x'], type: 'STRING' }],
      csv: 'k\n1\n2\nx\n',
    },
  ];
  for (const r of rejections) {
    it(`rejects ${r.name} as the CSV reader does`, async () => {
      const pq = await run(bytesSource(parquet(r.columns)), 'data.parquet');
      expect(pq.error).toBeInstanceOf(DatasetError);
      // The CSV's blank line is skipped, so compare with a CSV that spells the null as "" cell
      // where the table has more than one column; for one column, the line of the value.
      const csv = await run(csvSource(r.csv.replace('\n\n', '\n""\n')), 'data.csv');
      expect(csv.error).toBeInstanceOf(DatasetError);
      expect([pq.error!.line, pq.error!.column]).toEqual([csv.error!.line, csv.error!.column]);
      expect(pq.error!.message.replace('data.parquet', 'data.csv')).toBe(csv.error!.message);
    });
  }

  it('rejects bytes that are not Parquet with one line naming the file', async () => {
    const r = await run(csvSource('a,b\n1,2\n'), 'fake.parquet');
    expect(r.error).toBeInstanceOf(DatasetError);
    expect(r.error!.message).toMatch(/^fake\.parquet: not a valid Parquet file/);
  });
});
