import type { ObjectBody, ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../ports.js';
import { MemoryObjectStore } from './memory-object-store.js';

/**
 * The durable store of a simulation: the tests' in-memory store with S3's conditional-put
 * semantics (the check and the write are one synchronous step), stamped with virtual time. It
 * never yields on its own; wrap it in {@link LatencyStore} to make every call a scheduling point
 * of a simulated process.
 */
export class SimObjectStore extends MemoryObjectStore {
  /** @param clock - virtual time in ms, stamped as `lastModified`. */
  public constructor(clock: () => number = () => 0) {
    super({ clock, interleave: false });
  }
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
