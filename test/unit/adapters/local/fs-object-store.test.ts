import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../../lib/adapters/local/fs-object-store.js';
import { PreconditionFailedError, UsageError } from '../../../../lib/errors.js';
import { objectStoreConformance } from '../../../support/conformance/object-store.js';

// MD5 test vectors from RFC 1321 appendix A.5 (computed independently of this code).
const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72'; // md5("abc")
const MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e'; // md5("")
const MD5_MESSAGE_DIGEST = 'f96b697d7cb7938d525a2f31aaf161d0'; // md5("message digest")

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

// The port's contract (conditional writes, listing, streams) is the shared suite; the tests below
// are this adapter's own: MD5 etags, key checks, lock files, atomic publication.
objectStoreConformance('FsObjectStore (files)', {
  create: async () => new FsObjectStore({ root: await mkdtemp(path.join(tmpdir(), 'fs-conf-')) }),
  destroy: (s) => rm((s as FsObjectStore).root, { recursive: true, force: true }),
});

describe('Class: FsObjectStore', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fs-store-'));
    store = new FsObjectStore({ root });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('Method: put', () => {
    it('writes the bytes to <root>/<key> and returns the MD5 hex as etag', async () => {
      // Act
      const { etag } = await store.put('datasets/iris/data.csv', 'abc');

      // Assess
      expect(etag).toBe(MD5_ABC);
      expect(await readFile(path.join(root, 'datasets', 'iris', 'data.csv'), 'utf8')).toBe('abc');
    });

    it('gives the same etag from put, get, head and list', async () => {
      // Act
      const put = await store.put('a/b', new Uint8Array([]));
      const got = await store.get('a/b');
      const head = await store.head('a/b');
      const listed = await store.list('a/');

      // Assess
      expect([put.etag, got?.etag, head?.etag, listed[0]?.etag]).toEqual([
        MD5_EMPTY,
        MD5_EMPTY,
        MD5_EMPTY,
        MD5_EMPTY,
      ]);
    });

    it('computes the etag of a file written by someone else from its bytes', async () => {
      // Prepare: a user copies a file into the tree by hand.
      await writeFile(path.join(root, 'hand-made'), 'message digest');

      // Act
      const head = await store.head('hand-made');

      // Assess
      expect(head).toMatchObject({ key: 'hand-made', size: 14, etag: MD5_MESSAGE_DIGEST });
    });

    it('rejects keys that could escape the root or are not plain', async () => {
      // Act / Assess
      for (const key of [
        '',
        '/etc/passwd',
        '../x',
        'a/../../x',
        'a//b',
        'a/',
        './a',
        'a\\b',
        'x.st-lock',
        'y.st-tmp',
      ]) {
        await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(UsageError);
      }
      expect(await readdir(root)).toEqual([]);
    });

    it('with ifMatch overwrites only the version it was given', async () => {
      // Prepare
      const first = await store.put('state', 'abc');

      // Act
      const second = await store.put('state', 'message digest', { ifMatch: first.etag });
      const stale = store.put('state', 'lost', { ifMatch: first.etag });

      // Assess
      expect(second.etag).toBe(MD5_MESSAGE_DIGEST);
      await expect(stale).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(text((await store.get('state'))?.body)).toBe('message digest');
    });

    it('breaks a lock left by a crashed writer once it is older than staleLockMs', async () => {
      // Prepare: a lock file last touched 60 s ago, with staleLockMs = 1 s
      const patient = new FsObjectStore({ root, staleLockMs: 1000, lockTimeoutMs: 5000 });
      const first = await patient.put('state', 'abc');
      const lock = path.join(root, 'state.st-lock');
      await writeFile(lock, '99999\n');
      const minuteAgo = new Date(Date.now() - 60_000);
      await utimes(lock, minuteAgo, minuteAgo);

      // Act
      const second = await patient.put('state', 'message digest', { ifMatch: first.etag });

      // Assess
      expect(second.etag).toBe(MD5_MESSAGE_DIGEST);
      expect(await readdir(root)).toEqual(['state']);
    });

    it('leaves no temp or lock files behind', async () => {
      // Act
      await store.put('k', 'abc');
      await store.put('k', 'abc', { ifMatch: MD5_ABC });
      await store.putIfAbsent('k', 'abc');

      // Assess
      expect(await readdir(root)).toEqual(['k']);
    });
  });

  describe('Method: putIfAbsent (empty marker)', () => {
    it('creates an empty object once, in a new folder, with the MD5 of no bytes as its etag', async () => {
      // Act
      const first = await store.putIfAbsent('jobs/j1/fanout/3', '');
      const again = await store.putIfAbsent('jobs/j1/fanout/3', '');
      const withBytes = await store.putIfAbsent('jobs/j1/fanout/3', 'abc');

      // Assess: RFC 1321's test suite gives MD5("") = d41d8cd98f00b204e9800998ecf8427e
      expect([first, again, withBytes]).toEqual([true, false, false]);
      expect(await store.head('jobs/j1/fanout/3')).toMatchObject({
        size: 0,
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
      });
      expect((await store.get('jobs/j1/fanout/3'))?.body.byteLength).toBe(0);
      expect(await readdir(path.join(root, 'jobs/j1/fanout'))).toEqual(['3']);
    });
  });

  describe('Method: putStream', () => {
    it('writes all chunks and returns the etag of the whole content', async () => {
      // Act: "message" + " " + "digest" = "message digest"
      const { etag } = await store.putStream('streamed', chunks('message', ' ', 'digest'));

      // Assess
      expect(etag).toBe(MD5_MESSAGE_DIGEST);
      expect((await store.head('streamed'))?.size).toBe(14);
    });

    it('publishes nothing when the stream fails half way', async () => {
      // Prepare
      async function* failing(): AsyncIterable<Uint8Array> {
        yield new TextEncoder().encode('half');
        throw new Error('network gone');
      }

      // Act / Assess
      await expect(store.putStream('broken', failing())).rejects.toThrow();
      expect(await store.get('broken')).toBeUndefined();
      expect(await readdir(root)).toEqual([]);
    });
  });

  describe('Method: putFile', () => {
    it('copies a local file in, and the first head computes its MD5 etag from the bytes', async () => {
      // Prepare: a file outside the store holding "message digest" (RFC 1321 vector)
      const source = path.join(root, '..', `${path.basename(root)}-source.txt`);
      await writeFile(source, 'message digest');

      try {
        // Act
        const { size } = await store.putFile('datasets/d/f.csv', source);

        // Assess: 14 bytes, the same content, the etag of a put of the same bytes
        expect(size).toBe(14);
        expect(text((await store.get('datasets/d/f.csv'))?.body)).toBe('message digest');
        expect((await store.head('datasets/d/f.csv'))?.etag).toBe(MD5_MESSAGE_DIGEST);
      } finally {
        await rm(source, { force: true });
      }
    });

    it('replaces an object put before, whose cached etag no longer applies', async () => {
      // Prepare
      const source = path.join(root, '..', `${path.basename(root)}-source.txt`);
      await writeFile(source, 'abc');
      await store.put('k', 'message digest');

      try {
        // Act
        await store.putFile('k', source);

        // Assess
        expect((await store.head('k'))?.etag).toBe(MD5_ABC);
        expect(await readdir(root)).toEqual(['k']);
      } finally {
        await rm(source, { force: true });
      }
    });

    it('publishes nothing and leaves no temp file when the source cannot be read', async () => {
      // Act / Assess
      await expect(store.putFile('datasets/d/f.csv', path.join(root, 'missing.csv'))).rejects.toThrow(
        /cannot write object "datasets\/d\/f.csv"/,
      );
      expect(await store.head('datasets/d/f.csv')).toBeUndefined();
      expect(await readdir(path.join(root, 'datasets', 'd'))).toEqual([]);
    });
  });

  describe('Method: getStream', () => {
    it('streams the stored bytes, and is undefined for a missing key', async () => {
      // Prepare
      await store.put('s', 'abc');

      // Act
      const stream = await store.getStream('s');
      const parts: Uint8Array[] = [];
      for await (const part of stream ?? []) parts.push(part);

      // Assess
      expect(Buffer.concat(parts).toString('utf8')).toBe('abc');
      expect(await store.getStream('nope')).toBeUndefined();
    });
  });

  describe('Method: get', () => {
    it('returns undefined for a missing key or a key under a missing folder', async () => {
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.get('no/such/folder')).toBeUndefined();
      expect(await store.head('no/such/folder')).toBeUndefined();
    });
  });

  describe('Method: list', () => {
    it('lists recursively under a prefix, sorted by UTF-8 bytes, with sizes', async () => {
      // Prepare: "é" is U+00E9 (UTF-8 C3 A9) and "😀" is U+1F600 (UTF-8 F0 9F 98 80, UTF-16 D83D DE00);
      // "ｚ" is U+FF5A (UTF-8 EF BD 9A, UTF-16 FF5A). UTF-16 order would put 😀 before ｚ, UTF-8 after.
      for (const key of [
        'grads/1/b',
        'grads/1/a',
        'grads/10/a',
        'grads/1/é',
        'grads/1/😀',
        'grads/1/ｚ',
        'params/0',
      ]) {
        await store.put(key, 'abc');
      }

      // Act
      const listed = await store.list('grads/1/');
      const partial = await store.list('grads/1');
      const all = await store.list('');

      // Assess
      expect(listed.map((info) => info.key)).toEqual([
        'grads/1/a',
        'grads/1/b',
        'grads/1/é',
        'grads/1/ｚ',
        'grads/1/😀',
      ]);
      expect(listed.every((info) => info.size === 3 && info.etag === MD5_ABC)).toBe(true);
      // A prefix need not end at a "/": "grads/1" also matches "grads/10/a", and sorts it after "grads/1/…"
      // because "/" (0x2F) < "0" (0x30).
      expect(partial.map((info) => info.key).slice(-1)).toEqual(['grads/10/a']);
      expect(partial).toHaveLength(6);
      expect(all).toHaveLength(7);
      expect(await store.list('nothing/here/')).toEqual([]);
    });
  });

  describe('Method: delete', () => {
    it('removes the object, and deleting a missing key succeeds', async () => {
      // Prepare
      await store.put('a/b', 'abc');

      // Act
      await store.delete('a/b');
      await store.delete('a/b');
      await store.delete('never/existed');

      // Assess
      expect(await store.get('a/b')).toBeUndefined();
      expect(await store.list('')).toEqual([]);
    });
  });
});
