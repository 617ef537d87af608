import { describe, expect, it } from 'vitest';
import { isNonFiniteSpelling, parseNumberCell, toFiniteNumber } from '../../../lib/data/csv/parse-number.js';

/**
 * The CSV reader's number syntax cell by cell: strict decimals (sign, digits, one point, an
 * exponent), NaN/infinity spellings, empty cells and text; values are the decimals as written.
 */
describe('Function: parseNumberCell', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['+3', 3],
    ['-7', -7],
    ['2.5', 2.5],
    ['5.', 5],
    ['.25', 0.25],
    ['-.5', -0.5],
    ['1e3', 1000],
    ['1E3', 1000],
    ['-1e-3', -0.001],
    ['2.5e+2', 250],
    ['  2.5 ', 2.5],
    ['\t-4\t', -4],
  ])('reads %j as the number %d', (cell, value) => {
    expect(parseNumberCell(cell)).toEqual({ kind: 'number', value });
  });

  it.each(['', ' ', '\t \t'])('reads %j as empty', (cell) => {
    expect(parseNumberCell(cell)).toEqual({ kind: 'empty' });
  });

  it.each(['1e999', '-1e999', 'NaN', 'nan', 'inf', '-inf', '+Inf', 'Infinity', '-INFINITY', ' nan '])(
    'reads %j as non-finite',
    (cell) => {
      expect(parseNumberCell(cell)).toEqual({ kind: 'non-finite' });
    },
  );

  it.each([
    'abc',
    '0x1f',
    '0b1',
    '1e',
    'e5',
    '.',
    '-',
    '1.2.3',
    '1 2',
    '1,5',
    'x1',
    '1x',
    'nanx',
    'xnan',
    'infinit',
    'infinityy',
    '--1',
    '1e+',
    '1e2.5',
  ])('reads %j as text', (cell) => {
    expect(parseNumberCell(cell)).toEqual({ kind: 'text' });
  });
});

describe('Function: toFiniteNumber', () => {
  it.each([
    ['7', 7],
    [' 7 ', 7],
    ['-0.5', -0.5],
    [' 1e2', 100],
    ['3.', 3],
  ])('reads %j as %d', (cell, value) => {
    expect(toFiniteNumber(cell)).toBe(value);
  });

  it.each(['', ' ', 'abc', ' abc ', '1e999', ' 1e999 ', 'NaN', ' inf', '0x10', '1 2', ' 1 2 '])(
    'has no finite value for %j',
    (cell) => {
      expect(toFiniteNumber(cell)).toBeUndefined();
    },
  );
});

describe('Function: isNonFiniteSpelling', () => {
  it.each([
    ['NaN', true],
    [' -Infinity ', true],
    ['+inf', true],
    ['inf1', false],
    ['1e999', false],
    ['', false],
    ['nan nan', false],
  ])('%j → %s', (cell, expected) => {
    expect(isNonFiniteSpelling(cell)).toBe(expected);
  });
});
