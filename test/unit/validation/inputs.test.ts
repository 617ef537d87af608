import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../../../lib/errors.js';
import {
  assertDatasetName,
  assertFeatureList,
  MAX_SEED,
  parseIntFlag,
  parseNumberFlag,
} from '../../../lib/validation/inputs.js';
import { dataRecord, ownValue } from '../../../lib/validation/records.js';
import { excerpt, oneLine } from '../../../lib/validation/text.js';

describe('Module: validation', () => {
  it.each([['a b'], ['données'], ['.hidden'], ['a/b'], [''], ['x'.repeat(129)], ['..']])(
    'refuses the dataset name %j with a short message',
    (name) => {
      expect(() => assertDatasetName(name)).toThrow(UsageError);
      try {
        assertDatasetName(name);
      } catch (e) {
        expect((e as Error).message.length).toBeLessThanOrEqual(200);
      }
    },
  );

  it('accepts dataset names of letters, digits, ".", "_" and "-"', () => {
    expect(assertDatasetName('My_data-1.v2')).toBe('My_data-1.v2');
  });

  it.each([
    [['y'], 'y', /target/],
    [['x', 'x'], 'y', /twice/],
    [[], 'y', /empty/],
    [['x', ''], 'y', /empty column name/],
    [['a\u0000'], 'y', /not a column name/],
  ])('refuses the feature list %j (target %s)', (features, target, reason) => {
    expect(() => assertFeatureList(features, target)).toThrow(reason);
  });

  it('accepts __proto__, constructor and toString as feature names', () => {
    expect(assertFeatureList(['__proto__', 'constructor', 'toString'], 'y')).toHaveLength(3);
  });

  it.each([['1e3'], ['0x10'], ['1.5'], ['-1'], [''], ['1025'], ['9'.repeat(20)]])(
    'refuses %j as an integer from 1 to 1024',
    (text) => {
      expect(() => parseIntFlag('--workers', text, 1, 1024)).toThrow(UsageError);
    },
  );

  it('accepts the bounds of an integer range', () => {
    expect(parseIntFlag('--seed', '0', 0, MAX_SEED)).toBe(0);
    expect(parseIntFlag('--seed', '4294967295', 0, MAX_SEED)).toBe(4294967295);
    expect(() => parseIntFlag('--seed', '4294967296', 0, MAX_SEED)).toThrow(/--seed/);
  });

  it.each([['0'], ['-1'], ['NaN'], ['Infinity'], ['1e999'], ['0x1'], ['']])(
    'refuses %j as a positive number',
    (text) => {
      expect(() =>
        parseNumberFlag('--lr', text, { min: 0, max: Number.MAX_VALUE, minExclusive: true }),
      ).toThrow(/--lr/);
    },
  );

  it('parses 1e-3 and 1e308 as positive numbers', () => {
    const range = { min: 0, max: Number.MAX_VALUE, minExclusive: true };
    expect(parseNumberFlag('--lr', '1e-3', range)).toBe(0.001);
    expect(parseNumberFlag('--lr', '1e308', range)).toBe(1e308);
  });

  it('keeps __proto__, constructor and toString as own keys of a parsed record', () => {
    // zod's z.record drops "__proto__"; dataRecord keeps every own key.
    const raw = JSON.parse('{"__proto__": 2, "constructor": 3, "toString": 4}') as unknown;
    const parsed = dataRecord(z.number()).parse(raw);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(ownValue(parsed, '__proto__')).toBe(2);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(dataRecord(z.number()).safeParse({ a: 'x' }).success).toBe(false);
    expect(dataRecord(z.number()).safeParse([1]).success).toBe(false);
  });

  it('cuts long text in excerpts and messages', () => {
    expect(excerpt('a'.repeat(100))).toBe(`"${'a'.repeat(40)}…" (100 characters)`);
    expect(excerpt('a\nb')).toBe('"a\\nb"');
    expect(oneLine(`x\n${'y'.repeat(400)}`)).toHaveLength(300);
    expect(oneLine('a\n  b')).toBe('a b');
  });

  it('reads own values only', () => {
    const record = JSON.parse('{"__proto__": 2, "x": 1}') as Record<string, number>;
    expect(ownValue(record, '__proto__')).toBe(2);
    expect(ownValue(record, 'toString')).toBeUndefined();
    expect(ownValue({ x: 1 }, 'constructor')).toBeUndefined();
  });
});
