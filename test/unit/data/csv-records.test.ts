import { describe, expect, it } from 'vitest';
import { type CsvRecord, readCsvRecords } from '../../../lib/data/csv/csv-records.js';
import { DatasetError } from '../../../lib/errors.js';

const encoder = new TextEncoder();

/** The bytes of `text`, in chunks of `size` bytes (records and quotes cut across chunks). */
async function* chunks(text: string | Uint8Array, size = 3): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function all(source: AsyncIterable<Uint8Array>): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsvRecords(source, 'f.csv')) out.push(r);
  return out;
}

describe('Function: readCsvRecords', () => {
  it('tags each record with the line it ends on, skipping blank lines and a BOM', async () => {
    const text = '\uFEFFx,y\n1,2\n\n3,"a\nb"\n4,5\n';
    // Lines: 1 header, 2 "1,2", 3 blank, 4-5 the quoted field spanning two lines, 6 "4,5".
    expect(await all(chunks(text))).toEqual([
      { line: 1, cells: ['x', 'y'] },
      { line: 2, cells: ['1', '2'] },
      { line: 5, cells: ['3', 'a\nb'] },
      { line: 6, cells: ['4', '5'] },
    ]);
  });

  it('passes ragged rows through for the caller to name', async () => {
    expect((await all(chunks('a,b\n1\n1,2,3\n'))).map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['1'],
      ['1', '2', '3'],
    ]);
  });

  it('turns malformed quoting into a DatasetError naming the file and line', async () => {
    const error = await all(chunks('x,y\n1,2\n3,a"b"c\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe('f.csv');
    expect((error as DatasetError).line).toBe(3);
    expect((error as DatasetError).message).toMatch(/^f\.csv line 3: not valid CSV: /);
    expect((error as Error).cause).toBeDefined();
  });

  it('passes a failure of the byte source through unchanged', async () => {
    const boom = new Error('disk gone');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('x,y\n1,2\n');
      throw boom;
    }
    const seen: CsvRecord[] = [];
    const error = await (async () => {
      for await (const r of readCsvRecords(failing(), 'f.csv')) seen.push(r);
    })().catch((e: unknown) => e);
    expect(error).toBe(boom);
  });

  it('passes a DatasetError of the source through unchanged', async () => {
    const refused = new DatasetError({ file: 'f.csv' }, 'binary file');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('x,y\n');
      throw refused;
    }
    await expect(all(failing())).rejects.toBe(refused);
  });
  it('releases the byte source when the reader stops early', async () => {
    let released = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        yield encoder.encode('x,y\n');
        for (let i = 0; ; i++) yield encoder.encode(`${i},${i}\n`);
      } finally {
        released = true;
      }
    }
    for await (const r of readCsvRecords(endless(), 'f.csv')) if (r.line === 3) break;
    // The source's own cleanup runs once the stream is destroyed (a few turns of the event loop).
    for (let turn = 0; turn < 100 && !released; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(true);
  });
});
