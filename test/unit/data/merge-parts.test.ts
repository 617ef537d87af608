import { describe, expect, it } from 'vitest';
import { type DatasetManifest, loadRows, preprocessCsv } from '../../../lib/data/index.js';
import { mergeParts, partListHash } from '../../../lib/data/partitions/merge-parts.js';
import { DatasetError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from './memory-object-store.js';

/**
 * Three parts of one table (x numeric, colour categorical, y numeric). The labels first appear
 * in another order in each part (part 1 meets "green" first), so the version's class indices
 * differ from parts 1 and 2's own.
 */
const HEADER = 'x,colour,y';
const PARTS: readonly (readonly [number, string, number][])[] = [
  [
    [1.5, 'red', 0],
    [2.25, 'blue', 1],
    [-3, 'red', 1],
  ],
  [
    [4, 'green', 0],
    [5.125, 'red', 1],
    [0, 'blue', 0],
    [7, 'green', 1],
  ],
  [
    [8.5, 'blue', 1],
    [-9.75, 'yellow', 0],
  ],
];
const csvOf = (rows: readonly (readonly [number, string, number])[]) =>
  `${HEADER}\n${rows.map((r) => r.join(',')).join('\n')}\n`;

async function preprocessParts(store: MemoryObjectStore) {
  const parts: { file: string; manifest: DatasetManifest }[] = [];
  for (const [i, rows] of PARTS.entries()) {
    const file = `part-0000${i}.csv`;
    const manifest = await preprocessCsv({
      source: csvSource(csvOf(rows)),
      file: `v1/${file}`,
      dataset: 'ds',
      store,
      shardRows: 2,
      manifestKey: `parts/${file}.json`,
    });
    parts.push({ file, manifest });
  }
  return parts;
}

/** Reference statistics written out here: two-pass mean and M2 over the float32 values. */
function reference(values: readonly number[]) {
  const v = values.map((x) => Math.fround(x));
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return {
    count: v.length,
    mean,
    m2: v.reduce((a, b) => a + (b - mean) ** 2, 0),
    min: Math.min(...v),
    max: Math.max(...v),
  };
}

describe('Function: mergeParts', () => {
  it('gives the statistics of the concatenated parts', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const parts = await preprocessParts(store);
    const all = PARTS.flat();
    // Act
    const { manifest, classMaps } = mergeParts('ds', 'v1', parts);
    // Assess
    expect(manifest.rows).toBe(9);
    const [x, colour, y] = manifest.columns;
    const xs = reference(all.map((r) => r[0]));
    // x: 1.5+2.25−3+4+5.125+0+7+8.5−9.75 = 15.625 over 9 rows
    expect(xs.mean).toBeCloseTo(15.625 / 9, 12);
    expect(x!.stats.count).toBe(9);
    expect(x!.stats.mean).toBeCloseTo(xs.mean, 12);
    expect(x!.stats.m2).toBeCloseTo(xs.m2, 9);
    expect([x!.stats.min, x!.stats.max]).toEqual([-9.75, 8.5]);
    // y: five 1s, four 0s: mean 5/9, M2 = 5·(4/9)² + 4·(5/9)² = 20/9
    expect(y!.stats.mean).toBeCloseTo(5 / 9, 12);
    expect(y!.stats.m2).toBeCloseTo(20 / 9, 12);
    expect(y!.distinct).toEqual({ values: [0, 1], counts: [4, 5] });
    // Labels in order of first appearance over the concatenation: red blue green yellow.
    expect(colour!.categories).toEqual(['red', 'blue', 'green', 'yellow']);
    expect(colour!.categoryCounts).toEqual([3, 3, 2, 1]);
    // Class indices 0,1,0 | 2,0,1,2 | 1,3: mean 10/9, M2 = Σk_i(i − 10/9)²
    const classes = [0, 1, 0, 2, 0, 1, 2, 1, 3];
    expect(colour!.stats.mean).toBeCloseTo(10 / 9, 12);
    expect(colour!.stats.m2).toBeCloseTo(reference(classes).m2, 12);
    expect(colour!.distinct).toEqual({ values: [0, 1, 2, 3], counts: [3, 3, 2, 1] });
    // Part 0 numbers its labels like the version; part 1 met green, red, blue; part 2 blue, yellow.
    expect(classMaps[0]).toEqual([undefined, undefined, undefined]);
    expect(classMaps[1]![1]).toEqual([2, 0, 1]);
    expect(classMaps[2]![1]).toEqual([1, 3]);
    // Co-moments of (x, y): Σ(x − x̄)(y − ȳ) written out against the reference means.
    const cxy = all.reduce((a, r) => a + (r[0] - xs.mean) * (r[2] - 5 / 9), 0);
    expect(manifest.comoments?.columns).toEqual(['x', 'y']);
    expect(manifest.comoments!.upper[1]).toBeCloseTo(cxy, 9);
    expect(manifest.comoments!.upper[0]).toBeCloseTo(xs.m2, 9);
  });

  it('equals one preprocess run over the concatenated file, histograms and all', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const parts = await preprocessParts(store);
    const whole = await preprocessCsv({
      source: csvSource(csvOf(PARTS.flat())),
      file: 'whole.csv',
      dataset: 'ds',
      store,
      shardRows: 2,
    });
    // Act
    const { manifest } = mergeParts('ds', 'v1', parts);
    // Assess: histograms merge exactly (bucket counts add); the rest within rounding.
    manifest.columns.forEach((col, c) => {
      const ref = whole.columns[c]!;
      expect(col.histogram).toEqual(ref.histogram);
      expect(col.categories).toEqual(ref.categories);
      expect(col.categoryCounts).toEqual(ref.categoryCounts);
      expect(col.stats.count).toBe(ref.stats.count);
      expect(col.stats.mean).toBeCloseTo(ref.stats.mean, 12);
      expect(col.stats.m2).toBeCloseTo(ref.stats.m2, 9);
    });
  });

  it('lays the parts’ shards end to end in part order', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const parts = await preprocessParts(store);
    // Act
    const { manifest, shardPart } = mergeParts('ds', 'v1', parts);
    // Assess: shards of 2 rows: part 0 (3 rows) 2+1, part 1 (4) 2+2, part 2 (2) 2.
    expect(manifest.shards.map((s) => [s.firstRow, s.rows])).toEqual([
      [0, 2],
      [2, 1],
      [3, 2],
      [5, 2],
      [7, 2],
    ]);
    expect(shardPart).toEqual([0, 0, 1, 1, 2]);
    expect(manifest.parts?.map((p) => [p.file, p.firstRow, p.rows])).toEqual([
      ['part-00000.csv', 0, 3],
      ['part-00001.csv', 3, 4],
      ['part-00002.csv', 7, 2],
    ]);
    // The numeric columns read back in concatenated order (x of rows 3..5 = part 1's first two).
    const rows = await loadRows(store, manifest, 3, 5);
    expect([rows.data[0], rows.data[3]]).toEqual([4, 5.125]);
    expect(manifest.version).toBe(partListHash(manifest.parts!).slice(0, 16));
  });

  it('refuses a part whose header or column type differs, naming the part', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const [first] = await preprocessParts(store);
    const other = await preprocessCsv({
      source: csvSource('x,colour,z\n1,red,0\n'),
      file: 'v1/part-00001.csv',
      dataset: 'ds',
      store,
      manifestKey: 'other.json',
    });
    const retyped = await preprocessCsv({
      source: csvSource('x,colour,y\n1,2,0\n'),
      file: 'v1/part-00002.csv',
      dataset: 'ds',
      store,
      manifestKey: 'retyped.json',
    });
    // Act
    const header = () => mergeParts('ds', 'v1', [first!, { file: 'part-00001.csv', manifest: other }]);
    const type = () => mergeParts('ds', 'v1', [first!, { file: 'part-00002.csv', manifest: retyped }]);
    // Assess
    expect(header).toThrow(DatasetError);
    expect(header).toThrow(
      /^v1\/part-00001\.csv line 1: header \(x,colour,z\) differs from v1\/part-00000\.csv's/,
    );
    expect(type).toThrow(/^v1\/part-00002\.csv, column "colour": the column is numeric here but categorical/);
  });
});
