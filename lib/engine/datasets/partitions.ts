import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type DatasetManifest, datasetManifestSchema, preprocessCsv } from '../../data/index.js';
import { mergeParts, type PreprocessedPart } from '../../data/partitions/merge-parts.js';
import { remapShardClasses } from '../../data/partitions/remap-classes.js';
import { sniffedSource } from '../../data/sniff.js';
import { readDocument, requireDocument } from '../../documents.js';
import { DatasetError, NotFoundError, ShardtrainError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import { assertDatasetName } from '../../validation/inputs.js';
import { keys } from '../keys.js';
import { isRetryable, readyRecord, type UploadRecord, uploadIdFor, uploadRecordSchema } from './uploads.js';

/**
 * Partitioned dataset versions, the way Spark and Hive write a table: the parts of one version go
 * to `datasets/<name>/<label>/part-00000.csv` (or `.parquet`) …, and a `_SUCCESS` object written
 * after the last part finalises the version (Hadoop's output-committer convention). Each part's
 * ObjectCreated event preprocesses that part alone — one Lambda invocation per part, so no single
 * function has to read the whole dataset within its 15 minutes — into shards and a part manifest
 * with mergeable statistics. Like S3's CompleteMultipartUpload, the version appears only when the
 * marker has fixed the part list AND every listed part is done, whichever comes last: that event
 * merges the part manifests in part-name order and publishes the version by writing its
 * manifest. Every step is put-if-absent, so redelivered or concurrent events agree. A failed part
 * fails the whole version with the part's own error; nothing of it becomes readable, and the
 * previous version stays the newest ready one.
 */
export const PARTITION_MARKER = '_SUCCESS';

/** `datasets/<name>/<label>/<file>` → its parts, or undefined for another key. */
export function parsePartitionKey(
  key: string,
): { dataset: string; label: string; file: string; kind: 'part' | 'marker' | 'hidden' } | undefined {
  const m = /^datasets\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(key);
  if (m === null) return undefined;
  const [, dataset, label, file] = m as unknown as [string, string, string, string];
  // Like Hadoop's input formats: names starting with `_` or `.` are not data (`_SUCCESS`, `.crc`).
  const kind = file === PARTITION_MARKER ? 'marker' : /^[_.]/.test(file) ? 'hidden' : 'part';
  return { dataset, label, file, kind };
}

/** An optional body of `_SUCCESS`: the parts, when the writer wants to say them rather than have them listed. */
const markerBodySchema = z.object({ v: z.literal(1), parts: z.array(z.string().min(1)).min(1) });

const expectedSchema = z.object({
  v: z.literal(1),
  parts: z.array(z.string()),
  uploadId: z.string(),
  key: z.string(),
  at: z.string(),
});
type Expected = z.infer<typeof expectedSchema>;

const outcomeSchema = z.discriminatedUnion('state', [
  z.object({ v: z.literal(1), state: z.literal('ready'), version: z.string() }),
  z.object({ v: z.literal(1), state: z.literal('failed'), error: z.string() }),
]);
type Outcome = z.infer<typeof outcomeSchema>;

const failureSchema = z.object({ v: z.literal(1), error: z.string() });

/**
 * Handles the ObjectCreated event of one object of a partitioned version: preprocesses a part,
 * or records the part list of a marker; then publishes the version if it is complete. Resolves
 * with the version's upload record once it is ready or failed (and this call saw it settle), or
 * `undefined` while parts are missing.
 *
 * @throws for storage trouble only (the event is then retried); bad data ends in a failed record.
 */
export async function ingestPartitionObject(
  store: ObjectStore,
  key: string,
  options: { now?: () => Date } = {},
): Promise<UploadRecord | undefined> {
  const parsed = parsePartitionKey(key);
  if (parsed === undefined || parsed.kind === 'hidden') return undefined;
  const { dataset, label, file } = parsed;
  assertDatasetName(dataset);
  assertDatasetName(label);
  const now = options.now ?? (() => new Date());
  if (parsed.kind === 'marker') await recordExpected(store, dataset, label, key, now);
  else if ((await readOutcome(store, dataset, label)) === undefined)
    await preprocessPart(store, dataset, label, file);
  const record = await finalise(store, dataset, label, now);
  // Several events see a settled version (the last part, the marker, redeliveries); what a ready
  // version sets off (drift check, pipelines) runs until one of them marks it settled.
  if (
    record?.state === 'ready' &&
    (await store.head(keys.uploadSettled(dataset, record.uploadId))) !== undefined
  )
    return undefined;
  return record;
}

/** Preprocesses one part into shards + its part manifest, or records why it cannot be read. */
async function preprocessPart(
  store: ObjectStore,
  dataset: string,
  label: string,
  part: string,
): Promise<void> {
  const manifestKey = keys.partition.partManifest(dataset, label, part);
  if ((await store.head(manifestKey)) !== undefined) return; // a redelivered event
  const name = `${label}/${part}`;
  try {
    const raw = await store.getStream(keys.upload(dataset, name));
    if (raw === undefined) throw new NotFoundError(`part ${name} of dataset ${dataset} does not exist`);
    const source = await sniffedSource(raw, name);
    await preprocessCsv({ source, file: name, dataset, store, manifestKey });
  } catch (caught) {
    if (isRetryable(caught)) throw caught;
    const error =
      caught instanceof ShardtrainError
        ? caught
        : new DatasetError(
            { file: name },
            `could not be read: ${caught instanceof Error ? caught.message : String(caught)}`,
          );
    await store.put(
      keys.partition.partFailure(dataset, label, part),
      JSON.stringify({ v: 1, error: error.message }),
    );
  }
}

/**
 * The marker fixes the part list (first marker wins): its JSON body's `parts`, or else every
 * non-hidden object in the label's folder plus every part already preprocessed or refused
 * (S3 listings are strongly consistent, and `_SUCCESS` is written after the last part).
 */
async function recordExpected(
  store: ObjectStore,
  dataset: string,
  label: string,
  key: string,
  now: () => Date,
): Promise<void> {
  const expectedKey = keys.partition.expected(dataset, label);
  if ((await store.head(expectedKey)) !== undefined) return;
  const marker = await store.get(key);
  if (marker === undefined) throw new NotFoundError(`marker ${key} does not exist`);
  let parts: string[];
  const text = new TextDecoder().decode(marker.body).trim();
  if (text !== '') {
    const body = markerBodySchema.safeParse(safeJson(text));
    if (!body.success) {
      await failVersion(
        store,
        dataset,
        label,
        `${label}/${PARTITION_MARKER}: not empty and not {"v":1,"parts":[…]}; write it empty to take every part in the folder`,
      );
      return;
    }
    parts = body.data.parts;
  } else {
    const names = new Set<string>();
    for (const info of await store.list(`${keys.upload(dataset, label)}/`)) {
      const p = parsePartitionKey(info.key);
      if (p?.kind === 'part') names.add(p.file);
    }
    const recorded = keys.partition.prefix(dataset, label);
    for (const info of await store.list(recorded)) {
      const m = /^(.+)\.(manifest|failed)\.json$/.exec(info.key.slice(recorded.length));
      if (m !== null) names.add(m[1]!);
    }
    parts = [...names];
  }
  parts.sort();
  const uploadId = uploadIdFor(key, marker.etag);
  const expected: Expected = {
    v: 1,
    parts,
    uploadId,
    key: `${keys.upload(dataset, label)}/`,
    at: now().toISOString(),
  };
  // The record first, so it can never overwrite the outcome another event records meanwhile.
  const statusKey = keys.uploadStatus(dataset, uploadId);
  await store.put(
    statusKey,
    JSON.stringify({ v: 1, state: 'processing', uploadId, dataset, key: expected.key, at: expected.at }),
  );
  if (!(await store.putIfAbsent(expectedKey, JSON.stringify(expected)))) {
    // Another marker (written again, other etag) fixed the list first: this upload id is not the version's.
    const winner = expectedSchema.safeParse(await readDocument(store, expectedKey, z.unknown()));
    if (winner.success && winner.data.uploadId !== uploadId) await store.delete(statusKey);
    return;
  }
  if (parts.length === 0) await failVersion(store, dataset, label, `${label}/: the version has no parts`);
}

/**
 * Publishes the version once the part list is fixed and every part is done; fails it as soon as
 * one part failed. Safe to run from any event, any number of times, concurrently.
 */
async function finalise(
  store: ObjectStore,
  dataset: string,
  label: string,
  now: () => Date,
): Promise<UploadRecord | undefined> {
  const expected = expectedSchema.safeParse(
    await readDocument(store, keys.partition.expected(dataset, label), z.unknown()),
  );
  if (!expected.success) return undefined;
  const { parts } = expected.data;
  const settle = async (outcome: Outcome): Promise<UploadRecord> => {
    if (outcome.state === 'failed') await discardParts(store, dataset, label, parts);
    return writeRecord(store, dataset, expected.data, outcome, now);
  };
  const done = await readOutcome(store, dataset, label);
  if (done !== undefined) return settle(done);

  // One listing says which parts are done or failed (S3 lists are strongly consistent): every
  // part event runs this, so reading each part's records here would cost parts² requests.
  const present = new Set((await store.list(keys.partition.prefix(dataset, label))).map((i) => i.key));
  // Fail fast on the first failed part in part order: its error is the version's.
  for (const part of parts) {
    const key = keys.partition.partFailure(dataset, label, part);
    if (!present.has(key)) continue;
    const failure = failureSchema.safeParse(await readDocument(store, key, z.unknown()));
    if (failure.success)
      return settle(
        await decide(store, dataset, label, { v: 1, state: 'failed', error: failure.data.error }),
      );
  }
  // Still being preprocessed (or not uploaded yet): a later event finishes the version.
  if (parts.some((part) => !present.has(keys.partition.partManifest(dataset, label, part)))) return undefined;
  const preprocessed: PreprocessedPart[] = [];
  for (const part of parts) {
    const raw = await readDocument(store, keys.partition.partManifest(dataset, label, part), z.unknown());
    if (raw === undefined) return undefined;
    preprocessed.push({ file: part, manifest: datasetManifestSchema.parse(raw) });
  }
  let outcome: Outcome;
  try {
    const version = await publish(store, dataset, label, preprocessed);
    outcome = { v: 1, state: 'ready', version };
  } catch (error) {
    if (isRetryable(error) || !(error instanceof ShardtrainError)) throw error;
    outcome = { v: 1, state: 'failed', error: error.message };
  }
  return settle(await decide(store, dataset, label, outcome));
}

/**
 * Merges the part manifests and writes the version's manifest (put-if-absent): that write is the
 * publication. Shards whose class indices differ from the version's are rewritten first.
 */
async function publish(
  store: ObjectStore,
  dataset: string,
  label: string,
  parts: readonly PreprocessedPart[],
): Promise<string> {
  const merged = mergeParts(dataset, label, parts);
  const written: string[] = [];
  const shards = [...merged.manifest.shards];
  let shardBytes = merged.manifest.shardBytes;
  const staging = `${keys.processedPrefix}/${dataset}/_staging/${label}-merge-${randomBytes(6).toString('hex')}`;
  for (let i = 0; i < shards.length; i++) {
    const maps = merged.classMaps[merged.shardPart[i]!]!;
    if (maps.every((m) => m === undefined)) continue;
    const shard = shards[i]!;
    const stored = await store.get(shard.key);
    if (stored === undefined)
      throw new NotFoundError(`shard ${shard.key} of a part of ${dataset}/${label} is gone`);
    const bytes = await remapShardClasses(stored.body, maps, merged.manifest.compression, shard.key);
    const key = `${staging}/shard-${String(i).padStart(5, '0')}.bin`;
    await store.put(key, bytes, { contentType: 'application/octet-stream' });
    written.push(key);
    shardBytes += bytes.byteLength - shard.bytes;
    shards[i] = { ...shard, key, bytes: bytes.byteLength };
  }
  const manifest: DatasetManifest = { ...merged.manifest, shards, shardBytes };
  const key = keys.manifest(dataset, manifest.version);
  if (!(await store.putIfAbsent(key, JSON.stringify(manifest)))) {
    // The same parts were published already (another event, or an earlier upload): keep that one.
    await Promise.allSettled(written.map((k) => store.delete(k)));
  }
  return manifest.version;
}

/** Records the outcome, first writer wins; returns the one that stands. */
async function decide(
  store: ObjectStore,
  dataset: string,
  label: string,
  outcome: Outcome,
): Promise<Outcome> {
  if (await store.putIfAbsent(keys.partition.outcome(dataset, label), JSON.stringify(outcome)))
    return outcome;
  return (await readOutcome(store, dataset, label)) ?? outcome;
}

async function failVersion(store: ObjectStore, dataset: string, label: string, error: string): Promise<void> {
  await decide(store, dataset, label, { v: 1, state: 'failed', error });
}

async function readOutcome(store: ObjectStore, dataset: string, label: string): Promise<Outcome | undefined> {
  const parsed = outcomeSchema.safeParse(
    await readDocument(store, keys.partition.outcome(dataset, label), z.unknown()),
  );
  return parsed.success ? parsed.data : undefined;
}

/** The version's upload record (what `shardtrain datasets` and `resolveDataset` read). */
async function writeRecord(
  store: ObjectStore,
  dataset: string,
  expected: Expected,
  outcome: Outcome,
  now: () => Date,
): Promise<UploadRecord> {
  const statusKey = keys.uploadStatus(dataset, expected.uploadId);
  const base = { v: 1 as const, uploadId: expected.uploadId, dataset, key: expected.key };
  const existing = await readDocument(store, statusKey, uploadRecordSchema);
  if (existing !== undefined && existing.state !== 'processing') return existing;
  let record: UploadRecord;
  if (outcome.state === 'failed') {
    record = { ...base, state: 'failed', at: now().toISOString(), error: outcome.error };
  } else {
    const manifestKey = keys.manifest(dataset, outcome.version);
    const manifest = await requireDocument(
      store,
      manifestKey,
      datasetManifestSchema,
      () => new NotFoundError(manifestKey),
    );
    record = readyRecord(base, manifest, now());
  }
  await store.put(statusKey, JSON.stringify(record));
  return record;
}

/**
 * A failed version keeps nothing: the shards and manifests of the parts that did finish, and the
 * raw objects (a retry cannot fix them; upload the version again under a new label). Parts still
 * running when the version failed clean up after themselves when they finish (they call this too).
 */
async function discardParts(
  store: ObjectStore,
  dataset: string,
  label: string,
  parts: readonly string[],
): Promise<void> {
  for (const part of parts) {
    const manifestKey = keys.partition.partManifest(dataset, label, part);
    const raw = await readDocument(store, manifestKey, z.unknown());
    const manifest = datasetManifestSchema.safeParse(raw);
    if (manifest.success) await Promise.allSettled(manifest.data.shards.map((s) => store.delete(s.key)));
    await store.delete(manifestKey).catch(() => undefined);
    await store.delete(keys.upload(dataset, `${label}/${part}`)).catch(() => undefined);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
