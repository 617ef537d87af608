import { describe, expect, it } from 'vitest';
import { loadRows, preprocessCsv } from '../../../lib/data/index.js';
import { DatasetError } from '../../../lib/errors.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * The scanner's fast path and chunk joining on files long enough to use them: csv-parity.test.ts
 * covers what each record means on small files, where every chunk is smaller than the 4 KiB join
 * and most records go down the reference path (the first data row, the last record of a buffer).
 * Here the expected values are `Math.fround(Number(cell))` of the cell text as written by the
 * test (the scanner promises the value `Number` gives), or the class index of a label in order
 * of first appearance.
 */

/** The bytes of `text` in chunks of `size`, as Buffers (what a Node stream yields) or plain Uint8Arrays. */
async function* chunks(text: string, size: number, buffers: boolean): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) {
    const part = bytes.subarray(i, i + size);
    yield buffers ? part : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  }
}

async function scan(text: string, size: number, options: { buffers?: boolean; shardRows?: number } = {}) {
  const store = new MemoryObjectStore();
  const manifest = await preprocessCsv({
    source: chunks(text, size, options.buffers ?? true),
    file: 'data.csv',
    dataset: 'ds',
    store,
    shardRows: options.shardRows ?? 64,
    parser: 'scanner',
  });
  const { data, cols } = await loadRows(store, manifest, 0, manifest.rows);
  const rows = Array.from({ length: manifest.rows }, (_, r) =>
    Array.from(data.subarray(r * cols, (r + 1) * cols)),
  );
  return { manifest, rows };
}

async function refusal(text: string, size: number): Promise<DatasetError> {
  try {
    await scan(text, size);
  } catch (error) {
    if (error instanceof DatasetError) return error;
    throw error;
  }
  throw new Error('accepted');
}

/** Numbers in every form the fast path reads, and some it hands over (16+ digits, |e| > 22, 6 exponent digits). */
const NUMBER_FORMS = (i: number): string[] => [
  `${i}`,
  `-${i}.25`,
  `+${i}.5`,
  `${i}e2`,
  `${i}E-2`,
  `${i}e+1`,
  `0.${String(i).padStart(3, '0')}`,
  `1234567890123.${i % 10}`,
  `12345678901234567${i % 10}`,
  `${i + 1}e23`,
  `${i + 1}e-23`,
  `1e00000${i % 10}`,
  `${i}.`,
];

const fround = (cells: readonly string[]) => cells.map((c) => Math.fround(Number(c)));

describe('CsvBlockScanner: long files through the fast path', () => {
  const rows = 300;
  const header = NUMBER_FORMS(0).map((_, j) => `c${j}`);
  const lines = Array.from({ length: rows }, (_, i) => NUMBER_FORMS(i));
  const csv = `${header.join(',')}\n${lines.map((l) => l.join(',')).join('\n')}\n`;

  it.each([
    ['whole file, Buffers', 1 << 20, true],
    ['5000-byte Buffers (records cut behind a 4 KiB join)', 5000, true],
    ['4097-byte Uint8Arrays', 4097, false],
    ['61-byte chunks', 61, true],
  ] as const)('reads every number form as Number does: %s', async (_name, size, buffers) => {
    const out = await scan(csv, size, { buffers });
    expect(out.manifest.rows).toBe(rows);
    expect(out.rows).toEqual(lines.map(fround));
  });

  it('fills blocks of shardRows rows, the last one shorter, in order', async () => {
    // 300 rows in blocks of 7: 42 full blocks and one of 6.
    const out = await scan(csv, 5000, { shardRows: 7 });
    expect(out.manifest.shards.map((s) => s.rows)).toEqual([...Array(42).fill(7), 6]);
    expect(out.rows).toEqual(lines.map(fround));
  });
});

describe('CsvBlockScanner: line endings and labels in the fast path', () => {
  const body = Array.from({ length: 200 }, (_, i) => [
    `${i * 3}`,
    ['red', 'green', 'blue'][i % 3]!,
    `${i / 8}`,
  ]);
  const expected = body.map(([a, k, b]) => [Number(a), ['red', 'green', 'blue'].indexOf(k!), Number(b)]);

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('%s: same rows whatever the chunk size', async (_name, eol) => {
    const csv = `a,k,b${eol}${body.map((r) => r.join(',')).join(eol)}${eol}`;
    for (const size of [4096, 4099, 1 << 20, 13]) {
      const out = await scan(csv, size);
      expect(out.rows).toEqual(expected);
    }
  });

  it('reads labels with spaces around them, and a new label after the first rows', async () => {
    const csv = `a,k\n1,x\n2, x \n3,y\n4,x\n5, y\n`;
    const out = await scan(csv, 1 << 20);
    expect(out.rows).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 0],
      [5, 1],
    ]);
  });

  it('takes a record longer than the join (a 6000-character quoted label) cut across chunks', async () => {
    const long = `${'z'.repeat(3000)},${'w'.repeat(2999)}`;
    const rowsIn = Array.from({ length: 40 }, (_, i) => [`${i}`, i % 5 === 4 ? `"${long}"` : 'short']);
    const csv = `a,k\n${rowsIn.map((r) => r.join(',')).join('\n')}\n`;
    for (const size of [4096, 5000, 9000]) {
      const out = await scan(csv, size);
      expect(out.manifest.columns.find((c) => c.name === 'k')!.categories).toEqual(['short', long]);
      expect(out.rows).toEqual(rowsIn.map(([a, k]) => [Number(a), k === 'short' ? 0 : 1]));
    }
  });
});

describe('CsvBlockScanner: refusals from the fast path name the line and column', () => {
  const good = Array.from({ length: 50 }, (_, i) => `${i},${i * 2}`);

  it.each([
    ['a float32 overflow that is a finite double', '1e39'],
    ['a negative one', '-3.5e38'],
    ['a 22-digit number above float32', '9999999999999999999999999999999999999999'],
  ])('%s', async (_name, cell) => {
    const csv = `a,b\n${[...good.slice(0, 30), `7,${cell}`, ...good.slice(30)].join('\n')}\n`;
    for (const size of [1 << 20, 4096]) {
      const e = await refusal(csv, size);
      // Header line 1, 30 good rows on lines 2–31: the bad one is line 32.
      expect([e.line, e.column]).toEqual([32, 'b']);
    }
  });

  it('an empty cell, a missing cell and text, each on its own line', async () => {
    for (const [row, column] of [
      ['7,', 'b'],
      ['x7,1', 'a'],
      ['7,1e', 'b'],
      ['7,--1', 'b'],
    ] as const) {
      const csv = `a,b\n${[...good.slice(0, 10), row, ...good.slice(10)].join('\n')}\n`;
      const e = await refusal(csv, 1 << 20);
      expect([e.line, e.column]).toEqual([12, column]);
    }
    const ragged = `a,b\n${[...good.slice(0, 10), '7', ...good.slice(10)].join('\n')}\n`;
    expect((await refusal(ragged, 1 << 20)).line).toBe(12);
    const extra = `a,b\n${[...good.slice(0, 10), '7,8,9', ...good.slice(10)].join('\n')}\n`;
    expect((await refusal(extra, 1 << 20)).line).toBe(12);
  });
});
