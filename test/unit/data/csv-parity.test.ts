import { describe, expect, it } from 'vitest';
import {
  type CsvParserChoice,
  type DatasetManifest,
  loadRows,
  preprocessCsv,
} from '../../../lib/data/index.js';
import { DatasetError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * The shared table of issue 9: the fast scanner must accept and reject exactly what the csv-parse
 * reader (the reference) does, with the same line and column, and give the same shards and
 * statistics. Each case runs with several chunk sizes so records are cut at every position.
 */
interface Case {
  readonly name: string;
  readonly csv: string;
  /** Accepted cases: the decoded rows, worked out by hand. */
  readonly rows?: readonly (readonly number[])[];
  /** Rejected cases: line and column of the error. */
  readonly line?: number;
  readonly column?: string;
}

const CASES: readonly Case[] = [
  {
    name: 'plain numbers',
    csv: 'a,b\n1,2\n3.5,-4e2\n',
    rows: [
      [1, 2],
      [3.5, -400],
    ],
  },
  {
    name: 'no final line break',
    csv: 'a,b\n1,2\n3,4',
    rows: [
      [1, 2],
      [3, 4],
    ],
  },
  {
    name: 'CRLF',
    csv: 'a,b\r\n1,2\r\n3,4\r\n',
    rows: [
      [1, 2],
      [3, 4],
    ],
  },
  {
    name: 'CR only',
    csv: 'a,b\r1,2\r3,4',
    rows: [
      [1, 2],
      [3, 4],
    ],
  },
  { name: 'BOM', csv: '\uFEFFa,b\n1,2\n', rows: [[1, 2]] },
  { name: 'quoted numbers and header', csv: '"a","b"\n"1","2.5"\n', rows: [[1, 2.5]] },
  {
    name: 'quoted labels with commas, quotes and line breaks',
    csv: 'x,c\n1,"p, q"\n2,"say ""hi"""\n3,"two\nlines"\n4,"p, q"\n',
    rows: [
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 0],
    ],
  },
  {
    name: 'spaces around numbers',
    csv: 'a,b\n 1 , 2\n3,\t4\n',
    rows: [
      [1, 2],
      [3, 4],
    ],
  },
  {
    name: 'blank lines skipped',
    csv: 'a,b\n\n1,2\n\n\n3,4\n\n',
    rows: [
      [1, 2],
      [3, 4],
    ],
  },
  {
    name: 'signs, fractions, exponents',
    csv: 'a\n+1\n-.5\n5.\n1E3\n2e-3\n-0\n',
    rows: [[1], [-0.5], [5], [1000], [0.002], [-0]],
  },
  {
    name: 'long mantissas and big exponents (no fast path)',
    csv: 'a\n0.1000000000000000055511151231257827\n123456789012345678\n1e30\n-2.5e-30\n',
    rows: [[0.1], [123456789012345680], [1e30], [-2.5e-30]],
  },
  {
    name: 'categorical labels',
    csv: 'k,v\nred,1\nblue,2\nred,3\n',
    rows: [
      [0, 1],
      [1, 2],
      [0, 3],
    ],
  },
  {
    name: 'CRLF with a quoted line break',
    csv: 'a,c\r\n1,"x\r\ny"\r\n2,z\r\n',
    rows: [
      [1, 0],
      [2, 1],
    ],
  },
  // rejections
  { name: 'empty numeric cell', csv: 'a,b\n1,2\n3,\n', line: 3, column: 'b' },
  { name: 'empty cell in the first row', csv: 'a,b\n,2\n', line: 2, column: 'a' },
  { name: 'NaN', csv: 'a,b\n1,2\n3,NaN\n', line: 3, column: 'b' },
  { name: 'Infinity', csv: 'a\n1\n-inf\n', line: 3, column: 'a' },
  { name: 'overflow to infinity', csv: 'a\n1\n1e999\n', line: 3, column: 'a' },
  { name: 'NaN in the first row', csv: 'a\nnan\n', line: 2, column: 'a' },
  { name: 'NaN-like label', csv: 'k\nred\nNaN\n', line: 3, column: 'k' },
  { name: 'text in a numeric column', csv: 'a,b\n1,2\n3,x\n', line: 3, column: 'b' },
  // Column types hold for the whole file (issues 9/11). This was accepted until then, "7" becoming
  // the label of class 1: a column decided by its first row let one word there turn a numeric
  // column into labels. A column mixing numbers and text is now refused at the first cell of the
  // other kind, in either order.
  { name: 'a number among labels', csv: 'k,v\na,1\n7,2\n', line: 3, column: 'k' },
  { name: 'text in the first row of a numeric column', csv: 'a,b\nabc,1\n2,3\n4,5\n', line: 3, column: 'a' },
  {
    name: 'a NUL byte in the first row of a numeric column',
    csv: 'a,b\n\u0000,1\n2,3\n',
    line: 3,
    column: 'a',
  },
  {
    name: 'a NUL byte further down a numeric column',
    csv: 'a,b\n1,2\n3,4\n\u0000,5\n',
    line: 4,
    column: 'a',
  },
  { name: 'hexadecimal', csv: 'a\n1\n0x1f\n', line: 3, column: 'a' },
  { name: 'fewer cells than the header', csv: 'a,b,c\n1,2,3\n4,5\n', line: 3 },
  { name: 'more cells than the header', csv: 'a,b\n1,2\n3,4,5\n', line: 3 },
  { name: 'ragged row after a quoted line break', csv: 'a,b\n"1\n2",3\n4\n', line: 4 },
  { name: 'a line of spaces', csv: 'a,b\n1,2\n  \n3,4\n', line: 3 },
  { name: 'duplicate header', csv: 'a,a\n1,2\n', line: 1, column: 'a' },
  { name: 'empty header name', csv: 'a,\n1,2\n', line: 1 },
  { name: 'header only', csv: 'a,b\n', line: 1 },
  { name: 'empty file', csv: '' },
  { name: 'only blank lines', csv: '\n\n\n' },
  { name: 'unclosed quote', csv: 'a,b\n1,2\n3,"4\n', line: 3 },
  { name: 'text after a closing quote', csv: 'a,b\n"1"x,2\n', line: 2 },
  { name: 'quote inside an unquoted field', csv: 'a,b\n1,x"y\n', line: 2 },
];

async function outcome(csv: string, parser: CsvParserChoice, chunk: number) {
  const store = new MemoryObjectStore();
  try {
    const manifest = await preprocessCsv({
      source: csvSource(csv, chunk),
      file: 'data.csv',
      dataset: 'ds',
      store,
      shardRows: 2,
      parser,
    });
    return { manifest, store, error: undefined };
  } catch (error) {
    // A rejected file leaves nothing behind, whichever reader rejected it.
    expect(store.keys()).toEqual([]);
    return { manifest: undefined, store, error };
  }
}

/** The manifest without what differs between runs (time, staging keys). */
function comparable(m: DatasetManifest): unknown {
  return { ...m, createdAt: undefined, shards: m.shards.map((s) => ({ ...s, key: undefined })) };
}

async function allRows(store: MemoryObjectStore, manifest: DatasetManifest): Promise<number[][]> {
  const { data, cols } = await loadRows(store, manifest, 0, manifest.rows);
  return Array.from({ length: manifest.rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
}

describe('CSV readers: the scanner and csv-parse accept and reject the same files', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const reference = await outcome(c.csv, 'csv-parse', 1 << 20);
      for (const chunk of [1, 2, 3, 7, 1 << 20]) {
        const fast = await outcome(c.csv, 'scanner', chunk);
        if (c.rows !== undefined) {
          expect(reference.error).toBeUndefined();
          expect(fast.error).toBeUndefined();
          expect(comparable(fast.manifest!)).toEqual(comparable(reference.manifest!));
          const expected = c.rows.map((r) => r.map((v) => Math.fround(v)));
          expect(await allRows(fast.store, fast.manifest!)).toEqual(expected);
          expect(await allRows(reference.store, reference.manifest!)).toEqual(expected);
        } else {
          // Both reject; the scanner with a DatasetError at the reference's line and column.
          expect(reference.error).toBeDefined();
          expect(fast.error).toBeInstanceOf(DatasetError);
          const e = fast.error as DatasetError;
          expect([e.line, e.column]).toEqual([c.line, c.column]);
          if (reference.error instanceof DatasetError) {
            expect([reference.error.line, reference.error.column]).toEqual([c.line, c.column]);
            if (!reference.error.message.includes('not valid CSV'))
              expect(e.message).toBe(reference.error.message);
          }
        }
      }
    });
  }
});
