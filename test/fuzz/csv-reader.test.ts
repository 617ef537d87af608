import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preprocessCsv } from '../../lib/data/index.js';
import { sniffedSource } from '../../lib/data/sniff.js';
import { MemoryObjectStore } from '../support/memory-object-store.js';
import { expectFamilyError, FUZZ_RUNS, fuzz } from './fuzz-support.js';

/** CSV-ish text: cells from numbers, spellings of NaN, quotes, delimiters, control and wide characters. */
const cell = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'inf',
    '-Infinity',
    '1e308',
    '1e999',
    '0x10',
    '"',
    '""',
    '"a,b"',
    'a"b',
    '\u0000',
    'é',
    '\uFEFF',
    ';',
    '\t',
    '\r',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const row = fc.array(cell, { minLength: 0, maxLength: 6 }).map((cells) => cells.join(','));
const csvText = fc
  .tuple(
    fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 5 }),
    fc.array(row, { maxLength: 30 }),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([header, rows, eol]) => [header.join(','), ...rows].join(eol));

const input = fc.oneof(
  { weight: 6, arbitrary: csvText.map((t) => new TextEncoder().encode(t)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((t) => new TextEncoder().encode(t)) },
);

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('Fuzz: CSV reader (sniff + preprocessCsv)', () => {
  it(`reads or refuses ${FUZZ_RUNS} generated files with one of the project's errors`, async () => {
    const report = await fuzz(
      'csv-reader',
      fc.tuple(input, fc.integer({ min: 1, max: 64 })),
      async ([bytes, size]) => {
        const store = new MemoryObjectStore();
        try {
          const source = await sniffedSource(chunks(bytes, size), 'fuzz.csv');
          const manifest = await preprocessCsv({ source, file: 'fuzz.csv', dataset: 'fuzz', store });
          // Accepted: every stored statistic is finite and the row count is positive.
          expect(manifest.rows).toBeGreaterThan(0);
          for (const c of manifest.columns) expect(Number.isFinite(c.stats.mean)).toBe(true);
        } catch (error) {
          expectFamilyError(error);
          // A refused file leaves nothing stored.
          expect([...store.objects.keys()].filter((k) => !k.includes('_staging'))).toEqual([]);
        }
      },
    );
    expect(report.failures).toBe(0);
  }, 3_600_000);
});
