import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CsvBlockScanner } from '../../../lib/data/csv/block-scanner.js';
import { RowDecoder } from '../../../lib/data/csv/row-decoder.js';
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

/** Rows, block sizes and header of `bytes` read straight by a scanner, fed in chunks of `sizes` (cycled). */
function scanDirect(
  bytes: Buffer,
  sizes: readonly number[],
  options: { shardRows?: number; plain?: boolean } = {},
): { names: string[] | undefined; rows: number[][]; blocks: number[]; headerLine: number } {
  const scanner = new CsvBlockScanner('data.csv', options.shardRows ?? 4);
  const rows: number[][] = [];
  const blocks: number[] = [];
  const take = (): void => {
    const block = scanner.fullBlock();
    const cols = scanner.names!.length;
    blocks.push(block.length / cols);
    for (let r = 0; r * cols < block.length; r++)
      rows.push(Array.from(block.subarray(r * cols, (r + 1) * cols)));
  };
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const part = bytes.subarray(i, i + sizes[k % sizes.length]!);
    i += part.length;
    scanner.feed(options.plain ? new Uint8Array(part.buffer, part.byteOffset, part.byteLength) : part);
    while (scanner.scan(false)) {
      take();
      scanner.nextBlock();
    }
  }
  while (scanner.scan(true)) {
    take();
    scanner.nextBlock();
  }
  if (scanner.filled > 0) take();
  return { names: scanner.names, rows, blocks, headerLine: scanner.headerLine };
}

function directRefusal(text: string, sizes: readonly number[]): DatasetError {
  try {
    scanDirect(Buffer.from(text, 'utf8'), sizes);
  } catch (error) {
    if (error instanceof DatasetError) return error;
    throw error;
  }
  throw new Error('accepted');
}

/** Largest finite float32, (2 − 2⁻²³)·2¹²⁷: a larger cell is refused. */
const F32_MAX = (2 - 2 ** -23) * 2 ** 127;

const digitString = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** A decimal cell as written: sign, digits, fraction, exponent (up to 7 exponent digits), in range. */
const numberText = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    digitString(0, 19),
    fc.option(digitString(0, 6), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), digitString(1, 7)), {
      nil: undefined,
    }),
  )
  .map(
    ([sign, int, frac, exp]) =>
      `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : exp.join('')}`,
  )
  .filter((t) => /[0-9]/.test(t.split(/[eE]/)[0]!) && Math.abs(Number(t)) <= F32_MAX);

/** How a number is written in the file: bare (fast path), padded or quoted (reference path). */
const numberCell = fc
  .tuple(numberText, fc.constantFrom('bare', 'bare', 'bare', 'spaced', 'quoted'))
  .map(([text, how]) => ({
    text: how === 'bare' ? text : how === 'spaced' ? ` ${text}\t` : `"${text}"`,
    value: Math.fround(Number(text)),
  }));

/** A label as written and as read (trimmed, unquoted). */
const LABELS: readonly (readonly [string, string])[] = [
  ['red', 'red'],
  ['green', 'green'],
  [' red ', 'red'],
  ['blue', 'blue'],
  ['"p, q"', 'p, q'],
  ['"say ""hi"""', 'say "hi"'],
  ['"two\nlines"', 'two\nlines'],
  ['été', 'été'],
  ['"x"', 'x'],
  ['"r"",\ns"', 'r",\ns'],
  ['""""', '"'],
];
const labelCell = fc.constantFrom(...LABELS).map(([text, label]) => ({ text, label }));

const table = fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }).chain((numericCols) =>
  fc.record({
    numericCols: fc.constant(numericCols),
    rows: fc.array(fc.tuple(...numericCols.map((numeric) => (numeric ? numberCell : labelCell))), {
      minLength: 1,
      maxLength: 150,
    }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    blankAfter: fc.option(fc.integer({ min: 0, max: 149 }), { nil: undefined }),
    finalEol: fc.boolean(),
    bom: fc.boolean(),
    quotedHeader: fc.boolean(),
    sizes: fc.array(
      fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 4090, max: 5000 }), fc.constant(1 << 20)),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
    shardRows: fc.integer({ min: 1, max: 40 }),
    plain: fc.boolean(),
  }),
);

describe('CsvBlockScanner: generated files read cell by cell as Number and first appearance say', () => {
  it('values, class indexes, blocks and header, whatever the chunks, line endings and quoting', () => {
    fc.assert(
      fc.property(table, (t) => {
        const names = t.numericCols.map((_, c) => `c${c}`);
        const lines = t.rows.map((r) => r.map((cell) => cell.text).join(','));
        if (t.blankAfter !== undefined && t.blankAfter < lines.length) lines.splice(t.blankAfter + 1, 0, '');
        // A BOM before a quoted header is what spreadsheets write: the quote must open the field.
        const header = t.quotedHeader ? names.map((n) => `"${n}"`) : names;
        const text = `${t.bom ? '\uFEFF' : ''}${header.join(',')}${t.eol}${lines.join(t.eol)}${t.finalEol ? t.eol : ''}`;
        // Expected: each number as Number reads its text, each label its index by first appearance.
        const seen = names.map(() => new Map<string, number>());
        const expected = t.rows.map((r) =>
          r.map((cell, c) => {
            if ('value' in cell) return cell.value;
            const index = seen[c]!;
            if (!index.has(cell.label)) index.set(cell.label, index.size);
            return index.get(cell.label)!;
          }),
        );
        const out = scanDirect(Buffer.from(text, 'utf8'), t.sizes, {
          shardRows: t.shardRows,
          plain: t.plain,
        });
        expect(out.names).toEqual(names);
        expect(out.headerLine).toBe(1);
        expect(out.rows).toEqual(expected);
        const full = Math.floor(expected.length / t.shardRows);
        const rest = expected.length - full * t.shardRows;
        expect(out.blocks).toEqual([...Array(full).fill(t.shardRows), ...(rest > 0 ? [rest] : [])]);
      }),
      { numRuns: 150, seed: 11 },
    );
  });
});

/** Kinds of bad record: the cell written into the first (numeric) column, or a change of shape. */
const BAD = {
  empty: { cell: '', column: true, says: 'empty cell; every cell needs a value' },
  text: { cell: 'x7', column: true, says: '"x7" is not a number, but line {first} of this column is' },
  overflow: { cell: '-1e39', column: true, says: '-1e39 is out of range' },
  spacedOverflow: { cell: ' 4e38 ', column: true, says: '4e38 is out of range' },
  closingQuote: {
    cell: '"1"x',
    column: false,
    says: 'Invalid Closing Quote: got "x" instead of a delimiter',
  },
  openingQuote: {
    cell: '1"',
    column: false,
    says: 'Invalid Opening Quote: a quote is found on field 0 after "1"',
  },
  unclosedQuote: { cell: '"4', column: false, says: 'Quote Not Closed' },
  fewerCells: { cell: undefined, column: false, says: 'cells but the header has' },
  moreCells: { cell: undefined, column: false, says: 'cells but the header has' },
} as const;

describe('CsvBlockScanner: a bad record in a generated file is refused at its hand-counted line', () => {
  it('line (and column for a bad cell), whatever the chunks and line endings', () => {
    const errorTable = fc.record({
      cols: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }).map((rest) => [true, ...rest]),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      bad: fc.constantFrom(...(Object.keys(BAD) as (keyof typeof BAD)[])),
      at: fc.integer({ min: 1, max: 120 }),
      blankAfter: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
      sizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 4090, max: 5000 })), {
        minLength: 1,
        maxLength: 3,
      }),
    });
    fc.assert(
      fc.property(
        errorTable.chain((t) =>
          fc.record({
            t: fc.constant(t),
            rows: fc.array(fc.tuple(...t.cols.map((numeric) => (numeric ? numberCell : labelCell))), {
              minLength: t.at + 1,
              maxLength: t.at + 20,
            }),
          }),
        ),
        ({ t, rows }) => {
          const names = t.cols.map((_, c) => `c${c}`);
          const texts = rows.map((r) => r.map((cell) => cell.text));
          const bad = BAD[t.bad];
          // An unclosed quote runs to the end of the file: it is the last record, one cell.
          const badRow = t.bad === 'unclosedQuote' ? [] : [...texts[t.at]!];
          if (bad.cell !== undefined) badRow[0] = bad.cell;
          else if (t.bad === 'fewerCells') badRow.pop();
          else badRow.push('5');
          const records = [
            ...texts.slice(0, t.at),
            badRow,
            ...(t.bad === 'unclosedQuote' ? [] : texts.slice(t.at + 1)),
          ];
          const lines = records.map((r) => r.join(','));
          const blank = t.blankAfter !== undefined && t.blankAfter < t.at;
          if (blank) lines.splice(t.blankAfter! + 1, 0, '');
          const text = `${names.join(',')}${t.eol}${lines.join(t.eol)}${t.eol}`;
          // Hand count: the header's line, one per record before (plus the line breaks inside its
          // quoted labels), the blank line; a refused cell names the line its record ends on, a
          // quote error (in the first cell) the line the record starts on.
          const breaksIn = (r: readonly string[]) => r.join(',').split('\n').length - 1;
          const start =
            1 + texts.slice(0, t.at).reduce((n, r) => n + 1 + breaksIn(r), 0) + (blank ? 1 : 0) + 1;
          const expectedLine = bad.column || t.bad.endsWith('Cells') ? start + breaksIn(badRow) : start;
          const e = directRefusal(text, t.sizes);
          expect([e.line, e.column]).toEqual([expectedLine, bad.column ? 'c0' : undefined]);
          // {first}: the line the first data row ends on, which decided the column numeric.
          expect(e.message).toContain(bad.says.replace('{first}', String(2 + breaksIn(texts[0]!))));
        },
      ),
      { numRuns: 150, seed: 11 },
    );
  });
});

describe('CsvBlockScanner: the calling contract', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('hands out a block as soon as it is full, before the input ends (%s, quoted cells)', (_name, eol) => {
    const scanner = new CsvBlockScanner('data.csv', 2);
    scanner.feed(Buffer.from(['"a"', '1', '"2"', '3', '"4"', '5', ''].join(eol)));
    expect(scanner.scan(false)).toBe(true);
    expect(Array.from(scanner.fullBlock())).toEqual([1, 2]);
    scanner.nextBlock();
    expect(scanner.scan(false)).toBe(true);
    expect(Array.from(scanner.fullBlock())).toEqual([3, 4]);
    scanner.nextBlock();
    // 5 is read, the block is not full: more input is needed.
    expect(scanner.scan(false)).toBe(false);
    expect(scanner.filled).toBe(1);
    expect(scanner.scan(true)).toBe(false);
    expect(Array.from(scanner.fullBlock())).toEqual([5]);
  });

  it('reads a mantissa of more than 15 digits as Number does, not as digits summed in a double', () => {
    // Past 2^53 the running sum mantissa·10 + digit rounds at each step; these 17-digit cells lie
    // near a float32 rounding midpoint, where that drift lands on the other float32 neighbour.
    const cells = ['18014399583223811', '18014401730707455', '18014416763092993', '-18014421058060291'];
    const out = scanDirect(Buffer.from(`a\n1\n${cells.join('\n')}\n2\n`), [1 << 20]);
    expect(out.rows).toEqual([[1], ...cells.map((c) => [Math.fround(Number(c))]), [2]]);
  });

  it('drops a BOM cut across chunks, before a quoted header (as spreadsheets write it)', () => {
    const bytes = Buffer.from('\uFEFF"a","b"\n1,2\n', 'utf8');
    for (const size of [1, 2, 3]) {
      const out = scanDirect(bytes, [size]);
      expect([out.names, out.rows]).toEqual([['a', 'b'], [[1, 2]]]);
    }
  });

  it('says the block is full when the input ends exactly with it', () => {
    const scanner = new CsvBlockScanner('data.csv', 2);
    scanner.feed(Buffer.from('a\n1\n2\n'));
    expect(scanner.scan(false)).toBe(true);
    expect(Array.from(scanner.fullBlock())).toEqual([1, 2]);
  });
});

describe('CsvBlockScanner: plain records take the fast path', () => {
  // The fast path gives the same values as the reference path, so only the work it saves tells
  // them apart: a record it hands over is decoded by RowDecoder.decode, one it reads is not. A
  // change that sent plain records down the reference path would keep every value and lose the
  // speed (bench/data.ts), so the count of decode calls is the guard, worked out by hand below.
  const rows = [
    ['1', '2', '3', 'red'], // first data row: decides the column types (reference path)
    ['-1.5', '+2', '3e2', 'red'],
    ['1E-2', '.5', '5.', 'red'],
    ['1e22', '1e-22', '123456789012345', 'red'], // |exponent| 22 and 15 digits: the fast path's limits
    ['4', '5', '6', 'green'], // a new label: the reference path validates and adds it
    ['12345678901234.5e8', '+1e+1', '-0', ' red '], // a known label with spaces around it
    ['0.25', '7E+3', '-2e-3', 'green'],
    ['2e-30', '3e25', '12345678901234567', 'green'],
    ['340282346638528859811704183484516925440', '-1', '1', 'green'], // the largest float32, (2 − 2⁻²³)·2¹²⁷ // past those limits: Number reads the cell's text
    ['9', '8', '7', 'green'],
  ];
  const expected = rows.map((r) => [
    ...r.slice(0, 3).map((c) => Math.fround(Number(c))),
    r[3]!.trim() === 'red' ? 0 : 1,
  ]);

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('%s: only the first data row and the row with a new label are decoded by RowDecoder', (_name, eol) => {
    const text = `a,b,c,k${eol}${rows.map((r) => r.join(',')).join(eol)}${eol}`;
    const decode = vi.spyOn(RowDecoder.prototype, 'decode');
    try {
      const out = scanDirect(Buffer.from(text), [1 << 20], { shardRows: 64 });
      expect(out.rows).toEqual(expected);
      expect(decode).toHaveBeenCalledTimes(2);
    } finally {
      decode.mockRestore();
    }
  });
});

describe('CsvBlockScanner: what the record delimiter is not', () => {
  it.each([
    ['a lone CR in a CRLF file', 'a,k\r\n1,x\r\n2,x\ry\r\n3,x\r\n', 'x\ry'],
    ['a lone CR in an LF file', 'a,k\n1,x\n2,x\ry\n3,x\n', 'x\ry'],
    ['a lone LF in a CR file', 'a,k\r1,x\r2,x\ny\r3,x\r', 'x\ny'],
  ])('%s is data, as in csv-parse', (_name, text, label) => {
    for (const size of [1 << 20, 5]) {
      const out = scanDirect(Buffer.from(text), [size]);
      // Labels by first appearance: x is 0, the one holding the other break byte is 1.
      expect(out.rows).toEqual([
        [1, 0],
        [2, 1],
        [3, 0],
      ]);
      expect(label.length).toBe(3);
    }
  });

  it('reads a record longer than the join that runs into a last chunk longer than the join', () => {
    const long = 'z'.repeat(6000);
    const after = Array.from({ length: 600 }, (_, i) => `${i + 3},short`);
    const text = `a,k\n1,short\n2,"${long}"\n${after.join('\n')}\n`;
    // Cut early in the long label: what is left of it (5900 bytes) is longer than the 4 KiB joined
    // behind it, and so is the last chunk (5900 + 600 rows of about 10 bytes).
    const cut = text.indexOf('z') + 100;
    const out = scanDirect(Buffer.from(text), [cut, 1 << 20]);
    expect(out.rows).toEqual([[1, 0], [2, 1], ...after.map((_, i) => [i + 3, 0])]);
  });

  it('counts a lone CR or LF inside a record as a line, as csv-parse does', () => {
    // Lines: 1 header, 2 "1,x", 3 "y" after the lone break byte, 4 the empty cell.
    for (const text of ['a,k\n1,x\ry\n,z\n', 'a,k\r1,x\ny\r,z\r', 'a,k\r\n1,x\ry\r\n,z\r\n']) {
      const e = directRefusal(text, [1 << 20]);
      expect([e.line, e.column]).toEqual([4, 'a']);
    }
  });

  it('counts a quoted CRLF in a CRLF file as one line', () => {
    // Lines: 1 header, 2–3 the record with the quoted CRLF, 4 the next, 5 the empty cell.
    const e = directRefusal('a,k\r\n1,"u\r\nv"\r\n2,x\r\n,y\r\n', [1 << 20]);
    expect([e.line, e.column]).toEqual([5, 'a']);
  });

  it('names the line of a quote error that follows a quoted line break in the same record', () => {
    // The record starts on line 2; its quoted label breaks onto line 3, where the bad quote is.
    expect(directRefusal('a,k\n1,"u\nv"x\n', [1 << 20]).line).toBe(3);
    expect(directRefusal('a,k\n1,"u\nv",x"y\n', [1 << 20]).line).toBe(3);
  });

  it('keeps a header whose first bytes look like a BOM but are not one', () => {
    // EF BB AF (U+FEEF), 61 C2 BF ("a¿"), EF BC 84 (U+FF04), EF BC BF (U+FF3F): each shares bytes with EF BB BF.
    for (const first of ['\uFEEFa', 'a\u00BF', '\uFF04', '\uFF3F']) {
      const out = scanDirect(Buffer.from(`${first},z\n1,2\n`), [1 << 20]);
      expect([out.names, out.rows]).toEqual([[first, 'z'], [[1, 2]]]);
    }
  });

  it('names the quoting problem in the message', () => {
    expect(directRefusal('a,b\n1,2\n3,"4\n', [1 << 20]).message).toBe(
      'data.csv line 3: not valid CSV: Quote Not Closed: the parsing is finished with an opening quote',
    );
    expect(directRefusal('a,b\n1,2\n"1"x,2\n', [1 << 20]).message).toBe(
      'data.csv line 3: not valid CSV: Invalid Closing Quote: got "x" instead of a delimiter after a closing quote',
    );
    expect(directRefusal('a,b\n1,2\n1,x"y\n', [1 << 20]).message).toBe(
      'data.csv line 3: not valid CSV: Invalid Opening Quote: a quote is found on field 1 after "x"',
    );
  });
});
