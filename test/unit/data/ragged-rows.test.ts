import { describe, expect, it } from 'vitest';
import { preprocessCsv } from '../../../lib/data/index.js';
import { DatasetError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

describe('Function: preprocessCsv, ragged rows', () => {
  it.each([
    ['more cells than the header', 'x,y\n1,2\n3,4,5\n6,7\n', 3, /3 cells but the header has 2/],
    ['fewer cells than the header', 'x,y\n1,2\n3\n6,7\n', 3, /1 cells but the header has 2/],
    ['more cells on the first data row', 'x,y\n1,2,9\n6,7\n', 2, /3 cells but the header has 2/],
  ])('refuses a row with %s, naming the line', async (_what, csv, line, message) => {
    const store = new MemoryObjectStore();
    const error = await preprocessCsv({ source: csvSource(csv), file: 'r.csv', dataset: 'r', store }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).line).toBe(line);
    expect((error as Error).message).toMatch(message);
  });
});
