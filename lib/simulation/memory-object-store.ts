import { createHash } from 'node:crypto';
import { PreconditionFailedError } from '../errors.js';
import type { ObjectBody, ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../ports.js';
import { putIfAbsentVia } from '../put-if-absent.js';

interface Entry {
  body: Uint8Array;
  etag: string;
  lastModified: Date;
}

/** Runs once, between a get of `key` and the caller seeing its result: simulates a concurrent writer. */
export type AfterGetHook = (key: string) => Promise<void>;

const encoder = new TextEncoder();

/** Lets other pending promises run, so concurrent callers really interleave their reads and writes. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * THE in-memory ObjectStore of the tests, with S3's conditional-put semantics: `ifNoneMatch: '*'`
 * fails when the key exists, `ifMatch` fails when it is absent or its etag differs; both throw
 * PreconditionFailedError and leave the object unchanged. The check and the write happen in one
 * synchronous step (atomic), while every call yields first so callers interleave. It passes the
 * ObjectStore conformance suite (test/support/conformance/object-store.ts). Records every
 * successful put and every delete; `failPut` injects a put failure.
 */
export class MemoryObjectStore implements ObjectStore {
  public readonly objects = new Map<string, Entry>();
  /** Keys of the puts that succeeded, in order. */
  public readonly puts: string[] = [];
  /** Keys deleted, in order. */
  public readonly deletes: string[] = [];
  /** When set, `put` to a key for which this returns true throws. */
  public failPut: ((key: string) => boolean) | undefined;
  private readonly clock: () => number;
  private readonly interleave: boolean;

  /**
   * @param options.clock - time in ms stamped as `lastModified` (default: the wall clock).
   * @param options.interleave - yield before every call so concurrent callers interleave
   *   (default true); the simulator turns it off and schedules the interleaving itself.
   */
  public constructor(options: { clock?: () => number; interleave?: boolean } = {}) {
    this.clock = options.clock ?? Date.now;
    this.interleave = options.interleave ?? true;
  }

  private readonly afterGetHooks = new Map<string, AfterGetHook>();
  private sequence = 0;
  /** Conditional puts rejected so far (for asserting that retries happened). */
  public preconditionFailures = 0;

  /** Registers a one-shot hook that runs after the next get of `key` has read its value. */
  public onceAfterGet(key: string, hook: AfterGetHook): void {
    this.afterGetHooks.set(key, hook);
  }

  public keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  public async get(key: string): Promise<StoredObject | undefined> {
    if (this.interleave) await tick();
    const entry = this.objects.get(key);
    const result = entry === undefined ? undefined : { body: entry.body.slice(), etag: entry.etag };
    const hook = this.afterGetHooks.get(key);
    if (hook !== undefined) {
      this.afterGetHooks.delete(key);
      await hook(key);
    }
    return result;
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
    if (this.interleave) await tick();
    const entry = this.objects.get(key);
    return entry === undefined ? undefined : info(key, entry);
  }

  public async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<{ etag: string }> {
    if (this.interleave) await tick();
    if (this.failPut?.(key)) throw new Error(`injected put failure for ${key}`);
    const existing = this.objects.get(key);
    if (options.ifNoneMatch === '*' && existing !== undefined) return this.reject(key);
    if (options.ifMatch !== undefined && existing?.etag !== options.ifMatch) return this.reject(key);
    const bytes = typeof body === 'string' ? encoder.encode(body) : body.slice();
    this.sequence += 1;
    // The sequence number makes rewriting identical bytes still change the etag's uniqueness per write.
    const etag = `"${createHash('md5').update(bytes).update(String(this.sequence)).digest('hex')}"`;
    this.objects.set(key, { body: bytes, etag, lastModified: new Date(this.clock()) });
    this.puts.push(key);
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
    if (this.interleave) await tick();
    return this.keys()
      .filter((key) => key.startsWith(prefix))
      .map((key) => info(key, this.objects.get(key)!));
  }

  public async delete(key: string): Promise<void> {
    if (this.interleave) await tick();
    this.deletes.push(key);
    this.objects.delete(key);
  }

  private reject(key: string): never {
    this.preconditionFailures += 1;
    throw new PreconditionFailedError(key);
  }
}

function info(key: string, entry: Entry): ObjectInfo {
  return { key, size: entry.body.byteLength, etag: entry.etag, lastModified: entry.lastModified };
}

/** A store that forwards to `base` except for the methods in `overrides` (to inject faults). */
export function overrideStore(base: ObjectStore, overrides: Partial<ObjectStore>): ObjectStore {
  return {
    get: (key) => base.get(key),
    getStream: (key) => base.getStream(key),
    head: (key) => base.head(key),
    put: (key, body, options) => base.put(key, body, options),
    putStream: (key, body, options) => base.putStream(key, body, options),
    putIfAbsent: (key, body) => base.putIfAbsent(key, body),
    list: (prefix) => base.list(prefix),
    delete: (key) => base.delete(key),
    ...overrides,
  };
}

/** A CSV string as a byte stream cut into `chunk`-byte pieces (to cross chunk boundaries). */
export async function* csvSource(text: string, chunk = 7): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
}
