import { describe, expect, it } from 'vitest';
import { loadRows } from '../../../lib/data/index.js';
import { ingestPartitionObject, parsePartitionKey } from '../../../lib/engine/datasets/partitions.js';
import { ingestUpload, listUploads, resolveDataset } from '../../../lib/engine/datasets/uploads.js';
import { MemoryObjectStore } from '../registry/memory-store.js';

/** 12 rows (x = 0..11, colour cycling with another first label per part, y = x mod 2) in 3 parts of 4. */
const COLOURS = ['red', 'blue', 'green'];
const row = (i: number) => `${i},${COLOURS[(i * 7 + Math.floor(i / 4)) % 3]},${i % 2}`;
const HEADER = 'x,colour,y';
const partCsv = (p: number) => `${HEADER}\n${[0, 1, 2, 3].map((j) => row(p * 4 + j)).join('\n')}\n`;
const wholeCsv = () => `${HEADER}\n${Array.from({ length: 12 }, (_, i) => row(i)).join('\n')}\n`;
const PARTS = ['part-00000.csv', 'part-00001.csv', 'part-00002.csv'];

async function uploadParts(store: MemoryObjectStore, label: string, body = (p: number) => partCsv(p)) {
  for (const [p, name] of PARTS.entries()) await store.put(`datasets/d/${label}/${name}`, body(p));
  await store.put(`datasets/d/${label}/_SUCCESS`, '');
}

async function deliver(store: MemoryObjectStore, label: string, order: readonly string[]) {
  const records = [];
  for (const name of order) records.push(await ingestPartitionObject(store, `datasets/d/${label}/${name}`));
  return records;
}

describe('Function: parsePartitionKey', () => {
  it('tells parts, the marker and hidden files apart, and leaves flat uploads alone', () => {
    expect(parsePartitionKey('datasets/d/v1/part-00000.csv')?.kind).toBe('part');
    expect(parsePartitionKey('datasets/d/v1/_SUCCESS')?.kind).toBe('marker');
    expect(parsePartitionKey('datasets/d/v1/.part-00000.csv.crc')?.kind).toBe('hidden');
    expect(parsePartitionKey('datasets/d/data.csv')).toBeUndefined();
  });
});

describe('Function: ingestPartitionObject', () => {
  it.each([
    ['parts first, marker last', [...PARTS, '_SUCCESS']],
    ['marker first', ['_SUCCESS', ...PARTS]],
    [
      'marker in the middle, parts out of order',
      ['part-00002.csv', '_SUCCESS', 'part-00000.csv', 'part-00001.csv'],
    ],
  ])('publishes the same version whatever the event order (%s)', async (_what, order) => {
    // Prepare
    const store = new MemoryObjectStore();
    await uploadParts(store, 'v1');
    // Act
    const records = await deliver(store, 'v1', order);
    // Assess: only the last event publishes; the others see an incomplete version.
    expect(records.slice(0, -1)).toEqual([undefined, undefined, undefined]);
    const last = records.at(-1);
    expect(last?.state).toBe('ready');
    const { manifest } = await resolveDataset(store, 'd');
    expect(manifest.rows).toBe(12);
    // The shards hold what one upload of the concatenated file holds, class indices included.
    await store.put('datasets/d/whole.csv', wholeCsv());
    const whole = await ingestUpload(store, 'datasets/d/whole.csv');
    const { manifest: reference } = await resolveDataset(
      store,
      'd',
      whole.state === 'ready' ? whole.version : '',
    );
    expect(manifest.columns[1]!.categories).toEqual(reference.columns[1]!.categories);
    expect(Array.from((await loadRows(store, manifest, 0, 12)).data)).toEqual(
      Array.from((await loadRows(store, reference, 0, 12)).data),
    );
  });

  it('publishes once when every event (and a duplicate) is handled at the same time', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await uploadParts(store, 'v1');
    // Act: the handler invocations interleave at every await (put-if-absent decides).
    const names = [...PARTS, '_SUCCESS', 'part-00001.csv'];
    const records = await Promise.all(names.map((n) => ingestPartitionObject(store, `datasets/d/v1/${n}`)));
    // Assess: one version, 12 rows, one ready upload record; no shard left unreferenced.
    expect(records.filter((r) => r?.state === 'ready').length).toBeGreaterThanOrEqual(1);
    const { manifest } = await resolveDataset(store, 'd');
    expect(manifest.rows).toBe(12);
    expect((await listUploads(store, 'd')).map((r) => r.state)).toEqual(['ready']);
    // Every shard is the version's or a part manifest's (a part whose labels were re-numbered
    // keeps its own): the losers of each race deleted theirs.
    const referenced = new Set(manifest.shards.map((s) => s.key));
    for (const key of store.keys().filter((k) => k.endsWith('.manifest.json'))) {
      const part = JSON.parse(new TextDecoder().decode((await store.get(key))!.body)) as typeof manifest;
      for (const shard of part.shards) referenced.add(shard.key);
    }
    expect(store.keys().filter((k) => k.endsWith('.bin') && !referenced.has(k))).toEqual([]);
  });

  it('handles a redelivered event without a second publication', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await uploadParts(store, 'v1');
    await deliver(store, 'v1', [...PARTS, '_SUCCESS']);
    const before = store.keys().length;
    // Act
    const again = await deliver(store, 'v1', ['part-00001.csv', '_SUCCESS']);
    // Assess: a ready version seen again sets nothing off (once settled) and writes no new shards.
    expect(again.map((r) => r?.state)).toEqual(['ready', 'ready']);
    expect(store.keys().length).toBe(before);
    expect((await listUploads(store, 'd')).filter((r) => r.state === 'ready')).toHaveLength(1);
  });

  it('fails the version with the failing part’s error and keeps the previous version current', async () => {
    // Prepare: v1 is published; v2's second part has a bad cell on its line 3.
    const store = new MemoryObjectStore();
    await uploadParts(store, 'v1');
    await deliver(store, 'v1', [...PARTS, '_SUCCESS']);
    const previous = (await resolveDataset(store, 'd')).manifest.version;
    const keysBefore = new Set(store.keys());
    await uploadParts(store, 'v2', (p) => (p === 1 ? partCsv(1).replace(/\n5,/, '\noops,') : partCsv(p)));
    // Act: part 0 done, part 1 fails, the marker, then part 2 finishes after the failure.
    const records = await deliver(store, 'v2', [
      'part-00000.csv',
      'part-00001.csv',
      '_SUCCESS',
      'part-00002.csv',
    ]);
    // Assess
    const failed = records[2];
    expect(failed?.state).toBe('failed');
    if (failed?.state === 'failed')
      expect(failed.error).toMatch(/^v2\/part-00001\.csv line 3, column "x": "oops" is not a number/);
    expect((await resolveDataset(store, 'd')).manifest.version).toBe(previous);
    // Nothing of v2 is left but its records: no shards, no part manifests, no raw parts.
    const added = store.keys().filter((k) => !keysBefore.has(k));
    expect(
      added.filter((k) => k.endsWith('.bin') || k.endsWith('.manifest.json') || k.endsWith('.csv')),
    ).toEqual([]);
  });

  it('takes the parts the marker lists, ignoring others in the folder', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await uploadParts(store, 'v1');
    await store.put(
      'datasets/d/v1/_SUCCESS',
      JSON.stringify({ v: 1, parts: ['part-00000.csv', 'part-00002.csv'] }),
    );
    // Act
    const records = await deliver(store, 'v1', ['_SUCCESS', 'part-00000.csv', 'part-00002.csv']);
    // Assess: 2 parts of 4 rows.
    const last = records.at(-1);
    expect(last?.state === 'ready' ? last.rows : undefined).toBe(8);
  });
});
