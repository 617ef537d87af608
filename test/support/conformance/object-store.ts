import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../../lib/errors.js';
import type { ObjectStore } from '../../../lib/ports.js';

/** How to get a fresh, empty store of one adapter, and what that adapter can honour. */
export interface ObjectStoreSubject {
  /** A new, empty store (its own folder, bucket prefix, ...). */
  create(): Promise<ObjectStore> | ObjectStore;
  /** Removes what `create` made. */
  destroy?(store: ObjectStore): Promise<void> | void;
  /**
   * Whether the backend enforces `ifNoneMatch` / `ifMatch` (s3rver ignores both; the S3 adapter's
   * mapping of 412/409/404 is tested with a mocked client instead). Default true.
   */
  readonly conditionalWrites?: boolean;
}

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

/**
 * The ObjectStore port's contract (lib/ports.ts), run against every adapter: reads of absent
 * keys, round trips, sizes in bytes, sorted listing under a prefix, streams, deletes, and the
 * conditional writes the coordinator and the registry rely on (put-if-absent, compare-and-set).
 */
export function objectStoreConformance(name: string, subject: ObjectStoreSubject): void {
  const conditional = subject.conditionalWrites ?? true;

  describe(`ObjectStore conformance: ${name}`, () => {
    let store: ObjectStore;
    beforeEach(async () => {
      store = await subject.create();
    });
    afterEach(async () => {
      await subject.destroy?.(store);
    });

    it('reads an absent key as undefined (get, getStream, head)', async () => {
      expect(await store.get('nothing/here.json')).toBeUndefined();
      expect(await store.getStream('nothing/here.json')).toBeUndefined();
      expect(await store.head('nothing/here.json')).toBeUndefined();
    });

    it('reads back what was put, with the etag put returned, and the size in bytes', async () => {
      // "é" and "€" are 2 and 3 bytes in UTF-8: 1 + 2 + 3 = 6 bytes for 3 characters
      const { etag } = await store.put('a/doc.txt', 'aé€');

      const got = await store.get('a/doc.txt');
      const info = await store.head('a/doc.txt');

      expect(text(got?.body)).toBe('aé€');
      expect(got?.etag).toBe(etag);
      expect(info?.size).toBe(6);
      expect(info?.etag).toBe(etag);
    });

    it('lists the keys under a prefix in ascending order, nothing outside it', async () => {
      for (const key of ['p/b', 'p/a', 'p/c/d', 'q/a', 'pa']) await store.put(key, 'x');

      const keys = (await store.list('p/')).map((o) => o.key);

      expect(keys).toEqual(['p/a', 'p/b', 'p/c/d']);
    });

    it('writes a stream and streams it back whole', async () => {
      await store.putStream('s/blob', chunks('abc', 'def', 'g'));

      const stream = await store.getStream('s/blob');
      const parts: Uint8Array[] = [];
      for await (const part of stream!) parts.push(part);

      expect(Buffer.concat(parts).toString('utf8')).toBe('abcdefg');
      expect((await store.head('s/blob'))?.size).toBe(7);
    });

    it('deletes an object, and deleting an absent key succeeds', async () => {
      await store.put('d/k', 'x');

      await store.delete('d/k');
      await store.delete('d/never');

      expect(await store.get('d/k')).toBeUndefined();
      expect(await store.list('d/')).toEqual([]);
    });

    it('putIfAbsent writes a new key and reports that it wrote', async () => {
      expect(await store.putIfAbsent('once', 'first')).toBe(true);
      expect(text((await store.get('once'))?.body)).toBe('first');
    });

    it.runIf(conditional)('putIfAbsent leaves an existing object alone and reports false', async () => {
      await store.put('once', 'first');

      expect(await store.putIfAbsent('once', 'second')).toBe(false);
      expect(text((await store.get('once'))?.body)).toBe('first');
    });

    it.runIf(conditional)(
      'put with ifNoneMatch "*" fails with PreconditionFailedError when the key exists',
      async () => {
        await store.put('lease', 'first');

        await expect(store.put('lease', 'second', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
          PreconditionFailedError,
        );
        expect(text((await store.get('lease'))?.body)).toBe('first');
      },
    );

    it('put with ifMatch overwrites the version it was given', async () => {
      const first = await store.put('state', 'abc');

      await store.put('state', 'message digest', { ifMatch: first.etag });

      expect(text((await store.get('state'))?.body)).toBe('message digest');
    });

    it.runIf(conditional)('put with ifMatch fails on a stale etag and on an absent key', async () => {
      const first = await store.put('state', 'abc');
      await store.put('state', 'message digest', { ifMatch: first.etag });

      await expect(store.put('state', 'lost', { ifMatch: first.etag })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      await expect(store.put('absent', 'x', { ifMatch: first.etag })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(text((await store.get('state'))?.body)).toBe('message digest');
      expect(await store.get('absent')).toBeUndefined();
    });

    it.runIf(conditional)('lets exactly one of 20 concurrent putIfAbsent writers win', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, writer) => store.putIfAbsent('winner', `writer ${writer}`)),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(text((await store.get('winner'))?.body)).toBe(`writer ${results.indexOf(true)}`);
    });
  });
}
