import { createReadStream, mkdirSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FileEventSink } from '../lib/adapters/local/file-event-sink.js';
import { FsObjectStore } from '../lib/adapters/local/fs-object-store.js';
import type { DatasetManifest } from '../lib/data/index.js';
import { preprocessCsv } from '../lib/data/index.js';
import { SNIFF_BYTES, sniffedSource, sniffHead } from '../lib/data/sniff.js';
import { InfrastructureError, NotFoundError, ShardtrainError, UsageError } from '../lib/errors.js';
import type { EventSink, ObjectLinks, ObjectStore } from '../lib/ports.js';
import { ModelRegistry } from '../lib/registry/index.js';
import { excerpt } from '../lib/validation/text.js';

/** The local store (`--home`, `SHARDTRAIN_HOME`, default `./.shardtrain`) and what lives in it. */
export interface Home {
  readonly root: string;
  readonly store: ObjectStore;
  readonly registry: ModelRegistry;
  readonly events: EventSink;
  /** Presigned links to stored objects (the deployed bucket only). */
  readonly links?: ObjectLinks;
}

export function openHome(root: string): Home {
  mkdirSync(join(root, 'store'), { recursive: true });
  const store = new FsObjectStore({ root: join(root, 'store') });
  const events = new FileEventSink({ path: join(root, 'events.jsonl') });
  return { root, store, events, registry: new ModelRegistry({ store, events }) };
}

/**
 * Preprocesses a CSV into a throwaway store (for `evaluate` and `predict`): the same validation
 * and errors as an upload, without touching the user's datasets.
 */
export async function withScratchDataset<T>(
  file: string,
  fn: (store: FsObjectStore, manifest: DatasetManifest) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'shardtrain-'));
  try {
    const store = new FsObjectStore({ root: dir });
    const source = await sniffedSource(await openFile(file), file);
    const manifest = await preprocessCsv({ source, file, dataset: 'scratch', store });
    return await fn(store, manifest);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Checks that `file` is a readable regular file whose first bytes can be a UTF-8 CSV (not
 * compressed, binary, or delimited by something else); refuses with one line naming it.
 */
export async function checkLocalFile(file: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    throw fileError(file, error);
  }
  if (info.isDirectory()) throw new UsageError(`${excerpt(file)} is a directory, not a CSV file`);
  if (!info.isFile()) throw new UsageError(`${excerpt(file)} is not a regular file`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, info.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    sniffHead(head.subarray(0, bytesRead), basename(file), bytesRead >= info.size);
  } catch (error) {
    if (error instanceof ShardtrainError) throw error;
    throw fileError(file, error);
  } finally {
    await handle?.close();
  }
}

/** A file system error as one line naming the file (never the file's contents). */
export function fileError(file: string, error: unknown): ShardtrainError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new NotFoundError(`${excerpt(file)}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`${excerpt(file)}: permission denied`);
  if (code === 'EISDIR') return new UsageError(`${excerpt(file)} is a directory, not a file`);
  if (code === 'ENOTDIR') return new NotFoundError(`${excerpt(file)}: a part of the path is not a folder`);
  if (code === 'ENAMETOOLONG') return new UsageError(`${excerpt(file)}: the path is too long`);
  return new InfrastructureError(`${excerpt(file)}: ${code ?? 'could not be read'}`, { cause: error });
}

/** Opens a file for streaming, with a clear error when it is missing or unreadable. */
export async function openFile(file: string): Promise<AsyncIterable<Uint8Array>> {
  const info = await stat(file).catch((e: unknown) => {
    throw fileError(file, e);
  });
  if (info.isDirectory()) throw new UsageError(`${excerpt(file)} is a directory, not a CSV file`);
  const stream = createReadStream(file);
  await new Promise<void>((ok, fail) => {
    stream.once('open', () => ok());
    stream.once('error', (e: NodeJS.ErrnoException) => fail(fileError(file, e)));
  });
  return stream;
}
