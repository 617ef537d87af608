import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PreconditionFailedError, UsageError } from '../../errors.js';
import type {
  ObjectBody,
  ObjectInfo,
  ObjectLinks,
  ObjectStore,
  PutOptions,
  StoredObject,
} from '../../ports.js';
import { putIfAbsentVia } from '../../put-if-absent.js';
import { errorCodeOf, httpStatusOf, infrastructureError } from './aws-error.js';

/** S3's smallest allowed multipart part (all parts but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Prepended to every key (e.g. `'shardtrain/'`); `list` returns keys without it. @default '' */
  readonly prefix?: string;
  /** @default new S3Client({}) */
  readonly client?: S3Client;
  /** Part size for `putStream` multipart uploads, at least 5 MiB. @default 8 MiB */
  readonly partSize?: number;
  /** Parts uploaded in parallel by `putStream`. @default 4 */
  readonly queueSize?: number;
}

/**
 * {@link ObjectStore} on Amazon S3. Conditional writes use S3's `If-None-Match: *` and
 * `If-Match: <etag>`; a lost condition (412, or 409 `ConditionalRequestConflict` when a
 * concurrent conditional write is in flight) becomes `PreconditionFailedError`. A missing key
 * reads as `undefined`; every other failure is an `InfrastructureError` with the SDK error as
 * `cause`.
 *
 * @example
 * ```ts
 * const store = new S3ObjectStore({ bucket: 'my-bucket', prefix: 'shardtrain/' });
 * const { etag } = await store.put('jobs/j1/state.json', '{}', { ifNoneMatch: '*' });
 * await store.put('jobs/j1/state.json', '{"round":1}', { ifMatch: etag });
 * ```
 */
export class S3ObjectStore implements ObjectStore, ObjectLinks {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly queueSize: number;

  public constructor(options: S3ObjectStoreOptions) {
    const partSize = options.partSize ?? 8 * 1024 * 1024;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
      throw new UsageError(
        `S3ObjectStore partSize must be an integer ≥ ${MIN_PART_SIZE} (5 MiB), got ${partSize}`,
      );
    }
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.client = options.client ?? new S3Client({});
    this.partSize = partSize;
    this.queueSize = options.queueSize ?? 4;
  }

  public async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      const body = out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
      return { body, etag: requireEtag(out.ETag, key) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw infrastructureError(`S3 GetObject s3://${this.bucket}/${this.fullKey(key)}`, error);
    }
  }

  public async getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      if (out.Body === undefined) return emptyStream();
      // In Node the body is an http.IncomingMessage (a Readable): async-iterable Buffers.
      if (Symbol.asyncIterator in out.Body) return out.Body as AsyncIterable<Uint8Array>;
      return Readable.fromWeb(out.Body.transformToWebStream() as never) as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw infrastructureError(`S3 GetObject s3://${this.bucket}/${this.fullKey(key)}`, error);
    }
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: requireEtag(out.ETag, key),
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw infrastructureError(`S3 HeadObject s3://${this.bucket}/${this.fullKey(key)}`, error);
    }
  }

  public async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<{ etag: string }> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          Body: body,
          // Said explicitly: without it the SDK warns "Stream of unknown length" for '' (markers).
          ContentLength: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
          ContentType: options.contentType,
          IfNoneMatch: options.ifNoneMatch,
          IfMatch: options.ifMatch,
        }),
      );
      return { etag: requireEtag(out.ETag, key) };
    } catch (error) {
      if (isPreconditionFailure(error)) throw new PreconditionFailedError(key, { cause: error });
      // If-Match on a key that does not exist answers 404: the version we read is gone.
      if (options.ifMatch !== undefined && isNotFound(error)) {
        throw new PreconditionFailedError(key, { cause: error });
      }
      throw infrastructureError(`S3 PutObject s3://${this.bucket}/${this.fullKey(key)}`, error);
    }
  }

  public putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    return putIfAbsentVia(this, key, body);
  }

  public async putStream(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: { contentType?: string } = {},
  ): Promise<{ etag: string }> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.fullKey(key),
        Body: Readable.from(body, { objectMode: false }),
        ContentType: options.contentType,
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // A failed multipart upload is aborted so no billed orphan parts stay behind.
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return { etag: requireEtag(out.ETag, key) };
    } catch (error) {
      throw infrastructureError(`S3 upload s3://${this.bucket}/${this.fullKey(key)}`, error);
    }
  }

  public async list(prefix: string): Promise<ObjectInfo[]> {
    const items: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.fullKey(prefix),
            ContinuationToken: token,
          }),
        );
        for (const object of out.Contents ?? []) {
          if (object.Key === undefined) continue;
          items.push({
            key: object.Key.slice(this.prefix.length),
            size: object.Size ?? 0,
            etag: object.ETag ?? '',
            lastModified: object.LastModified ?? new Date(0),
          });
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw infrastructureError(`S3 ListObjectsV2 s3://${this.bucket}/${this.fullKey(prefix)}`, error);
    }
    // S3 already answers in key order; sorting again keeps the port's promise for any backend.
    return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  public async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw infrastructureError(`S3 DeleteObject s3://${this.bucket}/${this.fullKey(key)}`, error);
    }
  }

  /**
   * A presigned GET link to `key` (SigV4, signed locally, no request made), valid for
   * `expiresInSeconds` (S3 allows at most 7 days). `contentType` overrides the response's
   * Content-Type so a browser shows an HTML report instead of downloading it.
   */
  public async presignGet(key: string, expiresInSeconds = 3600, contentType?: string): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > 604_800) {
      throw new UsageError(`a presigned link lasts 1 s to 7 days (604800 s), got ${expiresInSeconds}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.fullKey(key),
      ...(contentType !== undefined ? { ResponseContentType: contentType } : {}),
    });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  private fullKey(key: string): string {
    return this.prefix + key;
  }
}

function isNotFound(error: unknown): boolean {
  const code = errorCodeOf(error);
  // A missing bucket is a deployment fault, not a missing object: never read it as "absent".
  if (code === 'NoSuchBucket') return false;
  return code === 'NoSuchKey' || code === 'NotFound' || httpStatusOf(error) === 404;
}

function isPreconditionFailure(error: unknown): boolean {
  const code = errorCodeOf(error);
  return (
    code === 'PreconditionFailed' || code === 'ConditionalRequestConflict' || httpStatusOf(error) === 412
  );
}

function requireEtag(etag: string | undefined, key: string): string {
  if (etag === undefined) {
    throw infrastructureError(`S3 request for "${key}"`, new Error('the response carried no ETag'));
  }
  return etag;
}

async function* emptyStream(): AsyncIterable<Uint8Array> {}
