import { createHash } from 'node:crypto';
import { PreconditionFailedError } from '../../../lib/errors.js';
import type { ObjectBody, ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../../../lib/ports.js';
import { putIfAbsentVia } from '../../../lib/put-if-absent.js';

interface Entry {
  readonly body: Uint8Array;
  readonly etag: string;
  readonly lastModified: Date;
}

const encoder = new TextEncoder();

/**
 * The durable store of a simulation: an in-memory map with S3's conditional-put semantics (the
 * check and the write are one synchronous step). It never yields on its own; wrap it in
 * {@link LatencyStore} to make every call a scheduling point of a simulated process.
 */
export class SimObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Entry>();
  private sequence = 0;
  /** Conditional puts rejected so far. */
  public preconditionFailures = 0;

  /** @param clock - virtual time in ms, stamped as `lastModified`. */
  public constructor(private readonly clock: () => number = () => 0) {}

  /** Every key, sorted. */
  public keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  public async get(key: string): Promise<StoredObject | undefined> {
    const entry = this.objects.get(key);
    return entry === undefined ? undefined : { body: entry.body.slice(), etag: entry.etag };
  }

  public async getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const found = await this.get(key);
    if (found === undefined) return undefined;
    const body = found.body;
    return (async function* () {
      yield body;
    })();
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    const entry = this.objects.get(key);
    return entry === undefined ? undefined : info(key, entry);
  }

  public async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<{ etag: string }> {
    const existing = this.objects.get(key);
    if (
      (options.ifNoneMatch === '*' && existing !== undefined) ||
      (options.ifMatch !== undefined && existing?.etag !== options.ifMatch)
    ) {
      this.preconditionFailures += 1;
      throw new PreconditionFailedError(key);
    }
    const bytes = typeof body === 'string' ? encoder.encode(body) : body.slice();
    this.sequence += 1;
    const etag = `"${createHash('md5').update(bytes).update(String(this.sequence)).digest('hex')}"`;
    this.objects.set(key, { body: bytes, etag, lastModified: new Date(this.clock()) });
    return { etag };
  }

  public async putStream(key: string, body: AsyncIterable<Uint8Array>): Promise<{ etag: string }> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return this.put(key, Buffer.concat(chunks));
  }

  public putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    return putIfAbsentVia(this, key, body);
  }

  public async list(prefix: string): Promise<ObjectInfo[]> {
    return this.keys()
      .filter((key) => key.startsWith(prefix))
      .map((key) => info(key, this.objects.get(key)!));
  }

  public async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

function info(key: string, entry: Entry): ObjectInfo {
  return { key, size: entry.body.byteLength, etag: entry.etag, lastModified: entry.lastModified };
}

/**
 * A view of a store for one simulated process: each call first waits `delay()` (virtual network
 * latency, a point where other processes interleave), then runs atomically on the base store.
 */
export class LatencyStore implements ObjectStore {
  public constructor(
    private readonly base: ObjectStore,
    private readonly delay: () => Promise<void>,
  ) {}

  public async get(key: string): Promise<StoredObject | undefined> {
    await this.delay();
    return this.base.get(key);
  }

  public async getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    await this.delay();
    return this.base.getStream(key);
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    await this.delay();
    return this.base.head(key);
  }

  public async put(key: string, body: ObjectBody, options?: PutOptions): Promise<{ etag: string }> {
    await this.delay();
    return this.base.put(key, body, options);
  }

  public async putStream(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ etag: string }> {
    await this.delay();
    return this.base.putStream(key, body, options);
  }

  public async putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    await this.delay();
    return this.base.putIfAbsent(key, body);
  }

  public async list(prefix: string): Promise<ObjectInfo[]> {
    await this.delay();
    return this.base.list(prefix);
  }

  public async delete(key: string): Promise<void> {
    await this.delay();
    return this.base.delete(key);
  }
}
