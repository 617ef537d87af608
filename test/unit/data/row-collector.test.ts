import { describe, expect, it } from 'vitest';
import { loadRows, preprocessCsv, RowCollector } from '../../../lib/data/index.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * The in-process handoff (issue 9): `train --data … --runner inprocess` trains from the rows the
 * upload kept in memory, which must be exactly the rows its shards hold.
 */
describe('RowCollector', () => {
  // x = i, y = i/4, k = a|b alternating: values worked out by hand
  const n = 10;
  const csv = `x,y,k\n${Array.from({ length: n }, (_, i) => `${i},${i / 4},${i % 2 === 0 ? 'a' : 'b'}`).join('\n')}\n`;

  for (const hint of [undefined, 1, csv.length, 10 * csv.length]) {
    it(`keeps every row a preprocessing run parses, as the shards hold them (bytes hint ${hint})`, async () => {
      const store = new MemoryObjectStore();
      const rows = new RowCollector(hint);
      const manifest = await preprocessCsv({
        source: csvSource(csv, 5),
        file: 'd.csv',
        dataset: 'd',
        store,
        shardRows: 3, // blocks of 3, 3, 3, 1 rows: the array grows or is sized once
        onRows: rows.add,
      });
      expect(rows.rows).toBe(n);
      const all = rows.range(0, n);
      expect(all.cols).toBe(3);
      expect([...all.data]).toEqual(Array.from({ length: n }, (_, i) => [i, i / 4, i % 2]).flat());
      const stored = await loadRows(store, manifest, 0, n);
      expect(all.data).toEqual(stored.data);
      // a range across block boundaries
      expect([...rows.range(2, 5).data]).toEqual([2, 0.5, 0, 3, 0.75, 1, 4, 1, 0]);
    });
  }

  it('refuses a range past the rows it has, and blocks out of order', () => {
    const rows = new RowCollector();
    rows.add(new Float32Array([1, 2, 3, 4]), 0, 2);
    expect(() => rows.range(0, 3)).toThrow(RangeError);
    expect(() => rows.add(new Float32Array([5, 6]), 5, 2)).toThrow(RangeError);
  });
});
