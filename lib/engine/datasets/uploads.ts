import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import type { DatasetManifest } from '../../data/index.js';
import { datasetManifestSchema, type PreprocessOptions, preprocessCsv } from '../../data/index.js';
import { sniffedSource } from '../../data/sniff.js';
import { readDocument, requireDocument } from '../../documents.js';
import {
  DatasetError,
  InfrastructureError,
  NotFoundError,
  ShardtrainError,
  UsageError,
} from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import { assertDatasetName } from '../../validation/inputs.js';
import { excerpt } from '../../validation/text.js';
import { keys } from '../keys.js';

/** What happened to one uploaded file; `shardtrain datasets` lists these. */
export const uploadRecordSchema = z.discriminatedUnion('state', [
  z.object({
    v: z.literal(1),
    state: z.literal('processing'),
    uploadId: z.string(),
    dataset: z.string(),
    key: z.string(),
    at: z.string(),
  }),
  z.object({
    v: z.literal(1),
    state: z.literal('ready'),
    uploadId: z.string(),
    dataset: z.string(),
    key: z.string(),
    at: z.string(),
    version: z.string(),
    rows: z.number(),
    columns: z.array(z.string()),
  }),
  z.object({
    v: z.literal(1),
    state: z.literal('failed'),
    uploadId: z.string(),
    dataset: z.string(),
    key: z.string(),
    at: z.string(),
    error: z.string(),
  }),
]);
export type UploadRecord = z.infer<typeof uploadRecordSchema>;

export { assertDatasetName };

/** `datasets/<name>/<file>` → `{ dataset, file }`; undefined for keys outside `datasets/`. */
export function parseUploadKey(key: string): { dataset: string; file: string } | undefined {
  const m = /^datasets\/([^/]+)\/(.+)$/.exec(key);
  if (m === null) return undefined;
  return { dataset: m[1]!, file: m[2]! };
}

/** The record of an upload that became dataset version `manifest.version`. */
export function readyRecord(
  base: { v: 1; uploadId: string; dataset: string; key: string },
  manifest: Pick<DatasetManifest, 'version' | 'rows' | 'columns'>,
  at: Date,
): UploadRecord {
  return {
    ...base,
    state: 'ready',
    at: at.toISOString(),
    version: manifest.version,
    rows: manifest.rows,
    columns: manifest.columns.map((c) => c.name),
  };
}

/** Identifies one upload of an object: the same key and content give the same id. */
export function uploadIdFor(key: string, etag: string): string {
  return createHash('sha256')
    .update(`${key}\n${etag.replace(/"/g, '')}`)
    .digest('hex')
    .slice(0, 16);
}

/**
 * Preprocesses one uploaded object: records `processing`, runs the data pipeline, then records
 * `ready` with the version or `failed` with the error (which names file, line and column). A
 * failed file changes nothing but its own record. `uploadId` identifies this upload (S3: key +
 * etag), so a redelivered event for the same object rewrites the same records.
 */
export async function ingestUpload(
  store: ObjectStore,
  key: string,
  options: {
    uploadId?: string;
    now?: () => Date;
    /** Passed to `preprocessCsv` (an in-process upload keeps the parsed rows, see `RowCollector`). */
    preprocess?: Pick<PreprocessOptions, 'compression' | 'onRows'>;
    /**
     * The store has no etag for the object yet and would hash the whole file to answer `head`
     * (an `FsObjectStore.putFile` copy): hash it in the same pass as parsing instead. The
     * upload id is then known only after the parse, so no `processing` record is written first
     * (an in-process upload, which nobody else watches); the `ready` or `failed` record is the
     * same as otherwise.
     */
    etagWhileParsing?: boolean;
  } = {},
): Promise<UploadRecord> {
  const parsed = parseUploadKey(key);
  if (parsed === undefined) throw new UsageError(`${excerpt(key)} is not under datasets/<name>/`);
  const { dataset, file } = parsed;
  assertDatasetName(dataset);
  if (file.includes('/'))
    throw new UsageError(`upload key ${excerpt(key)} is not datasets/<name>/<file>: the file is in a folder`);
  const now = options.now ?? (() => new Date());
  // The etag (MD5 of the bytes) identifies the upload: asked of the store, or hashed while parsing.
  let md5: { hash: Hash; ended: boolean } | undefined;
  let uploadId = options.uploadId;
  if (options.etagWhileParsing !== true || uploadId !== undefined) {
    const head = await store.head(key);
    if (head === undefined) throw new NotFoundError(`uploaded object ${excerpt(key)} does not exist`);
    uploadId ??= uploadIdFor(key, head.etag);
    await store.put(
      keys.uploadStatus(dataset, uploadId),
      JSON.stringify({ v: 1, uploadId, dataset, key, state: 'processing', at: now().toISOString() }),
    );
  } else md5 = { hash: createHash('md5'), ended: false };
  const base = (id: string) => ({ v: 1 as const, uploadId: id, dataset, key });
  let record: UploadRecord;
  try {
    const raw = await store.getStream(key);
    if (raw === undefined) throw new NotFoundError(`uploaded object ${excerpt(key)} does not exist`);
    // File-level checks (compressed, binary, not UTF-8, other delimiter) before the parser.
    const source = await sniffedSource(md5 === undefined ? raw : hashedChunks(raw, md5), file);
    const manifest = await preprocessCsv({
      ...options.preprocess,
      source,
      file,
      dataset,
      store,
      prefix: keys.processedPrefix,
    });
    // The parser reads to the end of the file; should it ever stop short, the store hashes it.
    if (md5 !== undefined)
      uploadId = uploadIdFor(key, md5.ended ? md5.hash.digest('hex') : ((await store.head(key))?.etag ?? ''));
    record = readyRecord(base(uploadId!), manifest, now());
  } catch (caught) {
    // Storage trouble is retried (the event is redelivered); anything about the bytes is final.
    if (isRetryable(caught)) throw caught;
    const error =
      caught instanceof ShardtrainError
        ? caught
        : new DatasetError(
            { file },
            `could not be read as CSV: ${caught instanceof Error ? caught.message : String(caught)}`,
            { cause: caught },
          );
    // A parse that stopped early hashed part of the file: the store hashes all of it.
    uploadId ??= uploadIdFor(key, (await store.head(key))?.etag ?? '');
    record = { ...base(uploadId), state: 'failed', at: now().toISOString(), error: error.message };
    await store.put(keys.uploadStatus(dataset, uploadId), JSON.stringify(record));
    // A refused file is not kept under datasets/: nothing can read it, and a retry cannot fix it.
    await store.delete(key).catch(() => undefined);
    throw error;
  }
  await store.put(keys.uploadStatus(dataset, uploadId!), JSON.stringify(record));
  return record;
}

/** The chunks of `source`, each added to `md5.hash` as it passes; `md5.ended` once all have. */
async function* hashedChunks(
  source: AsyncIterable<Uint8Array>,
  md5: { hash: Hash; ended: boolean },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    md5.hash.update(chunk);
    yield chunk;
  }
  md5.ended = true;
}

/**
 * Whether an ingest error may go away when the event is redelivered: storage and network
 * failures (an `InfrastructureError`, or a system error with an `E...` code such as `ENOSPC`
 * or `ECONNRESET`). Parser and data errors never do.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof InfrastructureError) return true;
  if (error instanceof ShardtrainError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/** Marks an upload as settled: ready and what it set off (drift check, pipeline start) done. */
export async function markUploadSettled(
  store: ObjectStore,
  dataset: string,
  uploadId: string,
): Promise<void> {
  await store.put(keys.uploadSettled(dataset, uploadId), '');
}

/** Every upload record of a dataset (or of all datasets), oldest first. */
export async function listUploads(store: ObjectStore, dataset?: string): Promise<UploadRecord[]> {
  const prefix = dataset === undefined ? `${keys.processedPrefix}/` : keys.uploadStatusPrefix(dataset);
  const infos = (await store.list(prefix)).filter((i) => /\/uploads\/[^/]+\.json$/.test(i.key));
  const records: UploadRecord[] = [];
  for (const info of infos) {
    // A record that is not one (a half-written or foreign object) is left out of the list.
    const record = await readDocument(store, info.key, uploadRecordSchema).catch(() => undefined);
    if (record !== undefined) records.push(record);
  }
  return records.sort((a, b) => a.at.localeCompare(b.at) || a.uploadId.localeCompare(b.uploadId));
}

/** The manifest of a dataset version, or of its newest ready version when `version` is left out. */
export async function resolveDataset(
  store: ObjectStore,
  dataset: string,
  version?: string,
): Promise<{ manifest: DatasetManifest; manifestKey: string }> {
  assertDatasetName(dataset);
  let v = version;
  if (v === undefined) {
    const ready = (await listUploads(store, dataset)).filter((r) => r.state === 'ready');
    const last = ready.at(-1);
    if (last === undefined || last.state !== 'ready') {
      throw new NotFoundError(
        `dataset "${dataset}" has no ready version; upload one with: shardtrain upload <file.csv> --dataset ${dataset}`,
      );
    }
    v = last.version;
  }
  const manifestKey = keys.manifest(dataset, v);
  const manifest = await requireDocument(
    store,
    manifestKey,
    datasetManifestSchema,
    () => new NotFoundError(`dataset "${dataset}" has no version ${v}`),
  );
  return { manifest, manifestKey };
}
