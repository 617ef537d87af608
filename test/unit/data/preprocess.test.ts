import { describe, expect, it } from 'vitest';
import { datasetManifestSchema, loadRows, preprocessCsv, selectColumns } from '../../../lib/data/index.js';
import { DatasetError, NotFoundError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

async function run(text: string, store = new MemoryObjectStore(), shardRows = 2) {
  const manifest = await preprocessCsv({
    source: csvSource(text),
    file: 'data.csv',
    dataset: 'ds',
    store,
    shardRows,
  });
  return { manifest, store };
}

async function rejection(text: string, chunk = 7): Promise<DatasetError> {
  const store = new MemoryObjectStore();
  const error = await preprocessCsv({
    source: csvSource(text, chunk),
    file: 'data.csv',
    dataset: 'ds',
    store,
    shardRows: 2,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  // A rejected file leaves nothing behind.
  expect(store.keys()).toEqual([]);
  return error as DatasetError;
}

const CSV = 'x,colour,y\n1,red,0\n2,blue,1\n3,red,1\n4,green,0\n5,red,1\n';

describe('Function: preprocessCsv', () => {
  it('writes shards and a manifest with types, categories and stats', async () => {
    // Act
    const { manifest, store } = await run(CSV);
    // Assess
    expect(datasetManifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.rows).toBe(5);
    expect(manifest.columns.map((c) => [c.name, c.type])).toEqual([
      ['x', 'numeric'],
      ['colour', 'categorical'],
      ['y', 'numeric'],
    ]);
    const [x, colour, y] = manifest.columns;
    // x = 1..5: mean 3, m2 = 4+1+0+1+4 = 10
    expect(x!.stats).toEqual({ count: 5, mean: 3, m2: 10, min: 1, max: 5 });
    expect(colour!.categories).toEqual(['red', 'blue', 'green']);
    expect(colour!.categoryCounts).toEqual([3, 1, 1]);
    expect(y!.distinct).toEqual({ values: [0, 1], counts: [2, 3] });
    expect(x!.histogram?.count).toBe(5);
    expect(colour!.histogram).toBeUndefined();
    // 5 rows in shards of 2: 2 + 2 + 1
    expect(manifest.shards.map((s) => [s.rows, s.firstRow])).toEqual([
      [2, 0],
      [2, 2],
      [1, 4],
    ]);
    expect(manifest.shardBytes).toBe(manifest.shards.reduce((s, e) => s + e.bytes, 0));
    expect(manifest.csvBytes).toBe(new TextEncoder().encode(CSV).byteLength);
    expect(manifest.version).toBe(manifest.source.sha256.slice(0, 16));
    // sha256 of the CSV, computed independently: the same as node's one-shot digest
    const { createHash } = await import('node:crypto');
    expect(manifest.source.sha256).toBe(createHash('sha256').update(CSV).digest('hex'));
    const stored = await store.get(`processed/ds/${manifest.version}/manifest.json`);
    expect(JSON.parse(new TextDecoder().decode(stored!.body))).toEqual(manifest);
    for (const s of manifest.shards)
      expect(s.key).toMatch(/^processed\/ds\/_staging\/[^/]+\/shard-0000\d\.bin$/);
  });

  it('computes co-moments of the numeric columns only', async () => {
    const { manifest } = await run(CSV);
    // x = 1..5 (mean 3), y = 0,1,1,0,1 (mean 0.6):
    // Cxy = Σ(x−3)(y−0.6) = (−2)(−0.6)+(−1)(0.4)+0+(1)(−0.6)+(2)(0.4) = 1.2−0.4−0.6+0.8 = 1
    expect(manifest.comoments?.columns).toEqual(['x', 'y']);
    expect(manifest.comoments?.upper[1]).toBeCloseTo(1, 6);
    // Cyy = 3·0.16 + 2·0.36 = 1.2
    expect(manifest.comoments?.upper[2]).toBeCloseTo(1.2, 6);
  });

  it('marks co-moments absent above 256 numeric columns', async () => {
    // Prepare: 257 numeric columns, two rows
    const names = Array.from({ length: 257 }, (_, i) => `c${i}`);
    const row = (v: number) => names.map(() => String(v)).join(',');
    // Act
    const { manifest } = await run(`${names.join(',')}\n${row(1)}\n${row(2)}\n`);
    // Assess
    expect(manifest.comoments).toBeUndefined();
    expect(manifest.columns).toHaveLength(257);
  });

  it('defaults to brotli, the processed/ prefix and 65 536-row shards', async () => {
    const store = new MemoryObjectStore();
    const manifest = await preprocessCsv({ source: csvSource(CSV), file: 'data.csv', dataset: 'ds', store });
    expect([manifest.compression, manifest.shardRows, manifest.shards.length]).toEqual(['brotli', 65_536, 1]);
    expect(manifest.shards[0]!.key.startsWith('processed/ds/_staging/')).toBe(true);
  });

  it('gives the same version for the same bytes and keeps the first manifest', async () => {
    // Prepare
    const { manifest: first, store } = await run(CSV);
    const before = store.keys();
    // Act
    const { manifest: second } = await run(CSV, store);
    // Assess: existing manifest returned, the second run's shards deleted
    expect(second).toEqual(first);
    expect(store.keys()).toEqual(before);
  });

  it('handles quoted fields, CRLF, a BOM, spaces and a blank trailing line', async () => {
    const { manifest, store } = await run('\uFEFFa,"b c"\r\n 1.5 ,"x, y"\r\n-2e3,"z"\r\n\r\n');
    expect(manifest.columns.map((c) => c.name)).toEqual(['a', 'b c']);
    expect(manifest.columns[1]!.categories).toEqual(['x, y', 'z']);
    const rows = await loadRows(store, manifest, 0, 2);
    expect(Array.from(rows.data)).toEqual([1.5, 0, -2000, 1]);
  });

  // Until issues 9/11 "7" here became a label after a text first row; a column's type now holds
  // for the whole file, so a number among labels is refused (see 'validation' below).
  it('refuses a label column with a number in it, naming the line and the first label', async () => {
    const e = await rejection('k,v\na,1\n7,2\n');
    expect([e.line, e.column]).toEqual([3, 'k']);
    expect(e.message).toMatch(/"7" is a number, but line 2 of this column is text \("a"\)/);
  });

  describe('validation', () => {
    it('rejects an empty file', async () => {
      const e = await rejection('');
      expect(e.message).toMatch(/data\.csv: the file is empty \(0 bytes\)/);
    });

    it('rejects a header without data rows', async () => {
      const e = await rejection('a,b\n');
      expect(e.line).toBe(1);
      expect(e.message).toMatch(/no data rows/);
    });

    it('rejects a duplicate column name', async () => {
      const e = await rejection('a,b,a\n1,2,3\n');
      expect([e.line, e.column]).toEqual([1, 'a']);
      expect(e.message).toMatch(/duplicate column name/);
    });

    it('rejects an empty header name', async () => {
      const e = await rejection('a,,c\n1,2,3\n');
      expect(e.line).toBe(1);
      expect(e.message).toMatch(/header column 2 has an empty name/);
    });

    it('rejects a ragged row, naming its line', async () => {
      const e = await rejection('a,b\n1,2\n3,4\n5\n');
      expect(e.line).toBe(4);
      expect(e.message).toMatch(/row has 1 cells but the header has 2 columns/);
    });

    it('rejects a text cell in a numeric column, naming line and column', async () => {
      const e = await rejection('a,b\n1,2\n3,4\n5,6\n7,abc\n');
      expect([e.file, e.line, e.column]).toEqual(['data.csv', 5, 'b']);
      expect(e.message).toBe(
        'data.csv line 5, column "b": "abc" is not a number, but line 2 of this column is: a column holds numbers or labels, not both',
      );
    });

    it('rejects a text first row of a numeric column, naming both lines (types hold for the whole file)', async () => {
      const e = await rejection('a,b\nabc,1\n2,2\n3,3\n');
      expect([e.file, e.line, e.column]).toEqual(['data.csv', 3, 'a']);
      expect(e.message).toBe(
        'data.csv line 3, column "a": "2" is a number, but line 2 of this column is text ("abc"): a column holds numbers or labels, not both',
      );
    });

    it('rejects a numeric column that turns to text far into a big file', async () => {
      // 500 000 numeric rows (past THREAD_MIN_BYTES, several shards), then one word
      const body = Array.from({ length: 500_000 }, (_, i) => `${i},${i % 3}`).join('\n');
      const store = new MemoryObjectStore();
      const e = await preprocessCsv({
        source: csvSource(`a,b\n${body}\n12,oops\n`, 1 << 20),
        file: 'data.csv',
        dataset: 'ds',
        store,
      }).catch((error: unknown) => error);
      expect(e).toBeInstanceOf(DatasetError);
      expect([(e as DatasetError).line, (e as DatasetError).column]).toEqual([500_002, 'b']);
      expect(store.keys()).toEqual([]);
    });

    for (const bad of ['NaN', 'nan', 'Infinity', '-inf', 'INF', '1e999']) {
      it(`rejects the non-finite value "${bad}"`, async () => {
        const e = await rejection(`a,b\n1,2\n3,${bad}\n`);
        expect([e.line, e.column]).toEqual([3, 'b']);
        expect(e.message).toMatch(/not a finite number/);
      });
    }

    it('rejects NaN in the first data row instead of calling the column categorical', async () => {
      const e = await rejection('a,b\n1,NaN\n');
      expect([e.line, e.column]).toEqual([2, 'b']);
    });

    it('rejects NaN-like labels in a categorical column', async () => {
      const e = await rejection('a,b\n1,x\n2,nan\n');
      expect([e.line, e.column]).toEqual([3, 'b']);
    });

    it('rejects an empty cell in a numeric and in a categorical column', async () => {
      const numeric = await rejection('a,b\n1,2\n,3\n');
      expect([numeric.line, numeric.column]).toEqual([3, 'a']);
      expect(numeric.message).toMatch(/empty cell/);
      const categorical = await rejection('a,b\n1,x\n2, \n');
      expect([categorical.line, categorical.column]).toEqual([3, 'b']);
    });

    it('rejects hexadecimal numbers as text', async () => {
      const e = await rejection('a\n1\n0x10\n');
      expect(e.line).toBe(3);
    });

    it('rejects a categorical column with more than 1024 labels', async () => {
      const lines = Array.from({ length: 1025 }, (_, i) => `id${i},1`);
      const e = await rejection(`id,v\n${lines.join('\n')}\n`, 4096);
      // label 1025 is on line 1 + 1025 = 1026
      expect([e.line, e.column]).toEqual([1026, 'id']);
      expect(e.message).toMatch(/more than 1024 distinct labels/);
    });

    it('rejects malformed quoting with the line number', async () => {
      const e = await rejection('a,b\n1,2\n3,"4\n');
      expect(e.message).toMatch(/not valid CSV/);
    });

    it('deletes shards already written when a late row is bad', async () => {
      // Prepare: shards of 2 rows; rows 1-4 make two shards before line 6 fails
      const store = new MemoryObjectStore();
      // Act
      await expect(
        preprocessCsv({
          source: csvSource('a\n1\n2\n3\n4\nx\n'),
          file: 'data.csv',
          dataset: 'ds',
          store,
          shardRows: 2,
        }),
      ).rejects.toThrow(/line 6/);
      // Assess
      expect(store.puts.length).toBe(2);
      expect(store.keys()).toEqual([]);
    });

    it('deletes the shards and rethrows when the store fails', async () => {
      const store = new MemoryObjectStore();
      store.failPut = (key) => key.endsWith('shard-00001.bin');
      await expect(
        preprocessCsv({
          source: csvSource('a\n1\n2\n3\n4\n5\n'),
          file: 'data.csv',
          dataset: 'ds',
          store,
          shardRows: 2,
        }),
      ).rejects.toThrow(/injected put failure/);
      expect(store.keys()).toEqual([]);
    });
  });
});

describe('Function: loadRows', () => {
  it('reads a range across shard boundaries, fetching only the shards needed', async () => {
    // Prepare: 5 rows, shards [0,2) [2,4) [4,5)
    const { manifest, store } = await run(CSV);
    const gets: string[] = [];
    const get = store.get.bind(store);
    store.get = async (key) => {
      gets.push(key);
      return get(key);
    };
    // Act: rows 1..3 = (2, blue→1, 1), (3, red→0, 1), (4, green→2, 0)
    const block = await loadRows(store, manifest, 1, 4);
    // Assess
    expect([block.rows, block.cols]).toEqual([3, 3]);
    expect(Array.from(block.data)).toEqual([2, 1, 1, 3, 0, 1, 4, 2, 0]);
    expect(gets).toEqual([manifest.shards[0]!.key, manifest.shards[1]!.key]);
  });

  it('reports a missing shard as NotFoundError', async () => {
    const { manifest, store } = await run(CSV);
    await store.delete(manifest.shards[1]!.key);
    await expect(loadRows(store, manifest, 0, 5)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a range outside the dataset', async () => {
    const { manifest, store } = await run(CSV);
    await expect(loadRows(store, manifest, 3, 6)).rejects.toThrow(RangeError);
  });
});

describe('Function: selectColumns', () => {
  it('splits features and target, mapping class values to indices', async () => {
    // Prepare
    const { manifest, store } = await run(CSV);
    const block = await loadRows(store, manifest, 0, 5);
    // Act
    const s = selectColumns(manifest, block, { target: 'colour', features: ['y', 'x'] });
    const mapped = selectColumns(manifest, block, { target: 'y', features: ['x'], classValues: [1, 0] });
    // Assess
    expect(Array.from(s.x)).toEqual([0, 1, 1, 2, 1, 3, 0, 4, 1, 5]);
    expect(Array.from(s.y)).toEqual([0, 1, 0, 2, 0]);
    expect(s.d).toBe(2);
    // y = 0,1,1,0,1 with classes [1, 0]: value 1 → class 0, value 0 → class 1
    expect(Array.from(mapped.y)).toEqual([1, 0, 0, 1, 0]);
  });

  it('refuses an unknown column, listing the available ones', async () => {
    const { manifest, store } = await run(CSV);
    const block = await loadRows(store, manifest, 0, 1);
    expect(() => selectColumns(manifest, block, { target: 'price' })).toThrow(
      /available columns: x, colour, y/,
    );
  });
});
