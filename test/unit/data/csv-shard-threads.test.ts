import { describe, expect, it } from 'vitest';
import { type DatasetManifest, decodeShard, preprocessCsv } from '../../../lib/data/index.js';
import { ShardPipeline } from '../../../lib/data/shard/shard-pipeline.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * The scanner on a file big enough for the shard threads (moved out of csv-parity.test.ts: at
 * half a minute or more per run it cannot run for every mutant of the scanner, see
 * vitest.mutate-data.config.ts).
 */

/** The manifest without what differs between runs (time, staging keys). */
function comparable(m: DatasetManifest): unknown {
  return { ...m, createdAt: undefined, shards: m.shards.map((s) => ({ ...s, key: undefined })) };
}

describe('Preprocessing a file big enough for the shard threads', () => {
  // 500 000 rows of about 9 bytes: over THREAD_MIN_BYTES (4 MiB), so hashing, statistics and
  // compression run in the shard threads.
  const n = 500_000;
  const lines = ['x,y,k'];
  for (let i = 0; i < n; i++) lines.push(`${i % 100},${(i % 8) * 0.25},${i % 2 === 0 ? 'a' : 'b'}`);
  const csv = `${lines.join('\n')}\n`;

  it('gives the statistics worked out in closed form, and the same manifest as csv-parse', async () => {
    const fast = await preprocessCsv({
      source: csvSource(csv, 1 << 20),
      file: 'big.csv',
      dataset: 'big',
      store: new MemoryObjectStore(),
    });
    // x = i mod 100 over 5 000 full cycles: mean 49.5, m2 = n·(100² − 1)/12
    const [x, y, k] = fast.columns;
    expect({ ...x!.stats, m2: undefined }).toEqual({ count: n, mean: 49.5, m2: undefined, min: 0, max: 99 });
    expect(x!.stats.m2).toBeCloseTo((n * (100 * 100 - 1)) / 12, 3);
    // y = (i mod 8)/4: mean 0.875, m2 = n · (1/16)·(8² − 1)/12
    expect(y!.stats.mean).toBeCloseTo(0.875, 12);
    expect(y!.stats.m2).toBeCloseTo((n * (64 - 1)) / 12 / 16, 6);
    expect(k!.categories).toEqual(['a', 'b']);
    expect(k!.categoryCounts).toEqual([n / 2, n / 2]);
    expect(fast.rows).toBe(n);
    const { createHash } = await import('node:crypto');
    expect(fast.source.sha256).toBe(createHash('sha256').update(csv).digest('hex'));
    const reference = await preprocessCsv({
      source: csvSource(csv, 1 << 20),
      file: 'big.csv',
      dataset: 'big',
      store: new MemoryObjectStore(),
      parser: 'csv-parse',
    });
    expect(comparable(fast)).toEqual(comparable(reference));
  }, 60_000);

  it('encodes a block in the shard thread to the same bytes as in this thread', async () => {
    const pipeline = new ShardPipeline('brotli', true);
    try {
      expect(pipeline.threaded).toBe(true);
      pipeline.begin(['numeric', 'numeric'], 256);
      const data = new Float32Array(new SharedArrayBuffer(4 * 6));
      data.set([1, 2, 3, 4, 5, 6]);
      const bytes = await pipeline.encode(data, 3, 2);
      expect(Array.from(decodeShard(bytes).data)).toEqual([1, 2, 3, 4, 5, 6]);
      const summary = await pipeline.summary();
      // column 0 = 1, 3, 5: mean 3, m2 = 4 + 0 + 4
      expect(summary.columns[0]!.stats).toEqual({ count: 3, mean: 3, m2: 8, min: 1, max: 5 });
    } finally {
      await pipeline.close();
    }
  }, 30_000);
});
