import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { isParquetFile } from '../../lib/data/parquet/parquet-name.js';
import { readDocument } from '../../lib/documents.js';
import { PARTITION_MARKER } from '../../lib/engine/datasets/partitions.js';
import { type UploadRecord, uploadIdFor, uploadRecordSchema } from '../../lib/engine/datasets/uploads.js';
import { keys } from '../../lib/engine/keys.js';
import { messageFailureReason } from '../../lib/engine/training/protocol.js';
import { DatasetError, InfrastructureError, ShardtrainError, UsageError } from '../../lib/errors.js';
import { assertDatasetName } from '../../lib/validation/inputs.js';
import { excerpt, oneLine } from '../../lib/validation/text.js';
import { checkLocalFile, openFile } from '../home.js';
import type { Session } from '../session.js';

/** Whether `path` is a directory (a partitioned upload) rather than one file. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

/**
 * `shardtrain upload <dir> --dataset <name>`: every `.csv`/`.parquet` file of the directory is
 * one part of ONE new version, in file-name order (Spark's `part-00000…` names sort right).
 * Each part is checked first — readable, plausible bytes, the same header as the first part —
 * so a bad part fails in one line before anything is uploaded. Then the parts go to
 * `datasets/<name>/<label>/`, each preprocessed by its own handler invocation, and `_SUCCESS`
 * (listing the parts) finalises the version; this waits until it is ready or failed.
 */
export async function uploadPartitioned(
  session: Session,
  dir: string,
  dataset: string,
  timeoutMs = 3_600_000,
): Promise<UploadRecord> {
  assertDatasetName(dataset);
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => !/^[_.]/.test(name) && /\.(csv|parquet)$/i.test(name))
    .sort();
  if (names.length === 0)
    throw new UsageError(`${excerpt(dir)} has no .csv or .parquet files to upload as parts`);
  const files = names.map((name) => join(dir, name));
  let first: { file: string; header: string[] } | undefined;
  for (const file of files) {
    await checkLocalFile(file);
    const header = await headerOf(file);
    if (first === undefined) first = { file, header };
    else if (header.join(',') !== first.header.join(',')) {
      throw new DatasetError(
        { file, line: 1 },
        `header (${header.join(',')}) differs from ${basename(first.file)}'s (${first.header.join(',')}); every part needs the same columns in the same order`,
      );
    }
  }

  // A fresh label per upload: a version's folder is written once, like a multipart upload id.
  const label = `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`;
  // Locally the parts are preprocessed by handler threads, one invocation per part at a time per
  // thread (on AWS, one Lambda invocation per part); each big part also has its two shard threads.
  const cloud = await session.startCloud({
    preprocessThreads: Math.min(names.length, Math.max(1, Math.floor(availableParallelism() / 2))),
  });
  const store = session.home.store;
  const put = async (key: string, body: AsyncIterable<Uint8Array>) => {
    // On AWS the bucket's notification runs the preprocess Lambda; locally the cloud emits the event.
    if (cloud === undefined) await store.putStream(key, body);
    else await cloud.putObject(key, body);
    return ((await store.head(key))?.etag ?? '').replace(/"/g, '');
  };
  const sent = new Map<string, string>();
  for (const [i, file] of files.entries()) {
    const key = keys.upload(dataset, `${label}/${names[i]!}`);
    sent.set(key, await put(key, await openFile(file)));
  }
  const markerKey = keys.upload(dataset, `${label}/${PARTITION_MARKER}`);
  const marker = new TextEncoder().encode(JSON.stringify({ v: 1, parts: names }));
  const etag = await put(
    markerKey,
    (async function* () {
      yield marker;
    })(),
  );
  sent.set(markerKey, etag);
  const uploadId = uploadIdFor(markerKey, etag);

  const deadline = Date.now() + timeoutMs;
  let lastDlqCheck = 0;
  for (;;) {
    const parsed = uploadRecordSchema.safeParse(
      await readDocument(store, keys.uploadStatus(dataset, uploadId), z.unknown()),
    );
    const record = parsed.success ? parsed.data : undefined;
    if (record?.state === 'ready' && (await store.head(keys.uploadSettled(dataset, uploadId))) !== undefined)
      return record;
    // The recorded error is the failing part's, naming it, its line and column.
    if (record?.state === 'failed') throw new ShardtrainError(oneLine(record.error));
    if (cloud !== undefined && Date.now() - lastDlqCheck > 250) {
      lastDlqCheck = Date.now();
      for (const m of await cloud.queues.eventsDlq.peek({ limit: 1000 })) {
        const object = eventObject(m.body);
        if (object === undefined || sent.get(object.key) !== object.etag) continue;
        const reason = await messageFailureReason(store, m.messageId);
        throw new InfrastructureError(
          `preprocessing ${object.key} failed: ${oneLine(reason ?? 'no reason recorded', 200)}`,
        );
      }
    }
    if (Date.now() > deadline) throw new InfrastructureError(`preprocessing ${dir} did not finish in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The column names of a part: a CSV's first record, a Parquet file's flat schema. */
async function headerOf(file: string): Promise<string[]> {
  if (isParquetFile(file)) {
    // loaded here only: a CSV upload never pays for the Parquet reader
    const { asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet');
    try {
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
      return metadata.schema.slice(1).map((field) => field.name.trim());
    } catch (error) {
      throw new DatasetError({ file }, `not a valid Parquet file: ${(error as Error).message}`);
    }
  }
  const { readCsvRecords } = await import('../../lib/data/csv/csv-records.js');
  const stream = createReadStream(file);
  try {
    for await (const record of readCsvRecords(stream, file)) return record.cells.map((c) => c.trim());
  } finally {
    stream.destroy();
  }
  throw new DatasetError({ file }, 'the file has no header row');
}

function eventObject(body: string): { key: string; etag: string } | undefined {
  try {
    const object = (JSON.parse(body) as { Records?: { s3?: { object?: { key?: string; eTag?: string } } }[] })
      .Records?.[0]?.s3?.object;
    if (object?.key === undefined) return undefined;
    return {
      key: decodeURIComponent(object.key.replace(/\+/g, ' ')),
      etag: (object.eTag ?? '').replace(/"/g, ''),
    };
  } catch {
    return undefined;
  }
}
