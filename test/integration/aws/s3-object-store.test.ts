/**
 * S3ObjectStore against s3rver over loopback (real SDK, no mocks).
 *
 * s3rver gaps, covered by aws-sdk-client-mock in test/unit/adapters/aws/s3-object-store.test.ts:
 * - it IGNORES `If-None-Match: *` and `If-Match` on PutObject (it always writes), so the 412
 *   paths of `putIfAbsent` and compare-and-set cannot be observed here;
 * - a truncated ListObjectsV2 page makes it answer 500 on Node ≥ 17 (its continuation token uses
 *   DES, which OpenSSL 3 disables), so pagination is covered with the mock too.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MIN_PART_SIZE, S3ObjectStore } from '../../../lib/adapters/aws/index.js';
import { type LocalS3, startS3rver } from '../../support/aws-servers.js';
import { objectStoreConformance } from '../../support/conformance/object-store.js';

const MiB = 1024 * 1024;

let s3: LocalS3;

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  await s3.stop();
});

let conformancePrefixes = 0;
objectStoreConformance('S3ObjectStore (s3rver)', {
  create: () => storeAt(`conformance-${++conformancePrefixes}`),
  conditionalWrites: false,
});

function storeAt(prefix: string): S3ObjectStore {
  return new S3ObjectStore({ bucket: s3.bucket, prefix, client: s3.client, partSize: MIN_PART_SIZE });
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** `count` chunks of `size` bytes; byte i of the whole stream is i mod 251 (a prime, so no chunk repeats). */
async function* patterned(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let c = 0; c < count; c++) {
    const chunk = new Uint8Array(size);
    for (let i = 0; i < size; i++) chunk[i] = (c * size + i) % 251;
    yield chunk;
  }
}

function md5Etag(body: string | Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

describe('Class: S3ObjectStore (s3rver)', () => {
  describe('Method: put / get', () => {
    it('stores a string as UTF-8 and reads it back with its etag', async () => {
      // Prepare
      const store = storeAt('put-get/');

      // Act
      const { etag } = await store.put('a.txt', 'hello', { contentType: 'text/plain' });
      const got = await store.get('a.txt');

      // Assess: a single-part PUT's ETag is the quoted MD5 of the bytes.
      expect(etag).toBe(md5Etag('hello'));
      expect(got?.etag).toBe(etag);
      expect(Buffer.from(got?.body ?? []).toString('utf8')).toBe('hello');
    });

    it('returns undefined for a key that does not exist', async () => {
      const store = storeAt('put-get/');
      expect(await store.get('missing')).toBeUndefined();
      expect(await store.getStream('missing')).toBeUndefined();
      expect(await store.head('missing')).toBeUndefined();
    });

    it('writes under the store prefix', async () => {
      // Prepare
      const store = storeAt('tenant-a/');

      // Act
      await store.put('x.bin', new Uint8Array([1, 2, 3]));
      const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'tenant-a/x.bin' }));

      // Assess
      expect([...(await raw.Body!.transformToByteArray())]).toEqual([1, 2, 3]);
    });

    it('overwrites when ifMatch carries the current etag (the CAS happy path; s3rver ignores If-Match)', async () => {
      // Prepare
      const store = storeAt('cas/');
      const first = await store.put('state.json', '{"round":0}');

      // Act
      const second = await store.put('state.json', '{"round":1}', { ifMatch: first.etag });

      // Assess
      expect(second.etag).toBe(md5Etag('{"round":1}'));
      expect(Buffer.from((await store.get('state.json'))!.body).toString()).toBe('{"round":1}');
    });
  });

  describe('Method: putIfAbsent', () => {
    it('writes a new key and reports it wrote (the 412 path is mocked: s3rver ignores If-None-Match)', async () => {
      const store = storeAt('pia/');
      expect(await store.putIfAbsent('lock', 'owner-1')).toBe(true);
      expect(Buffer.from((await store.get('lock'))!.body).toString()).toBe('owner-1');
    });
  });

  describe('Method: head', () => {
    it('reports the size in bytes, not characters', async () => {
      // Prepare: "héllo" is 5 characters, 6 UTF-8 bytes (é = C3 A9).
      const store = storeAt('head/');
      const before = Date.now();
      const { etag } = await store.put('h.txt', 'héllo');

      // Act
      const info = await store.head('h.txt');

      // Assess: s3rver stores whole seconds, so allow a second of slack on lastModified.
      expect(info).toMatchObject({ key: 'h.txt', size: 6, etag });
      expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });
  });

  describe('Method: getStream', () => {
    it('streams the object body in chunks that concatenate to the stored bytes', async () => {
      // Prepare: 3 × 100 000 bytes = 300 000 bytes, byte i = i mod 251.
      const store = storeAt('stream/');
      const expected = await collect(patterned(3, 100_000));
      await store.put('blob', expected);

      // Act
      const stream = await store.getStream('blob');
      const got = await collect(stream!);

      // Assess
      expect(got.length).toBe(300_000);
      expect(got[250]).toBe(250);
      expect(got[251]).toBe(0);
      expect(got.equals(expected)).toBe(true);
    });
  });

  describe('Method: list', () => {
    it('lists keys under a prefix in lexicographic order, without the store prefix', async () => {
      // Prepare
      const store = storeAt('list/');
      for (const key of ['jobs/b', 'jobs/a/2', 'jobs/a/10', 'other']) await store.put(key, key);

      // Act
      const items = await store.list('jobs/');

      // Assess: '1' (0x31) sorts before '2' (0x32), and 'a/…' before 'b'.
      expect(items.map((i) => i.key)).toEqual(['jobs/a/10', 'jobs/a/2', 'jobs/b']);
      // 'jobs/a/10' is 9 bytes long and was stored as its own body.
      expect(items[0]).toMatchObject({ size: 9, etag: md5Etag('jobs/a/10') });
    });
  });

  describe('Method: delete', () => {
    it('removes the object and ignores a missing key', async () => {
      // Prepare
      const store = storeAt('delete/');
      await store.put('gone', 'x');

      // Act
      await store.delete('gone');
      await store.delete('never-existed');

      // Assess
      expect(await store.get('gone')).toBeUndefined();
      expect(await store.list('')).toEqual([]);
    });
  });

  describe('Method: putStream', () => {
    it('uploads a body over 5 MiB in 5 MiB multipart parts', async () => {
      // Prepare: 11 chunks of 1 MiB = 11 MiB; with 5 MiB parts that is ceil(11 / 5) = 3 parts (5 + 5 + 1).
      const store = storeAt('multipart/');
      const send = vi.spyOn(s3.client, 'send');
      const expectedHash = createHash('sha256')
        .update(await collect(patterned(11, MiB)))
        .digest('hex');

      // Act
      await store.putStream('big.bin', patterned(11, MiB), { contentType: 'application/octet-stream' });
      const parts = send.mock.calls.filter(([command]) => command instanceof UploadPartCommand).length;
      send.mockRestore();
      const info = await store.head('big.bin');
      const got = await collect((await store.getStream('big.bin'))!);

      // Assess
      expect(parts).toBe(3);
      expect(info?.size).toBe(11 * MiB);
      expect(createHash('sha256').update(got).digest('hex')).toBe(expectedHash);
    });

    it('uploads a body under one part with a single PUT', async () => {
      // Prepare
      const store = storeAt('multipart/');
      const send = vi.spyOn(s3.client, 'send');

      // Act
      const { etag } = await store.putStream('small.txt', patterned(1, 1000));
      const parts = send.mock.calls.filter(([command]) => command instanceof UploadPartCommand).length;
      send.mockRestore();

      // Assess
      expect(parts).toBe(0);
      expect(etag).toBe(md5Etag(await collect(patterned(1, 1000))));
    });
  });
});
