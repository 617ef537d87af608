import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ingestUpload,
  isRetryable,
  listUploads,
  markUploadSettled,
  parseUploadKey,
  resolveDataset,
  type UploadRecord,
  uploadIdFor,
} from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import {
  DatasetError,
  InfrastructureError,
  NotFoundError,
  ShardtrainError,
  UsageError,
} from '../../../lib/errors.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';

const AT = new Date('2026-12-02T10:00:00.000Z');
const now = () => AT;
const read = async (store: MemoryObjectStore, key: string) =>
  JSON.parse(new TextDecoder().decode((await store.get(key))!.body)) as Record<string, unknown>;

describe('Function: parseUploadKey', () => {
  it('splits datasets/<name>/<file>, the file possibly in a folder', () => {
    expect(parseUploadKey('datasets/d/f.csv')).toEqual({ dataset: 'd', file: 'f.csv' });
    expect(parseUploadKey('datasets/d/v1/part-0.csv')).toEqual({ dataset: 'd', file: 'v1/part-0.csv' });
  });
  it.each([
    ['processed/d/f.csv'],
    ['x/datasets/d/f.csv'],
    ['datasets/d/'],
    ['datasets//f.csv'],
    ['datasets/d'],
  ])('leaves %s alone', (key) => {
    expect(parseUploadKey(key)).toBeUndefined();
  });
});

describe('Function: uploadIdFor', () => {
  it('is sha256(key + "\\n" + etag without quotes), 16 hex digits', () => {
    const want = createHash('sha256').update('datasets/d/f.csv\nabc').digest('hex').slice(0, 16);
    expect(uploadIdFor('datasets/d/f.csv', '"abc"')).toBe(want);
    expect(uploadIdFor('datasets/d/f.csv', 'abc')).toBe(want);
  });
});

describe('Function: ingestUpload, records', () => {
  it('records processing (before reading the bytes), then ready with the version’s rows and columns', async () => {
    // Prepare: a store that remembers the status record as it was when the bytes were first read.
    const base = new MemoryObjectStore();
    const key = 'datasets/d/f.csv';
    await base.put(key, 'x,y\n1,2\n3,4\n5,6\n');
    const id = uploadIdFor(key, (await base.head(key))!.etag);
    let seen: Record<string, unknown> | undefined;
    const store = overrideStore(base, {
      getStream: async (k) => {
        seen = await read(base, keys.uploadStatus('d', id));
        return base.getStream(k);
      },
    });
    // Act
    const record = await ingestUpload(store, key, { now });
    // Assess
    expect(seen).toEqual({
      v: 1,
      uploadId: id,
      dataset: 'd',
      key,
      state: 'processing',
      at: AT.toISOString(),
    });
    expect(record).toMatchObject({
      v: 1,
      uploadId: id,
      dataset: 'd',
      key,
      state: 'ready',
      at: AT.toISOString(),
      rows: 3,
      columns: ['x', 'y'],
    });
    expect(await read(base, keys.uploadStatus('d', id))).toEqual(record);
    const { manifest } = await resolveDataset(base, 'd');
    expect(record.state === 'ready' && record.version).toBe(manifest.version);
  });

  it('uses the upload id it is given, also with etagWhileParsing', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/f.csv', 'x\n1\n');
    expect((await ingestUpload(store, 'datasets/d/f.csv', { uploadId: 'u1' })).uploadId).toBe('u1');
    expect(
      (await ingestUpload(store, 'datasets/d/f.csv', { uploadId: 'u2', etagWhileParsing: true })).uploadId,
    ).toBe('u2');
    expect((await listUploads(store, 'd')).map((r) => r.uploadId)).toEqual(['u1', 'u2']);
  });

  it('wraps an error that is not ours, naming the file, and records it', async () => {
    const base = new MemoryObjectStore();
    await base.put('datasets/d/f.csv', 'x\n1\n');
    const store = overrideStore(base, {
      getStream: async () => {
        throw 'a string, not an Error';
      },
    });
    const error = await ingestUpload(store, 'datasets/d/f.csv', { now, uploadId: 'u' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe('f.csv: could not be read as CSV: a string, not an Error');
    expect(await read(base, keys.uploadStatus('d', 'u'))).toEqual({
      v: 1,
      uploadId: 'u',
      dataset: 'd',
      key: 'datasets/d/f.csv',
      state: 'failed',
      at: AT.toISOString(),
      error: 'f.csv: could not be read as CSV: a string, not an Error',
    });
  });

  it('passes a project error through as it is, and still fails when the raw object cannot be deleted', async () => {
    const base = new MemoryObjectStore();
    await base.put('datasets/d/f.csv', 'x,y\n1\n');
    const store = overrideStore(base, {
      delete: async () => {
        throw new Error('denied');
      },
    });
    const error = await ingestUpload(store, 'datasets/d/f.csv', { uploadId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    const record = (await read(base, keys.uploadStatus('d', 'u'))) as UploadRecord;
    expect(record.state).toBe('failed');
    expect(record.state === 'failed' && record.error).toBe((error as Error).message);
    expect(await base.head('datasets/d/f.csv')).toBeDefined();
  });

  it('refuses a key outside datasets/, in a folder, or of an object that is not there', async () => {
    const store = new MemoryObjectStore();
    await expect(ingestUpload(store, 'other/f.csv')).rejects.toThrow(
      new UsageError('"other/f.csv" is not under datasets/<name>/'),
    );
    await expect(ingestUpload(store, 'datasets/d/a/f.csv')).rejects.toThrow(
      new UsageError(
        'upload key "datasets/d/a/f.csv" is not datasets/<name>/<file>: the file is in a folder',
      ),
    );
    const missing = await ingestUpload(store, 'datasets/d/f.csv').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('uploaded object "datasets/d/f.csv" does not exist');
    // the object disappears between head and read: the same NotFoundError, recorded as failed
    await store.put('datasets/d/g.csv', 'x\n1\n');
    const gone = overrideStore(store, { getStream: async () => undefined });
    await expect(ingestUpload(gone, 'datasets/d/g.csv', { uploadId: 'g' })).rejects.toThrow(
      new NotFoundError('uploaded object "datasets/d/g.csv" does not exist'),
    );
    expect((await read(store, keys.uploadStatus('d', 'g'))).state).toBe('failed');
    expect(store.keys().filter((k) => k.startsWith('processed/') && !k.includes('/uploads/'))).toEqual([]);
  });
});

describe('Function: isRetryable', () => {
  it.each([
    [new InfrastructureError('s3'), true],
    [Object.assign(new Error('x'), { code: 'ENOSPC' }), true],
    [Object.assign(new Error('x'), { code: 'EAI2' }), true],
    [Object.assign(new ShardtrainError('x'), { code: 'ENOSPC' }), false],
    [Object.assign(new Error('x'), { code: 'E' }), false],
    [Object.assign(new Error('x'), { code: 'XENOSPC' }), false],
    [Object.assign(new Error('x'), { code: 'ENOSPC!' }), false],
    [Object.assign(new Error('x'), { code: 'Enospc' }), false],
    [Object.assign(new Error('x'), { code: 17 }), false],
    [null, false],
    [undefined, false],
    ['ENOSPC', false],
  ])('%s → %s', (error, want) => {
    expect(isRetryable(error)).toBe(want);
  });
});

describe('Function: listUploads and resolveDataset', () => {
  const record = (dataset: string, uploadId: string, at: string, state: 'ready' | 'failed', version = 'v') =>
    state === 'ready'
      ? {
          v: 1,
          uploadId,
          dataset,
          key: `datasets/${dataset}/f.csv`,
          state,
          at,
          version,
          rows: 1,
          columns: ['x'],
        }
      : { v: 1, uploadId, dataset, key: `datasets/${dataset}/f.csv`, state, at, error: 'bad' };

  async function seeded() {
    const store = new MemoryObjectStore();
    const put = (r: ReturnType<typeof record>) =>
      store.put(keys.uploadStatus(r.dataset, r.uploadId), JSON.stringify(r));
    await put(record('d', 'b', '2026-12-02T10:00:00.000Z', 'ready', 'v2'));
    await put(record('d', 'a', '2026-12-02T10:00:00.000Z', 'ready', 'v1'));
    await put(record('d', 'c', '2026-12-01T00:00:00.000Z', 'ready', 'v0'));
    await put(record('d', 'z', '2026-12-03T00:00:00.000Z', 'failed'));
    await put(record('e', 'e', '2026-11-30T00:00:00.000Z', 'ready', 'w'));
    await store.put(keys.uploadStatus('d', 'junk'), '{"v":1}');
    await store.put('processed/d/uploads/notes.txt', 'x');
    await markUploadSettled(store, 'd', 'a');
    return store;
  }

  it('lists a dataset’s records oldest first, ties by upload id, skipping what is not a record', async () => {
    const store = await seeded();
    expect((await listUploads(store, 'd')).map((r) => r.uploadId)).toEqual(['c', 'a', 'b', 'z']);
    expect((await listUploads(store)).map((r) => r.uploadId)).toEqual(['e', 'c', 'a', 'b', 'z']);
    expect(await store.head(keys.uploadSettled('d', 'a'))).toBeDefined();
  });

  it('resolves the newest ready version, or the one asked for', async () => {
    const store = await seeded();
    for (const v of ['v1', 'v2']) {
      await store.put(
        keys.manifest('d', v),
        JSON.stringify({ marker: v }), // not a manifest: requireDocument refuses it
      );
    }
    // The newest ready record is b (v2; the failed z is newer but not ready); v2's manifest is not one.
    await expect(resolveDataset(store, 'd')).rejects.toThrow(/processed\/d\/v2\/manifest\.json/);
    await expect(resolveDataset(store, 'd', 'v9')).rejects.toThrow(
      new NotFoundError('dataset "d" has no version v9'),
    );
    await expect(resolveDataset(store, 'f')).rejects.toThrow(
      new NotFoundError(
        'dataset "f" has no ready version; upload one with: shardtrain upload <file.csv> --dataset f',
      ),
    );
  });

  it('resolves a real upload and refuses a dataset name that is not one', async () => {
    const store = new MemoryObjectStore();
    await store.put('datasets/d/f.csv', 'x\n1\n2\n');
    const r = await ingestUpload(store, 'datasets/d/f.csv');
    const { manifest, manifestKey } = await resolveDataset(store, 'd');
    expect(manifestKey).toBe(keys.manifest('d', manifest.version));
    expect(r.state === 'ready' && r.version).toBe(manifest.version);
    expect(manifest.rows).toBe(2);
    await expect(resolveDataset(store, '../d')).rejects.toThrow(UsageError);
  });
});

describe('Function: ingestUpload, names and causes', () => {
  it('reads a dataset name of several characters, and keeps the cause of a wrapped error', async () => {
    expect(parseUploadKey('datasets/sales-2026/f.csv')).toEqual({ dataset: 'sales-2026', file: 'f.csv' });
    const base = new MemoryObjectStore();
    await base.put('datasets/d/f.csv', 'x\n1\n');
    const cause = new RangeError('Invalid array length');
    const store = overrideStore(base, {
      getStream: async () => {
        throw cause;
      },
    });
    const error = await ingestUpload(store, 'datasets/d/f.csv').catch((e: unknown) => e);
    expect((error as Error).cause).toBe(cause);
  });
});
