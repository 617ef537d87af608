import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../../lib/adapters/aws/index.js';
import { UsageError } from '../../../../lib/errors.js';

// Presigning is local SigV4 arithmetic: no request leaves the process, so fixed credentials do.
const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
});

describe('Class: S3ObjectStore', () => {
  describe('Method: presignGet', () => {
    it('links the prefixed key with the expiry and the Content-Type override in the signed query', async () => {
      // Prepare
      const store = new S3ObjectStore({ bucket: 'my-bucket', prefix: 'st/', client });

      // Act
      const url = new URL(await store.presignGet('jobs/j-1/report.html', 900, 'text/html; charset=utf-8'));

      // Assess
      expect(url.hostname).toBe('my-bucket.s3.eu-west-1.amazonaws.com');
      expect(url.pathname).toBe('/st/jobs/j-1/report.html');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
      expect(url.searchParams.get('response-content-type')).toBe('text/html; charset=utf-8');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(
        /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/,
      );
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    });

    it('refuses a lifetime S3 does not allow (over 7 days)', async () => {
      const store = new S3ObjectStore({ bucket: 'b', client });
      await expect(store.presignGet('k', 604_801)).rejects.toBeInstanceOf(UsageError);
    });
  });
});
