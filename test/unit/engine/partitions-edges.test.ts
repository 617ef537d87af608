import { describe, expect, it } from 'vitest';
import { ingestPartitionObject, parsePartitionKey } from '../../../lib/engine/datasets/partitions.js';
import { listUploads, markUploadSettled, uploadIdFor } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import { UsageError } from '../../../lib/errors.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';

const AT = new Date('2026-12-02T09:00:00.000Z');
const now = () => AT;
const part = (rows: number[]) => `x,y\n${rows.map((x) => `${x},${2 * x}`).join('\n')}\n`;
const json = async (store: ObjectStore, key: string) => {
  const o = await store.get(key);
  return o === undefined
    ? undefined
    : (JSON.parse(new TextDecoder().decode(o.body)) as Record<string, unknown>);
};
const ingest = (store: ObjectStore, key: string) => ingestPartitionObject(store, key, { now });

describe('Function: parsePartitionKey, edges', () => {
  it('splits datasets/<name>/<label>/<file> and nothing deeper or shallower', () => {
    expect(parsePartitionKey('datasets/d/v1/part-0.csv')).toEqual({
      dataset: 'd',
      label: 'v1',
      file: 'part-0.csv',
      kind: 'part',
    });
    for (const key of [
      'datasets/d/v1/sub/part-0.csv',
      'datasets/d/part-0.csv',
      'x/datasets/d/v1/part-0.csv',
      'datasets/d/v1/',
      'datasets//v1/part-0.csv',
    ])
      expect(parsePartitionKey(key)).toBeUndefined();
  });
  it('only a leading _ or . hides a file; _SUCCESS is the marker', () => {
    expect(parsePartitionKey('datasets/d/v1/_temporary')?.kind).toBe('hidden');
    expect(parsePartitionKey('datasets/d/v1/.x.crc')?.kind).toBe('hidden');
    expect(parsePartitionKey('datasets/d/v1/a_b.csv')?.kind).toBe('part');
    expect(parsePartitionKey('datasets/d/v1/a.b.csv')?.kind).toBe('part');
    expect(parsePartitionKey('datasets/d/v1/_SUCCESS.txt')?.kind).toBe('hidden');
    expect(parsePartitionKey('datasets/d/v1/x_SUCCESS')?.kind).toBe('part');
  });
});

describe('Function: ingestPartitionObject, edges', () => {
  it('ignores hidden files and keys outside a version folder, writing nothing', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/.part-0.csv.crc', 'x');
    await store.put('datasets/d/flat.csv', part([1]));
    expect(await ingest(store, 'datasets/d/v1/.part-0.csv.crc')).toBeUndefined();
    expect(await ingest(store, 'datasets/d/flat.csv')).toBeUndefined();
    expect(store.keys().filter((k) => k.startsWith('processed/'))).toEqual([]);
  });

  it('refuses a label that is not a valid name', async () => {
    const store = new MemoryObjectStore();
    await expect(ingest(store, 'datasets/d/-v1/part-0.csv')).rejects.toThrow(UsageError);
    await expect(ingest(store, 'datasets/-d/v1/part-0.csv')).rejects.toThrow(UsageError);
  });

  it('records the version as processing at the marker, then ready, at the injected time', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', part([1, 2]));
    await store.put('datasets/d/v1/part-1.csv', part([3]));
    const marker = await store.put('datasets/d/v1/_SUCCESS', '');
    const id = uploadIdFor('datasets/d/v1/_SUCCESS', marker.etag);
    expect(await ingest(store, 'datasets/d/v1/_SUCCESS')).toBeUndefined();
    // the marker fixed the part list (sorted) and wrote a processing record
    expect(await json(store, keys.partition.expected('d', 'v1'))).toEqual({
      v: 1,
      parts: ['part-0.csv', 'part-1.csv'],
      uploadId: id,
      key: 'datasets/d/v1/',
      at: AT.toISOString(),
    });
    expect(await json(store, keys.uploadStatus('d', id))).toEqual({
      v: 1,
      state: 'processing',
      uploadId: id,
      dataset: 'd',
      key: 'datasets/d/v1/',
      at: AT.toISOString(),
    });
    expect(await ingest(store, 'datasets/d/v1/part-1.csv')).toBeUndefined();
    const ready = await ingest(store, 'datasets/d/v1/part-0.csv');
    expect(ready).toMatchObject({
      v: 1,
      uploadId: id,
      dataset: 'd',
      key: 'datasets/d/v1/',
      state: 'ready',
      at: AT.toISOString(),
      rows: 3,
      columns: ['x', 'y'],
    });
    // once settled, a redelivered event sets nothing off again
    await markUploadSettled(store, 'd', id);
    expect(await ingest(store, 'datasets/d/v1/part-0.csv')).toBeUndefined();
    expect(await ingest(store, 'datasets/d/v1/_SUCCESS')).toBeUndefined();
  });

  it('preprocesses a redelivered part once', async () => {
    const base = new MemoryObjectStore();
    await base.put('datasets/d/v1/part-0.csv', part([1]));
    let reads = 0;
    const store = overrideStore(base, {
      getStream: async (k) => {
        reads++;
        return base.getStream(k);
      },
    });
    await ingest(store, 'datasets/d/v1/part-0.csv');
    await ingest(store, 'datasets/d/v1/part-0.csv');
    expect(reads).toBe(1);
  });

  it('fails the version with the first failed part in part order, whatever the event order', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', part([1]));
    await store.put('datasets/d/v1/part-1.csv', 'x,y\n1\n');
    await store.put('datasets/d/v1/part-2.csv', 'x,y\n1,2,3\n');
    await store.put('datasets/d/v1/_SUCCESS', '');
    // part-2 fails first, then part-1: the version's error is part-1's (part order)
    await ingest(store, 'datasets/d/v1/part-2.csv');
    await ingest(store, 'datasets/d/v1/part-1.csv');
    await ingest(store, 'datasets/d/v1/part-0.csv');
    const failed = await ingest(store, 'datasets/d/v1/_SUCCESS');
    expect(failed).toMatchObject({ state: 'failed', at: AT.toISOString(), key: 'datasets/d/v1/' });
    expect(failed?.state === 'failed' && failed.error).toMatch(/^v1\/part-1\.csv line 2/);
    // the part records stay; shards, part manifests and raw parts are gone
    expect(
      store.keys().filter((k) => k.endsWith('.bin') || k.endsWith('.csv') || k.endsWith('.manifest.json')),
    ).toEqual([]);
    expect((await listUploads(store, 'd')).map((r) => r.state)).toEqual(['failed']);
  });

  it('records an unreadable or vanished part as failed with the reason', async () => {
    const base = new MemoryObjectStore();
    await base.put('datasets/d/v1/part-0.csv', part([1]));
    await base.put('datasets/d/v1/part-1.csv', part([2]));
    const store = overrideStore(base, {
      getStream: async (k) => {
        if (k.endsWith('part-0.csv')) throw new RangeError('bad bytes');
        return undefined;
      },
    });
    await ingest(store, 'datasets/d/v1/part-0.csv');
    await ingest(store, 'datasets/d/v1/part-1.csv');
    expect(await json(base, keys.partition.partFailure('d', 'v1', 'part-0.csv'))).toEqual({
      v: 1,
      error: 'v1/part-0.csv: could not be read: bad bytes',
    });
    expect(await json(base, keys.partition.partFailure('d', 'v1', 'part-1.csv'))).toEqual({
      v: 1,
      error: 'part v1/part-1.csv of dataset d does not exist',
    });
  });

  it('passes storage errors through for a retry, recording nothing', async () => {
    const base = new MemoryObjectStore();
    await base.put('datasets/d/v1/part-0.csv', part([1]));
    const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    const store = overrideStore(base, {
      getStream: async () => {
        throw enospc;
      },
    });
    await expect(ingest(store, 'datasets/d/v1/part-0.csv')).rejects.toBe(enospc);
    expect(base.keys().filter((k) => k.startsWith('processed/'))).toEqual([]);
  });

  it('fails a version whose marker body is not a part list, or whose folder has no parts', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', part([1]));
    await store.put('datasets/d/v1/_SUCCESS', 'not json');
    const bad = await ingest(store, 'datasets/d/v1/_SUCCESS');
    // no part list is recorded, so no record is returned; the outcome says why
    expect(bad).toBeUndefined();
    expect(await json(store, keys.partition.outcome('d', 'v1'))).toEqual({
      v: 1,
      state: 'failed',
      error:
        'v1/_SUCCESS: not empty and not {"v":1,"parts":[…]}; write it empty to take every part in the folder',
    });
    for (const body of ['{"v":1,"parts":[]}', '{"v":2,"parts":["a"]}', '{"v":1,"parts":[""]}']) {
      const s = new MemoryObjectStore();
      await s.put('datasets/d/v2/_SUCCESS', body);
      await ingest(s, 'datasets/d/v2/_SUCCESS');
      expect((await json(s, keys.partition.outcome('d', 'v2')))?.state).toBe('failed');
    }
    const empty = new MemoryObjectStore();
    await empty.put('datasets/d/v3/_SUCCESS', '  \n');
    const none = await ingest(empty, 'datasets/d/v3/_SUCCESS');
    expect(none).toMatchObject({ state: 'failed', error: 'v3/: the version has no parts' });
  });

  it('an empty marker takes the parts already processed, even if their raw object is gone', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', part([1]));
    await store.put('datasets/d/v1/part-1.csv', part([2, 3]));
    await store.put('datasets/d/v1/.hidden', 'x');
    await ingest(store, 'datasets/d/v1/part-1.csv');
    await store.delete('datasets/d/v1/part-1.csv');
    await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    expect((await json(store, keys.partition.expected('d', 'v1')))?.parts).toEqual([
      'part-0.csv',
      'part-1.csv',
    ]);
    const ready = await ingest(store, 'datasets/d/v1/part-0.csv');
    expect(ready?.state === 'ready' && ready.rows).toBe(3);
  });

  it('a second marker (new etag) does not replace the part list, and drops its own record', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', part([1]));
    const first = await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    const second = await store.put('datasets/d/v1/_SUCCESS', JSON.stringify({ v: 1, parts: ['part-0.csv'] }));
    expect(second.etag).not.toBe(first.etag);
    // the second marker's event: the expected list exists, so it changes nothing
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    const ids = (await listUploads(store, 'd')).map((r) => r.uploadId);
    expect(ids).toEqual([uploadIdFor('datasets/d/v1/_SUCCESS', first.etag)]);
  });

  it('a failed outcome read back is final: later events return the failed record', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', 'x,y\n1\n');
    await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/part-0.csv');
    const first = await ingest(store, 'datasets/d/v1/_SUCCESS');
    const again = await ingest(store, 'datasets/d/v1/part-0.csv');
    expect(first?.state).toBe('failed');
    expect(again).toEqual(first);
  });
});

describe('Function: ingestPartitionObject, the published manifest', () => {
  it('takes a marker’s parts in name order, and its shardBytes is the sum of its shards', async () => {
    // part-1 sees label "b" first, part-0 "a": merged in name order the classes are (a, b), so
    // part-1's shard is re-numbered and rewritten (its byte count may change).
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', 'x,c\n1,a\n2,b\n');
    await store.put('datasets/d/v1/part-1.csv', 'x,c\n3,b\n4,a\n');
    await store.put('datasets/d/v1/_SUCCESS', JSON.stringify({ v: 1, parts: ['part-1.csv', 'part-0.csv'] }));
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    expect((await json(store, keys.partition.expected('d', 'v1')))?.parts).toEqual([
      'part-0.csv',
      'part-1.csv',
    ]);
    await ingest(store, 'datasets/d/v1/part-1.csv');
    const ready = await ingest(store, 'datasets/d/v1/part-0.csv');
    if (ready?.state !== 'ready') throw new Error('not ready');
    const manifest = (await json(store, keys.manifest('d', ready.version))) as {
      shards: { key: string; bytes: number }[];
      shardBytes: number;
      columns: { name: string; categories?: string[] }[];
    };
    expect(manifest.columns[1]!.categories).toEqual(['a', 'b']);
    let sum = 0;
    for (const s of manifest.shards) {
      const stored = await store.get(s.key);
      expect(stored!.body.byteLength).toBe(s.bytes);
      sum += s.bytes;
    }
    expect(manifest.shardBytes).toBe(sum);
  });
});

describe('Function: ingestPartitionObject, merging and settling', () => {
  it('fails the version when the parts’ headers differ, with the merge’s message, publishing nothing', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', part([1, 2]));
    await store.put('datasets/d/v1/part-1.csv', 'x,z\n3,6\n');
    await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    await ingest(store, 'datasets/d/v1/part-0.csv');
    const failed = await ingest(store, 'datasets/d/v1/part-1.csv');
    // Each part alone is a good CSV; only the merge (part order: part-0 first) refuses part-1.
    const error =
      "v1/part-1.csv line 1: header (x,z) differs from v1/part-0.csv's (x,y); every part needs the same columns in the same order";
    expect(failed).toMatchObject({ state: 'failed', error });
    expect(await json(store, keys.partition.outcome('d', 'v1'))).toEqual({ v: 1, state: 'failed', error });
    // No shard, no part manifest and no version manifest is left.
    expect(store.keys().filter((k) => k.endsWith('.bin') || k.endsWith('manifest.json'))).toEqual([]);
  });

  it('passes an error of the publication that is not about the data through for a retry', async () => {
    const base = new MemoryObjectStore();
    await base.put('datasets/d/v1/part-0.csv', part([1]));
    await base.put('datasets/d/v1/_SUCCESS', '');
    const boom = new Error('connection reset');
    const store = overrideStore(base, {
      // The version's manifest (processed/d/<version>/manifest.json): the publication itself.
      putIfAbsent: async (key, body) => {
        if (/^processed\/d\/[^/_][^/]*\/manifest\.json$/.test(key)) throw boom;
        return base.putIfAbsent(key, body);
      },
    });
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    await expect(ingest(store, 'datasets/d/v1/part-0.csv')).rejects.toBe(boom);
    expect(await json(base, keys.partition.outcome('d', 'v1'))).toBeUndefined();
  });

  it('records the ready outcome, rewrites only re-numbered shards under the staging folder, and keeps a settled record', async () => {
    // part-1 sees label "b" first: merged in name order the classes are (a, b), so its shard (the
    // version's second, index 1) is re-numbered and rewritten; part-0's shard keeps its key.
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v1/part-0.csv', 'x,c\n1,a\n2,b\n');
    await store.put('datasets/d/v1/part-1.csv', 'x,c\n3,b\n4,a\n');
    await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    await ingest(store, 'datasets/d/v1/part-0.csv');
    const part0 = (await json(store, keys.partition.partManifest('d', 'v1', 'part-0.csv'))) as {
      shards: { key: string }[];
    };
    const ready = await ingest(store, 'datasets/d/v1/part-1.csv');
    if (ready?.state !== 'ready') throw new Error('not ready');
    expect(await json(store, keys.partition.outcome('d', 'v1'))).toEqual({
      v: 1,
      state: 'ready',
      version: ready.version,
    });
    const manifest = (await json(store, keys.manifest('d', ready.version))) as { shards: { key: string }[] };
    expect(manifest.shards.map((s) => s.key)).toEqual([
      part0.shards[0]!.key,
      expect.stringMatching(/^processed\/d\/_staging\/v1-merge-[0-9a-f]{12}\/shard-00001\.bin$/),
    ]);

    // A redelivered event at a later time returns the ready record as it was written.
    const later = await ingestPartitionObject(store, 'datasets/d/v1/part-1.csv', {
      now: () => new Date('2026-12-03T00:00:00.000Z'),
    });
    expect(later).toEqual(ready);
    expect(await json(store, keys.uploadStatus('d', ready.uploadId))).toMatchObject({ at: AT.toISOString() });
  });

  it('counts a rewritten shard at its new size in shardBytes', async () => {
    // part-1 (200 rows) sees its labels in the order c, a, b; merged the classes are (a, b, c), so
    // its shard is re-numbered and compressed again, to another byte count than the part's.
    const store = new MemoryObjectStore();
    const labels = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? 'a' : i % 3 === 0 ? 'b' : 'c'));
    labels[0] = 'c';
    await store.put('datasets/d/v1/part-0.csv', 'x,c\n1,a\n2,b\n3,c\n');
    await store.put('datasets/d/v1/part-1.csv', `x,c\n${labels.map((c, i) => `${i},${c}`).join('\n')}\n`);
    await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    await ingest(store, 'datasets/d/v1/part-0.csv');
    const ready = await ingest(store, 'datasets/d/v1/part-1.csv');
    if (ready?.state !== 'ready') throw new Error('not ready');
    const part1 = (await json(store, keys.partition.partManifest('d', 'v1', 'part-1.csv'))) as {
      shards: { bytes: number }[];
    };
    const manifest = (await json(store, keys.manifest('d', ready.version))) as {
      shards: { key: string; bytes: number }[];
      shardBytes: number;
    };
    // The precondition of this test: the rewrite changed the size (else any sum would do).
    expect(manifest.shards[1]!.bytes).not.toBe(part1.shards[0]!.bytes);
    let sum = 0;
    for (const shard of manifest.shards) sum += (await store.get(shard.key))!.body.byteLength;
    expect(manifest.shardBytes).toBe(sum);
  });

  it('an empty marker lists its own folder only: not another label, not a nested folder', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/v0/part-9.csv', part([9]));
    await store.put('datasets/d/v1/part-0.csv', part([1]));
    await store.put('datasets/d/v1/sub/part-5.csv', part([5]));
    await store.put('datasets/d/v1/_SUCCESS', '');
    await ingest(store, 'datasets/d/v1/_SUCCESS');
    expect((await json(store, keys.partition.expected('d', 'v1')))?.parts).toEqual(['part-0.csv']);
    expect(await ingest(store, 'datasets/d/v1/part-0.csv')).toMatchObject({ state: 'ready', rows: 1 });
  });
});
