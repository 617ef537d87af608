import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { ingestUpload, parseUploadKey, type UploadRecord } from '../lib/engine/datasets.js';
import { DatasetError } from '../lib/errors.js';
import { type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';

/**
 * Preprocess (S3 ObjectCreated under `datasets/`): validates the CSV and writes the dataset
 * version's shards and manifest. A bad file is recorded as `failed` with the error (file, line,
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
      out.push(await ingestUpload(store, key));
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      console.error(JSON.stringify({ level: 'error', key, reason: error.message }));
    }
  }
  return out;
}

export const handler = middy<S3Event, UploadRecord[]>(preprocess as never).use(runtimeMiddleware());
