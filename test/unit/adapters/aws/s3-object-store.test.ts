/**
 * S3ObjectStore paths s3rver cannot show (see test/integration/aws/s3-object-store.test.ts):
 * s3rver ignores If-None-Match / If-Match on PUT, and fails on truncated ListObjectsV2 pages under
 * OpenSSL 3. These tests stub the S3 client with aws-sdk-client-mock and answer as S3 does.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../../lib/adapters/aws/index.js';
import { InfrastructureError, PreconditionFailedError, UsageError } from '../../../../lib/errors.js';

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

const client = new S3Client({ region: 'us-east-1' });
const s3 = mockClient(client);

beforeEach(() => {
  s3.reset();
});

function store(): S3ObjectStore {
  return new S3ObjectStore({ bucket: 'b', prefix: 'p/', client });
}

describe('Class: S3ObjectStore (mocked S3)', () => {
  describe('Method: constructor', () => {
    it('refuses a multipart part size under 5 MiB', () => {
      // 5 MiB − 1 = 5 242 879 bytes.
      expect(() => new S3ObjectStore({ bucket: 'b', client, partSize: 5 * 1024 * 1024 - 1 })).toThrow(
        UsageError,
      );
    });
  });

  describe('Method: put', () => {
    it('sends If-None-Match and maps a 412 to PreconditionFailedError', async () => {
      // Prepare
      const rejection = s3Error('PreconditionFailed', 412);
      s3.on(PutObjectCommand).rejects(rejection);

      // Act
      const putting = store().put('k', 'body', { ifNoneMatch: '*' });

      // Assess
      await expect(putting).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(putting).rejects.toMatchObject({ key: 'k', cause: rejection });
      const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
      expect(input).toMatchObject({ Bucket: 'b', Key: 'p/k', IfNoneMatch: '*' });
      expect(input.IfMatch).toBeUndefined();
    });

    it('sends If-Match and maps a lost compare-and-set (412) to PreconditionFailedError', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
      await expect(store().put('k', 'v2', { ifMatch: '"old"' })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.IfMatch).toBe('"old"');
    });

    it('maps 409 ConditionalRequestConflict to PreconditionFailedError', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
      await expect(store().put('k', 'v', { ifMatch: '"e"' })).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it('maps If-Match on a deleted key (404) to PreconditionFailedError', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('NoSuchKey', 404));
      await expect(store().put('k', 'v', { ifMatch: '"e"' })).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it('wraps other failures in InfrastructureError with the cause and the location', async () => {
      // Prepare
      const rejection = s3Error('AccessDenied', 403);
      s3.on(PutObjectCommand).rejects(rejection);

      // Act
      const putting = store().put('k', 'v');

      // Assess
      await expect(putting).rejects.toBeInstanceOf(InfrastructureError);
      await expect(putting).rejects.toMatchObject({ cause: rejection });
      await expect(putting).rejects.toThrow('S3 PutObject s3://b/p/k failed (AccessDenied, HTTP 403)');
    });
  });

  describe('Method: putIfAbsent', () => {
    it('returns true when it wrote and false when S3 answers 412', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).rejectsOnce(s3Error('PreconditionFailed', 412));

      // Act
      const first = await store().putIfAbsent('lock', 'a');
      const second = await store().putIfAbsent('lock', 'b');

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.IfNoneMatch)).toEqual(['*', '*']);
    });

    it('still throws failures that are not a lost condition', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('InternalError', 500));
      await expect(store().putIfAbsent('lock', 'a')).rejects.toBeInstanceOf(InfrastructureError);
    });
  });

  describe('Method: get / head', () => {
    it('reads NoSuchKey and NotFound as undefined and wraps other errors', async () => {
      s3.on(GetObjectCommand).rejects(s3Error('NoSuchKey', 404));
      s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
      expect(await store().get('x')).toBeUndefined();
      expect(await store().head('x')).toBeUndefined();

      s3.on(GetObjectCommand).rejects(s3Error('SlowDown', 503));
      await expect(store().getStream('x')).rejects.toBeInstanceOf(InfrastructureError);
    });

    it('does not read a missing bucket as a missing object', async () => {
      s3.on(GetObjectCommand).rejects(s3Error('NoSuchBucket', 404));
      await expect(store().get('x')).rejects.toThrow(/NoSuchBucket, HTTP 404/);
    });
  });

  describe('Method: list', () => {
    it('follows continuation tokens and returns every page, sorted, without the store prefix', async () => {
      // Prepare: two pages; the first is truncated and out of order on purpose.
      const when = new Date('2024-01-02T03:04:05Z');
      s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
        IsTruncated: true,
        NextContinuationToken: 't1',
        Contents: [
          { Key: 'p/r/c', Size: 3, ETag: '"c"', LastModified: when },
          { Key: 'p/r/a', Size: 1, ETag: '"a"', LastModified: when },
        ],
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 't1' }).resolves({
        IsTruncated: false,
        Contents: [{ Key: 'p/r/b', Size: 2, ETag: '"b"', LastModified: when }],
      });

      // Act
      const items = await store().list('r/');

      // Assess
      expect(items).toEqual([
        { key: 'r/a', size: 1, etag: '"a"', lastModified: when },
        { key: 'r/b', size: 2, etag: '"b"', lastModified: when },
        { key: 'r/c', size: 3, etag: '"c"', lastModified: when },
      ]);
      const calls = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
      expect(calls).toEqual([
        { Bucket: 'b', Prefix: 'p/r/', ContinuationToken: undefined },
        { Bucket: 'b', Prefix: 'p/r/', ContinuationToken: 't1' },
      ]);
    });
  });
});
