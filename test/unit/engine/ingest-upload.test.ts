import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HistogramBuilder } from '../../../lib/data/index.js';
import { ingestUpload, isRetryable, listUploads } from '../../../lib/engine/datasets/uploads.js';
import { DatasetError, InfrastructureError, ShardtrainError, UsageError } from '../../../lib/errors.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';

/** Issue 11, defect 1: whatever the bytes, an upload ends ready or failed with its reason. */
describe('Function: ingestUpload', () => {
  async function upload(bytes: Uint8Array | string, file = 'f.csv') {
    const store = new MemoryObjectStore();
    const key = `datasets/d/${file}`;
    await store.put(key, bytes);
    const outcome = await ingestUpload(store, key).then(
      (r) => ({ ok: true as const, record: r }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
    const records = await listUploads(store, 'd');
    return { store, key, outcome, records };
  }

  it.each([
    ['gzip', gzipSync(Buffer.from('x,y\n1,2\n')), /gzip/],
    ['binary', Uint8Array.from([0, 1, 2, 3, 255]), /binary|NUL/],
    ['latin-1', Buffer.from('caf\xe9,y\n1,2\n', 'latin1'), /UTF-8/],
    ['1e308', 'x,y\n1,2\n1e308,3\n', /out of range/],
    ['a stray quote', 'x,y\n1,a"b"c\n"2,3\n', /.+/],
  ])('records %s as failed with the reason and removes the raw object', async (_what, bytes, reason) => {
    const { store, key, outcome, records } = await upload(bytes);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toBeInstanceOf(ShardtrainError);
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.state).toBe('failed');
    if (record.state === 'failed') {
      expect(record.error).toMatch(reason);
      expect(record.error.length).toBeLessThanOrEqual(300);
    }
    expect(await store.head(key)).toBeUndefined();
  });

  it('records an unexpected parser error (not one of ours) as failed, not retried', async () => {
    // Prepare: a store whose object stream breaks with a RangeError after the first bytes.
    const base = new MemoryObjectStore();
    const key = 'datasets/d/f.csv';
    await base.put(key, 'x,y\n1,2\n');
    const store = overrideStore(base, {
      getStream: async () =>
        (async function* () {
          yield new TextEncoder().encode('x,y\n');
          throw new RangeError('Invalid array length');
        })(),
    });

    // Act
    const error = await ingestUpload(store, key).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/Invalid array length/);
    const [record] = await listUploads(base, 'd');
    expect(record?.state).toBe('failed');
  });

  it('passes storage errors through (the event is retried) and leaves the record processing', async () => {
    const base = new MemoryObjectStore();
    const key = 'datasets/d/f.csv';
    await base.put(key, 'x,y\n1,2\n');
    const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    const store = overrideStore(base, {
      getStream: async () => {
        throw enospc;
      },
    });
    await expect(ingestUpload(store, key)).rejects.toBe(enospc);
    const [record] = await listUploads(base, 'd');
    expect(record?.state).toBe('processing');
    expect(await base.head(key)).toBeDefined();
  });

  it.each([['datasets/a b/f.csv'], ['datasets/.hidden/f.csv'], ['datasets/a/b/f.csv']])(
    'refuses the key %s with a UsageError',
    async (key) => {
      const store = new MemoryObjectStore();
      await store.put(key, 'x,y\n1,2\n');
      await expect(ingestUpload(store, key)).rejects.toThrow(UsageError);
    },
  );

  describe('Option: etagWhileParsing', () => {
    // The id of an upload is sha256(key + "\n" + etag).slice(0, 16) with etag = MD5 of the
    // bytes; worked out here with node:crypto, not through the code under test.
    const idOf = (key: string, bytes: string) =>
      createHash('sha256')
        .update(`${key}\n${createHash('md5').update(bytes).digest('hex')}`)
        .digest('hex')
        .slice(0, 16);

    it('hashes the bytes while parsing: the id of an MD5 etag, without asking the store', async () => {
      // Prepare: a store that cannot answer head (a copied file the store has not hashed)
      const base = new MemoryObjectStore();
      const key = 'datasets/d/f.csv';
      const bytes = 'x,y\n1,2\n3,4\n';
      await base.put(key, bytes);
      const store = overrideStore(base, {
        head: async () => {
          throw new Error('head must not be called');
        },
      });

      // Act
      const record = await ingestUpload(store, key, { etagWhileParsing: true });

      // Assess: ready, 2 rows, under the id of (key, MD5 of the bytes); no processing record left
      expect(record.state).toBe('ready');
      expect(record.uploadId).toBe(idOf(key, bytes));
      const records = await listUploads(base, 'd');
      expect(records.map((r) => [r.uploadId, r.state])).toEqual([[idOf(key, bytes), 'ready']]);
      if (record.state === 'ready') expect(record.rows).toBe(2);
    });

    it('records a refused file as failed under the same id and removes it', async () => {
      // Prepare: row 3 is ragged
      const store = new MemoryObjectStore();
      const key = 'datasets/d/f.csv';
      const bytes = 'x,y\n1,2\n3\n';
      await store.put(key, bytes);
      const etag = (await store.head(key))!.etag.replace(/"/g, '');

      // Act
      const error = await ingestUpload(store, key, { etagWhileParsing: true }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(DatasetError);
      const records = await listUploads(store, 'd');
      expect(records).toHaveLength(1);
      expect(records[0]?.state).toBe('failed');
      // the parse stopped early, so the id comes from the store's etag (the memory store's is not
      // the MD5 of the bytes alone)
      expect(records[0]?.uploadId).toBe(
        createHash('sha256').update(`${key}\n${etag}`).digest('hex').slice(0, 16),
      );
      expect(await store.head(key)).toBeUndefined();
    });
  });

  it('tells retryable errors from final ones', () => {
    expect(isRetryable(new InfrastructureError('x'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(new DatasetError({ file: 'f' }, 'x'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'CSV_INVALID_OPENING_QUOTE' }))).toBe(false);
    expect(isRetryable(new RangeError('Invalid array length'))).toBe(false);
  });
});

describe('Class: HistogramBuilder, issue 11', () => {
  it('keeps the bucket array bounded for an infinite value (1e308 stored as float32)', () => {
    // Prepare: float32(1e308) is Infinity.
    const h = new HistogramBuilder();
    h.add(1);
    h.add(Math.fround(1e308));

    // Act
    const built = h.build();

    // Assess: the top bucket is that of Number.MAX_VALUE: ceil(ln(MAX_VALUE) / ln(1.01/0.99)).
    const top = Math.ceil(Math.log(Number.MAX_VALUE) / Math.log(1.01 / 0.99));
    expect(built.positive.offset).toBe(0);
    expect(built.positive.counts.length).toBe(top + 1);
    expect(built.positive.counts[top]).toBe(1);
    expect(built.count).toBe(2);
  });
});
