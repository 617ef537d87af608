import type { ObjectBody, ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../ports.js';
import type { S3RequestClass, S3RequestRate } from './s3-request-rate.js';

/** S3 request counts of a simulated run (what the requests cost). */
export interface S3Requests {
  get: number;
  head: number;
  put: number;
  list: number;
  delete: number;
  /** GETs of dataset shards (a worker instance without its partition cached). */
  shardGet: number;
}

/** What a {@link MeteredStore} needs from the simulated world. */
export interface MeteredStoreWorld {
  /** Parks the calling process for `seconds` of virtual time. */
  readonly wait: (seconds: number) => Promise<void>;
  readonly now: () => number;
  /** Latency draw of one request of this kind, seconds. */
  readonly latency: (kind: 'get' | 'head' | 'put') => number;
  readonly rate: S3RequestRate;
  readonly requests: S3Requests;
  /** Bytes per second of one process's transfers (0: latency only). */
  readonly bytesPerSecond: number;
  /**
   * Whether `key` is a dataset shard: its GETs are counted as shard loads and reported through
   * `onShardGet`, and their transfer is left to the caller (who knows the partition's share).
   */
  readonly isDataset: (key: string) => boolean;
  readonly onShardGet: () => void;
  /** Called with the seconds each transfer takes. */
  readonly onTransfer: (seconds: number) => void;
}

const byteLength = (body: ObjectBody): number =>
  typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;

/**
 * One simulated process's view of the durable store, priced as S3: every call waits its prefix's
 * request rate, then a latency drawn for its kind (GET, HEAD, PUT; LIST as a GET, DELETE as a PUT),
 * then the transfer time of its bytes, and only then runs atomically on the base store.
 */
export class MeteredStore implements ObjectStore {
  public constructor(
    private readonly base: ObjectStore,
    private readonly world: MeteredStoreWorld,
  ) {}

  public async get(key: string): Promise<StoredObject | undefined> {
    await this.request('get', 'get', key);
    if (this.world.isDataset(key)) {
      this.world.requests.shardGet++;
      this.world.onShardGet();
    }
    const got = await this.base.get(key);
    if (got !== undefined) await this.transfer(key, got.body.byteLength);
    return got;
  }

  public async getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const got = await this.get(key);
    if (got === undefined) return undefined;
    const body = got.body;
    return (async function* () {
      yield body;
    })();
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    await this.request('head', 'get', key);
    return this.base.head(key);
  }

  public async put(key: string, body: ObjectBody, options?: PutOptions): Promise<{ etag: string }> {
    await this.request('put', 'put', key);
    await this.transfer(key, byteLength(body));
    return this.base.put(key, body, options);
  }

  public async putStream(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ etag: string }> {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    return this.put(key, Buffer.concat(chunks), options);
  }

  public async putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    await this.request('put', 'put', key);
    await this.transfer(key, byteLength(body));
    return this.base.putIfAbsent(key, body);
  }

  public async list(prefix: string): Promise<ObjectInfo[]> {
    await this.request('list', 'get', prefix);
    return this.base.list(prefix);
  }

  public async delete(key: string): Promise<void> {
    await this.request('delete', 'put', key);
    return this.base.delete(key);
  }

  private async request(kind: keyof S3Requests, cls: S3RequestClass, key: string): Promise<void> {
    const w = this.world;
    w.requests[kind]++;
    const throttled = w.rate.admit(cls, key, w.now());
    const latency = w.latency(kind === 'head' ? 'head' : kind === 'get' || kind === 'list' ? 'get' : 'put');
    await w.wait(throttled + latency);
  }

  private async transfer(key: string, bytes: number): Promise<void> {
    const w = this.world;
    if (w.bytesPerSecond <= 0 || bytes === 0 || w.isDataset(key)) return;
    const seconds = bytes / w.bytesPerSecond;
    w.onTransfer(seconds);
    await w.wait(seconds);
  }
}
