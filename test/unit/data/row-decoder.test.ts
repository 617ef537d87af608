import { describe, expect, it } from 'vitest';
import { FLOAT32_MAX, MAX_CATEGORIES, RowDecoder } from '../../../lib/data/csv/row-decoder.js';
import { DatasetError } from '../../../lib/errors.js';

/** The DatasetError that `fn` throws (or fails the test). */
function failure(fn: () => void): DatasetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('Class: RowDecoder', () => {
  it('has no column types before the first row, then types from that row', () => {
    const d = new RowDecoder(['x', 'c'], 'f.csv');
    expect(d.typesKnown).toBe(false);
    expect(() => d.columnTypes).toThrow('RowDecoder: no data row decoded yet');
    const out = new Float32Array(4);
    d.decode([' 1.5 ', 'red'], 2, out, 0);
    d.decode(['-2', ' blue '], 3, out, 2);
    expect(d.typesKnown).toBe(true);
    expect(d.columnTypes).toEqual(['numeric', 'categorical']);
    expect([...out]).toEqual([1.5, 0, -2, 1]);
    expect(d.categories(1)).toEqual(['red', 'blue']);
    expect(d.categories(0)).toEqual([]);
    expect(d.knownClass(1, 'blue')).toBe(1);
    expect(d.knownClass(1, 'green')).toBeUndefined();
    expect(d.knownClass(0, 'red')).toBeUndefined();
  });

  it('refuses a row whose width differs from the header, naming both', () => {
    const d = new RowDecoder(['a', 'b'], 'f.csv');
    const e = failure(() => d.decode(['1', '2', '3'], 4, new Float32Array(3), 0));
    expect(e.message).toBe('f.csv line 4: row has 3 cells but the header has 2 columns');
    expect(failure(() => d.decode(['1'], 5, new Float32Array(2), 0)).line).toBe(5);
  });

  it('refuses empty and NaN/Infinity cells in the first row, naming the column', () => {
    expect(
      failure(() => new RowDecoder(['a', 'b'], 'f.csv').decode(['1', ' '], 2, new Float32Array(2), 0))
        .message,
    ).toBe('f.csv line 2, column "b": empty cell; every cell needs a value');
    expect(
      failure(() => new RowDecoder(['a'], 'f.csv').decode(['NaN'], 2, new Float32Array(1), 0)).message,
    ).toBe('f.csv line 2, column "a": "NaN" is not a finite number (NaN/Infinity are not allowed)');
  });

  it('refuses a number in a categorical column, quoting the (trimmed) label that decided its type', () => {
    const d = new RowDecoder(['k'], 'f.csv');
    const out = new Float32Array(1);
    d.decode(['  red  '], 4, out, 0);
    expect(failure(() => d.decode([' 7 '], 6, out, 0)).message).toBe(
      'f.csv line 6, column "k": "7" is a number, but line 4 of this column is text ("red"): a column holds numbers or labels, not both',
    );
  });

  it('refuses a later non-number in a numeric column, naming the row that decided its type', () => {
    const d = new RowDecoder(['a'], 'f.csv');
    const out = new Float32Array(1);
    d.decode(['1'], 7, out, 0);
    expect(failure(() => d.decode(['abc'], 9, out, 0)).message).toBe(
      // The wording names the row that decided the column numeric (types hold for the whole file).
      'f.csv line 9, column "a": "abc" is not a number, but line 7 of this column is: a column holds numbers or labels, not both',
    );
    expect(failure(() => d.decode([''], 10, out, 0)).message).toBe(
      'f.csv line 10, column "a": empty cell; every cell needs a value',
    );
    expect(failure(() => d.decode(['-inf'], 11, out, 0)).message).toBe(
      'f.csv line 11, column "a": "-inf" is not a finite number (NaN/Infinity are not allowed)',
    );
  });

  it('stores values up to float32 max and refuses larger ones', () => {
    const d = new RowDecoder(['a'], 'f.csv');
    const out = new Float32Array(1);
    d.decode(['3.4e38'], 2, out, 0);
    expect(out[0]).toBe(Math.fround(3.4e38));
    d.decode([String(-FLOAT32_MAX)], 3, out, 0);
    expect(out[0]).toBe(-FLOAT32_MAX);
    expect(failure(() => d.decode(['3.5e38'], 4, out, 0)).message).toBe(
      'f.csv line 4, column "a": 3.5e38 is out of range: values are stored as float32 (at most ±3.4e38)',
    );
    expect(failure(() => d.decode(['-1e300'], 5, out, 0)).message).toMatch(
      /^f\.csv line 5, column "a": -1e300 is out of range/,
    );
  });

  it('quotes at most the first 40 characters of a long out-of-range cell, trimmed', () => {
    const d = new RowDecoder(['a'], 'f.csv');
    const out = new Float32Array(1);
    const digits = `1${'0'.repeat(59)}`; // 1e59: finite, above float32's 3.4e38
    expect(failure(() => d.decode([`  ${digits}`], 2, out, 0)).message).toBe(
      `f.csv line 2, column "a": ${digits.slice(0, 40)} is out of range: values are stored as float32 (at most ±3.4e38)`,
    );
  });

  it('refuses empty and missing-value labels in a categorical column', () => {
    const d = new RowDecoder(['c'], 'f.csv');
    const out = new Float32Array(1);
    d.decode(['red'], 2, out, 0);
    expect(failure(() => d.decode(['  '], 3, out, 0)).message).toBe(
      'f.csv line 3, column "c": empty cell; every cell needs a value',
    );
    expect(failure(() => d.decode(['nan'], 4, out, 0)).message).toBe(
      'f.csv line 4, column "c": "nan" looks like a missing value (NaN/Infinity are not allowed)',
    );
  });

  it(`accepts ${MAX_CATEGORIES} distinct labels and refuses one more, while known labels still decode`, () => {
    const d = new RowDecoder(['c'], 'f.csv');
    const out = new Float32Array(1);
    for (let i = 0; i < MAX_CATEGORIES; i++) {
      d.decode([`L${i}`], i + 2, out, 0);
      expect(out[0]).toBe(i);
    }
    expect(failure(() => d.decode(['new'], 2000, out, 0)).message).toBe(
      `f.csv line 2000, column "c": more than ${MAX_CATEGORIES} distinct labels in a categorical column; is it an id or free text?`,
    );
    d.decode(['L7'], 2001, out, 0);
    expect(out[0]).toBe(7);
  });
});
