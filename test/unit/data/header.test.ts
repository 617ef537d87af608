import { describe, expect, it } from 'vitest';
import { validateHeader } from '../../../lib/data/csv/header.js';
import { DatasetError } from '../../../lib/errors.js';

describe('Function: validateHeader', () => {
  it('returns the names trimmed, in order', () => {
    expect(validateHeader([' x1', 'x2 ', ' y '], 'a.csv', 1)).toEqual(['x1', 'x2', 'y']);
  });

  it('names the 1-based column whose name is empty after trimming', () => {
    const error = (() => {
      try {
        validateHeader(['x', '  ', 'y'], 'a.csv', 3);
      } catch (e) {
        return e;
      }
    })() as DatasetError;
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe('a.csv line 3: header column 2 has an empty name; give every column a name');
    expect(error.line).toBe(3);
    expect(error.column).toBeUndefined();
  });

  it('names a repeated column, also when only trimming makes it repeat', () => {
    const error = (() => {
      try {
        validateHeader(['x', 'y', ' x '], 'b.csv', 1);
      } catch (e) {
        return e;
      }
    })() as DatasetError;
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe(
      'b.csv line 1, column "x": duplicate column name; column names must be unique',
    );
    expect(error.column).toBe('x');
  });

  it('accepts one column, and names that differ only in case', () => {
    expect(validateHeader(['Y'], 'c.csv', 1)).toEqual(['Y']);
    expect(validateHeader(['a', 'A'], 'c.csv', 1)).toEqual(['a', 'A']);
  });
});
