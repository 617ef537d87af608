import { createReadStream, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileEventSink, FsObjectStore } from '../lib/adapters/local/index.js';
import type { DatasetManifest } from '../lib/data/index.js';
import { preprocessCsv } from '../lib/data/index.js';
import { NotFoundError } from '../lib/errors.js';
import type { EventSink, ObjectLinks, ObjectStore } from '../lib/ports.js';
import { ModelRegistry } from '../lib/registry/index.js';

/** The local store (`--home`, `SHARDTRAIN_HOME`, default `./.shardtrain`) and what lives in it. */
export interface Home {
  readonly root: string;
  readonly store: ObjectStore;
  readonly registry: ModelRegistry;
  readonly events: EventSink;
  /** Presigned links to stored objects (the deployed bucket only). */
  readonly links?: ObjectLinks;
}

export function homeDir(option: string | undefined): string {
  return resolve(option ?? process.env.SHARDTRAIN_HOME ?? '.shardtrain');
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
    const source = await openFile(file);
    const manifest = await preprocessCsv({ source, file, dataset: 'scratch', store });
    return await fn(store, manifest);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Opens a file for streaming, with a clear error when it is missing. */
export async function openFile(file: string): Promise<AsyncIterable<Uint8Array>> {
  const stream = createReadStream(file);
  await new Promise<void>((ok, fail) => {
    stream.once('open', () => ok());
    stream.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'ENOENT' ? new NotFoundError(`${file}: no such file`) : e),
    );
  });
  return stream;
}
