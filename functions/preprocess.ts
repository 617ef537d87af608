import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { ingestPartitionObject, parsePartitionKey } from '../lib/engine/datasets/partitions.js';
import {
  ingestUpload,
  isRetryable,
  markUploadSettled,
  parseUploadKey,
  type UploadRecord,
} from '../lib/engine/datasets/uploads.js';
import { onDatasetReady } from '../lib/engine/pipelines/index.js';
import { ShardtrainError } from '../lib/errors.js';
import { type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';

/**
 * Preprocess (S3 ObjectCreated under `datasets/`): validates the CSV and writes the dataset
 * version's shards and manifest; for a part of a partitioned version (`datasets/<name>/<label>/…`),
 * that part's, publishing the version when its last part or its `_SUCCESS` marker arrives. A bad file is recorded as `failed` with the error (file, line,
 * column) and is not retried — retrying cannot fix the data; storage errors are thrown so the
 * event is retried.
 */
async function preprocess(event: S3Event, context: RuntimeRequest['context']): Promise<UploadRecord[]> {
  const { store } = context.runtime;
  const out: UploadRecord[] = [];
  for (const record of event.Records) {
    // S3 event keys are URL-encoded with '+' for spaces.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    if (parseUploadKey(key) === undefined) continue;
    try {
      // The upload id is derived from key + etag, so a redelivered event rewrites the same record.
      // A key in a folder is one part (or the `_SUCCESS` marker) of a partitioned version.
      const record =
        parsePartitionKey(key) !== undefined
          ? await ingestPartitionObject(store, key)
          : await ingestUpload(store, key);
      if (record === undefined) continue; // a part of a version that is not complete yet
      out.push(record);
      if (record.state === 'failed' && context.runtime.cloud === 'aws')
        console.error(JSON.stringify({ level: 'error', key, reason: record.error }));
      // Drift check against each pipeline's champion, and retraining if a pipeline asks for it.
      if (record.state === 'ready') {
        await onDatasetReady(context.runtime.pipelines(), record.dataset, record.version);
        await markUploadSettled(store, record.dataset, record.uploadId);
      }
    } catch (error) {
      // Storage trouble is thrown so the event is retried; a refused file or a bad key is final
      // (its reason is on the upload record when the key named a dataset).
      if (isRetryable(error) || !(error instanceof ShardtrainError)) throw error;
      // On AWS the refusal is also logged. The local cloud runs in the CLI's process, which
      // prints the recorded error itself as its one-line message.
      if (context.runtime.cloud === 'aws') {
        console.error(JSON.stringify({ level: 'error', key, reason: error.message }));
      }
    }
  }
  return out;
}

export const handler = middy<S3Event, UploadRecord[]>(preprocess as never).use(runtimeMiddleware());
