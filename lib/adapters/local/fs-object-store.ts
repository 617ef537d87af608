import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  type Dirent,
  promises as fs,
  constants as fsConstants,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InfrastructureError, PreconditionFailedError, UsageError } from '../../errors.js';
import type { ObjectBody, ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../../ports.js';
import { putIfAbsentVia } from '../../put-if-absent.js';
import { withFileLock } from './file-lock.js';
import { isReservedName, keyToPath, LOCK_SUFFIX, prefixToDirectory, TEMP_SUFFIX } from './object-key.js';

/** Options of {@link FsObjectStore}. */
export interface FsObjectStoreOptions {
  /** Directory that holds the objects; created on first write. Key `a/b` is the file `<root>/a/b`. */
  readonly root: string;
  /**
   * `fsync` each object before renaming it into place, so a write survives a power cut, not just
   * a process crash (the rename alone already guarantees readers never see half a file).
   * @default false
   */
  readonly fsync?: boolean;
  /**
   * A lock file older than this belongs to a crashed writer and is broken.
   * @default 10_000
   */
  readonly staleLockMs?: number;
  /**
   * How long a conditional write waits for the key's lock before failing.
   * @default 30_000
   */
  readonly lockTimeoutMs?: number;
}

/** A written temp file: its path, etag and the signature of its inode (unchanged by rename). */
interface TempFile {
  readonly tempPath: string;
  readonly etag: string;
  readonly signature: string;
}

/** A temp file copied in by the kernel: no etag yet (the first `head` hashes it). */
type CopiedTempFile = Pick<TempFile, 'tempPath'> & Partial<Omit<TempFile, 'tempPath'>>;

const md5Hex = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** The etag (MD5) of an empty object. */
const EMPTY_ETAG = md5Hex(new Uint8Array(0));

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Objects up to this size are read and written with synchronous calls: a job's round writes a
 * handful of files of a few hundred bytes, where each trip through libuv's thread pool (shared
 * by every thread of the process, and slow to come back on a busy machine) costs far more than
 * the system call itself. Bigger objects (datasets, partitions) keep the asynchronous calls.
 */
const SMALL_OBJECT_BYTES = 64 * 1024;

/** Identifies one version of a file: every write creates a new inode, so this changes with content. */
const ETAG_CACHE = new Map<string, { signature: string; etag: string }>();

/**
 * Entries kept in {@link ETAG_CACHE}, least recently set out first: a long job writes several
 * objects per round, and an unbounded map grew the process by their paths for as long as it ran.
 */
const ETAG_CACHE_ENTRIES = 4096;

function rememberEtag(filePath: string, entry: { signature: string; etag: string }): void {
  ETAG_CACHE.delete(filePath);
  ETAG_CACHE.set(filePath, entry);
  if (ETAG_CACHE.size > ETAG_CACHE_ENTRIES) ETAG_CACHE.delete(ETAG_CACHE.keys().next().value!);
}

function signatureOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

function toBytes(body: ObjectBody): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/**
 * The whole file with its signature when it is at most {@link SMALL_OBJECT_BYTES}, read with
 * synchronous calls from one descriptor; `undefined` when it is bigger (read it asynchronously).
 * Throws the file system's error (`ENOENT` for a missing file).
 */
function readSmallFile(filePath: string): { body: Buffer; signature: string } | undefined {
  const fd = openSync(filePath, 'r');
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw Object.assign(new Error(`${filePath} is not a file`), { code: 'EISDIR' });
    if (stats.size > SMALL_OBJECT_BYTES) return undefined;
    const body = Buffer.allocUnsafe(stats.size);
    let at = 0;
    while (at < body.byteLength) {
      const n = readSync(fd, body, at, body.byteLength - at, null);
      if (n === 0) break;
      at += n;
    }
    return { body: at === body.byteLength ? body : body.subarray(0, at), signature: signatureOf(stats) };
  } finally {
    closeSync(fd);
  }
}

/** Compares keys by their UTF-8 bytes, the order S3 lists them in. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * `ObjectStore` over a directory tree: the laptop stand-in for S3.
 *
 * - Every write goes to a temp file in the target's directory and is renamed into place, so a
 *   reader sees the old object or the new one, never half of one, even if the writer is killed.
 * - `etag` is the MD5 hex of the content (like a single-part S3 upload). It is recomputed from the
 *   bytes and cached per inode, so every process computes the same etag for the same version.
 * - `ifNoneMatch: '*'` publishes with `link(temp, final)`, which the kernel fails with `EEXIST`
 *   when the key exists: atomic across processes.
 * - `ifMatch`, unconditional puts and deletes take a per-key lock file (`<file>.st-lock`, created
 *   with `O_EXCL`; broken after `staleLockMs` if its holder died) around the check-and-rename, so
 *   compare-and-set is atomic across processes. Bytes are written before the lock is taken, so
 *   the lock is held for a `stat` and a `rename` only.
 *
 * Unlike S3, a key cannot be both an object and a "folder" (`a` and `a/b`): the second write
 * fails with `InfrastructureError`. Empty directories left by deletes are not removed.
 *
 * @example
 * ```ts
 * const store = new FsObjectStore({ root: '.shardtrain/objects' });
 * const { etag } = await store.put('jobs/j1/state.json', '{"round":0}');
 * await store.put('jobs/j1/state.json', '{"round":1}', { ifMatch: etag }); // CAS
 * const won = await store.putIfAbsent('jobs/j1/lease', 'me');
 * ```
 */
export class FsObjectStore implements ObjectStore {
  public readonly root: string;
  private readonly fsync: boolean;
  private readonly lockOptions: { staleMs: number; timeoutMs: number };
  /**
   * Shared by every store in the process (the CLI, the local cloud and its handlers each open
   * one over the same files): an uploaded CSV is MD5-hashed once, not once per store. Entries
   * are keyed by path and checked against the file's dev:ino:size:mtime, so sharing is safe.
   */
  private readonly etagCache = ETAG_CACHE;

  public constructor(options: FsObjectStoreOptions) {
    this.root = path.resolve(options.root);
    this.fsync = options.fsync ?? false;
    this.lockOptions = { staleMs: options.staleLockMs ?? 10_000, timeoutMs: options.lockTimeoutMs ?? 30_000 };
  }

  public async get(key: string): Promise<StoredObject | undefined> {
    const filePath = keyToPath(this.root, key);
    let body: Buffer;
    try {
      body = readSmallFile(filePath)?.body ?? (await fs.readFile(filePath));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw this.failure('read', key, error);
    }
    return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), etag: md5Hex(body) };
  }

  public async getStream(key: string): Promise<Readable | undefined> {
    const filePath = keyToPath(this.root, key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(filePath, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw this.failure('open', key, error);
    }
    // Reading from the open handle keeps this version even if a writer renames a new one in.
    // 1 MiB reads: the CSV scanner and the hashes cost per chunk, not only per byte.
    return handle.createReadStream({ autoClose: true, highWaterMark: 1024 * 1024 });
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    const filePath = keyToPath(this.root, key);
    return this.infoOf(key, filePath).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
      throw this.failure('stat', key, error);
    });
  }

  public async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<{ etag: string }> {
    const filePath = keyToPath(this.root, key);
    if (options.ifNoneMatch !== undefined && options.ifMatch !== undefined) {
      throw new UsageError(`put "${key}": pass ifNoneMatch or ifMatch, not both`);
    }
    const bytes = toBytes(body);
    const temp =
      bytes.byteLength <= SMALL_OBJECT_BYTES
        ? this.writeSmallTemp(key, filePath, bytes)
        : await this.writeTemp(key, filePath, async (handle) => {
            await handle.writeFile(bytes);
            return md5Hex(bytes);
          });
    await this.publish(key, filePath, temp, options);
    return { etag: temp.etag };
  }

  public async putStream(
    key: string,
    body: AsyncIterable<Uint8Array>,
    _options: { contentType?: string } = {},
  ): Promise<{ etag: string }> {
    const filePath = keyToPath(this.root, key);
    const temp = await this.writeTemp(key, filePath, async (handle) => {
      const hash = createHash('md5');
      for await (const chunk of body) {
        hash.update(chunk);
        await handle.write(chunk);
      }
      return hash.digest('hex');
    });
    await this.publish(key, filePath, temp, {});
    return { etag: temp.etag };
  }

  /**
   * Stores the local file `source` as `key` with one `copyFile` (a reflink where the file system
   * has them, else a copy inside the kernel) instead of streaming it through this process, and
   * without hashing it: the etag (MD5) is computed by the first `head` or `list` of the key, if
   * any (the in-process ingest hashes the bytes in the same pass as parsing them instead).
   * Resolves with the stored size.
   */
  public async putFile(key: string, source: string): Promise<{ size: number }> {
    const filePath = keyToPath(this.root, key);
    await this.ensureDirectory(key, path.dirname(filePath));
    const tempPath = `${filePath}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`;
    let size: number;
    try {
      await fs.copyFile(source, tempPath, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
      const handle = await fs.open(tempPath, 'r');
      try {
        if (this.fsync) await handle.sync();
        size = (await handle.stat()).size;
      } finally {
        await handle.close();
      }
    } catch (error) {
      await fs.unlink(tempPath).catch(() => undefined);
      throw this.failure('write', key, error);
    }
    await this.publish(key, filePath, { tempPath }, {});
    return { size };
  }

  public putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    if (toBytes(body).byteLength === 0) return Promise.resolve(this.createEmpty(key));
    return putIfAbsentVia(this, key, body);
  }

  /**
   * Put-if-absent of an empty object (a marker: a round's fan-out, a job's registration) with
   * one exclusive create of the file itself: with no bytes to write, nobody can see half of it,
   * so the temp file, link and unlink of other writes are not needed.
   */
  private createEmpty(key: string): boolean {
    const filePath = keyToPath(this.root, key);
    let fd: number | undefined;
    try {
      try {
        fd = openSync(filePath, 'wx');
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        mkdirSync(path.dirname(filePath), { recursive: true });
        fd = openSync(filePath, 'wx');
      }
      if (this.fsync) fsyncSync(fd);
      rememberEtag(filePath, { signature: signatureOf(fstatSync(fd)), etag: EMPTY_ETAG });
      return true;
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw this.failure('write', key, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  public async list(prefix: string): Promise<ObjectInfo[]> {
    const directory = prefixToDirectory(prefix);
    const keys: string[] = [];
    await this.walk(directory, keys);
    const matching = keys.filter((key) => key.startsWith(prefix)).sort(compareUtf8);
    const infos = await Promise.all(
      matching.map((key) =>
        this.infoOf(key, keyToPath(this.root, key)).catch((error: unknown) => {
          // Deleted between the directory walk and the stat: not listed, as on S3.
          if (errorCode(error) === 'ENOENT') return undefined;
          throw this.failure('stat', key, error);
        }),
      ),
    );
    return infos.filter((info): info is ObjectInfo => info !== undefined);
  }

  public async delete(key: string): Promise<void> {
    const filePath = keyToPath(this.root, key);
    await withFileLock(`${filePath}${LOCK_SUFFIX}`, this.lockOptions, async () => {
      await fs.unlink(filePath).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw this.failure('delete', key, error);
      });
      this.etagCache.delete(filePath);
    }).catch((error: unknown) => {
      // No directory means no object: deleting a missing key succeeds, as on S3.
      if (errorCode((error as { cause?: unknown }).cause) === 'ENOENT') return;
      throw error;
    });
  }

  private async walk(relativeDirectory: string, out: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(this.root, ...relativeDirectory.split('/')), {
        withFileTypes: true,
      });
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
      throw new InfrastructureError(`cannot list ${relativeDirectory || this.root}`, { cause: error });
    }
    for (const entry of entries) {
      if (isReservedName(entry.name)) continue;
      const key = relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`;
      if (entry.isDirectory()) await this.walk(key, out);
      else if (entry.isFile()) out.push(key);
    }
  }

  private async infoOf(key: string, filePath: string): Promise<ObjectInfo> {
    // A stat costs microseconds: made synchronously, it saves a trip through the thread pool.
    const stats = statSync(filePath);
    if (!stats.isFile()) {
      throw Object.assign(new Error(`${filePath} is not a file`), { code: 'ENOENT' });
    }
    const signature = signatureOf(stats);
    const cached = this.etagCache.get(filePath);
    const etag = cached?.signature === signature ? cached.etag : await this.hashFile(filePath, signature);
    return { key, size: stats.size, etag, lastModified: stats.mtime };
  }

  /** Hashes the file from one open handle and caches the etag only if the inode did not change. */
  private async hashFile(filePath: string, expectedSignature: string): Promise<string> {
    const small = readSmallFile(filePath);
    if (small !== undefined) {
      const etag = md5Hex(small.body);
      if (small.signature === expectedSignature) rememberEtag(filePath, { signature: small.signature, etag });
      return etag;
    }
    const handle = await fs.open(filePath, 'r');
    try {
      const signature = signatureOf(await handle.stat());
      const hash = createHash('md5');
      for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
      const etag = hash.digest('hex');
      if (signature === expectedSignature) rememberEtag(filePath, { signature, etag });
      return etag;
    } finally {
      await handle.close();
    }
  }

  private async ensureDirectory(key: string, directory: string): Promise<void> {
    try {
      await fs.mkdir(directory, { recursive: true });
    } catch (error) {
      throw this.failure('create the folder for', key, error);
    }
  }

  /** {@link FsObjectStore.writeTemp} for a small body, with synchronous calls. */
  private writeSmallTemp(key: string, filePath: string, bytes: Uint8Array): TempFile {
    const tempPath = `${filePath}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`;
    let fd: number | undefined;
    try {
      try {
        fd = openSync(tempPath, 'wx');
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        // First object under this folder: create it (only then, so a write costs no mkdir).
        mkdirSync(path.dirname(filePath), { recursive: true });
        fd = openSync(tempPath, 'wx');
      }
      for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at);
      if (this.fsync) fsyncSync(fd);
      const signature = signatureOf(fstatSync(fd));
      return { tempPath, etag: md5Hex(bytes), signature };
    } catch (error) {
      if (fd !== undefined) {
        try {
          unlinkSync(tempPath);
        } catch {
          // never created or already gone
        }
      }
      throw this.failure(fd === undefined ? 'create the folder for' : 'write', key, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private async writeTemp(
    key: string,
    filePath: string,
    write: (handle: fs.FileHandle) => Promise<string>,
  ): Promise<TempFile> {
    await this.ensureDirectory(key, path.dirname(filePath));
    const tempPath = `${filePath}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`;
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(tempPath, 'wx');
      const etag = await write(handle);
      if (this.fsync) await handle.sync();
      const signature = signatureOf(await handle.stat());
      return { tempPath, etag, signature };
    } catch (error) {
      await fs.unlink(tempPath).catch(() => undefined);
      throw error instanceof InfrastructureError ? error : this.failure('write', key, error);
    } finally {
      await handle?.close();
    }
  }

  private async publish(
    key: string,
    filePath: string,
    temp: CopiedTempFile,
    options: PutOptions,
  ): Promise<void> {
    try {
      if (options.ifNoneMatch === '*') {
        try {
          linkSync(temp.tempPath, filePath);
        } catch (error) {
          if (errorCode(error) === 'EEXIST') throw new PreconditionFailedError(key);
          throw this.failure('write', key, error);
        }
      } else {
        await withFileLock(`${filePath}${LOCK_SUFFIX}`, this.lockOptions, async () => {
          if (options.ifMatch !== undefined) {
            const current = await this.infoOf(key, filePath).catch(() => undefined);
            if (current?.etag !== options.ifMatch) throw new PreconditionFailedError(key);
          }
          await fs.rename(temp.tempPath, filePath).catch((error: unknown) => {
            throw this.failure('write', key, error);
          });
        });
      }
    } finally {
      try {
        unlinkSync(temp.tempPath);
      } catch {
        // renamed into place
      }
    }
    if (temp.etag !== undefined && temp.signature !== undefined)
      rememberEtag(filePath, { signature: temp.signature, etag: temp.etag });
    else this.etagCache.delete(filePath);
  }

  private failure(action: string, key: string, error: unknown): InfrastructureError {
    const code = errorCode(error);
    const hint =
      code === 'EISDIR' || code === 'ENOTDIR'
        ? ' (the local store cannot hold both "a" and "a/b"; pick keys that do not nest under another key)'
        : '';
    return new InfrastructureError(`cannot ${action} object "${key}" under ${this.root}${hint}`, {
      cause: error,
    });
  }
}
