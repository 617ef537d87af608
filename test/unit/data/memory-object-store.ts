import { createHash } from 'node:crypto';
import { PreconditionFailedError } from '../../../lib/errors.js';
import type { ObjectBody, ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../../../lib/ports.js';

/** In-memory ObjectStore test double (unit tests only). Records every put and delete. */
export class MemoryObjectStore implements ObjectStore {
  public readonly objects = new Map<string, { body: Uint8Array; etag: string; lastModified: Date }>();
  public readonly puts: string[] = [];
  public readonly deletes: string[] = [];
  /** When set, `put` to a key for which this returns true throws. */
  public failPut: ((key: string) => boolean) | undefined;

  public async get(key: string): Promise<StoredObject | undefined> {
    const o = this.objects.get(key);
    return o === undefined ? undefined : { body: o.body, etag: o.etag };
  }

  public async getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const o = this.objects.get(key);
    if (o === undefined) return undefined;
    const body = o.body;
    return (async function* () {
      yield body;
    })();
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(key);
    return o === undefined
      ? undefined
      : { key, size: o.body.byteLength, etag: o.etag, lastModified: o.lastModified };
  }

  public async put(key: string, body: ObjectBody, options?: PutOptions): Promise<{ etag: string }> {
    if (this.failPut?.(key)) throw new Error(`injected put failure for ${key}`);
    const existing = this.objects.get(key);
    if (options?.ifNoneMatch === '*' && existing !== undefined) throw new PreconditionFailedError(key);
    if (options?.ifMatch !== undefined && existing?.etag !== options.ifMatch)
      throw new PreconditionFailedError(key);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
    const etag = createHash('md5').update(bytes).digest('hex');
    this.objects.set(key, { body: bytes, etag, lastModified: new Date() });
    this.puts.push(key);
    return { etag };
  }

  public async putStream(key: string, body: AsyncIterable<Uint8Array>): Promise<{ etag: string }> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return this.put(key, Buffer.concat(chunks));
  }

  public async putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    if (this.objects.has(key)) return false;
    await this.put(key, body, { ifNoneMatch: '*' });
    return true;
  }

  public async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => {
        const o = this.objects.get(key)!;
        return { key, size: o.body.byteLength, etag: o.etag, lastModified: o.lastModified };
      });
  }

  public async delete(key: string): Promise<void> {
    this.deletes.push(key);
    this.objects.delete(key);
  }

  public keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

/** A CSV string as a byte stream cut into `chunk`-byte pieces (to cross chunk boundaries). */
export async function* csvSource(text: string, chunk = 7): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
}
