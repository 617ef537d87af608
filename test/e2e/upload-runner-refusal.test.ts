import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startS3rver } from '../support/aws-servers.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

/**
 * Issue 13 / 11: `upload --runner inprocess` where the cloud parses the upload anyway (a watched
 * dataset, an AWS home, a directory of parts) is refused at the entry point — exit 2, one line
 * naming the flag and why — before anything is uploaded, instead of being silently ignored.
 */
describe('Command: upload --runner inprocess (refused where the cloud parses the upload)', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = tempDir();
    file = writeCsv(dir, 'line.csv', 'x,y\n0,1\n1,3\n2,5\n');
  });
  afterAll(() => removeTemp(dir));

  /** The objects a home stores for dataset `name`: raw uploads and processed versions. */
  const stored = (home: string, name: string) =>
    ['datasets', 'processed'].filter((prefix) => existsSync(join(home, 'store', prefix, name)));

  it('refuses when a pipeline watches the dataset: exit 2, one line, nothing stored', async () => {
    // Prepare: a fresh home whose only content is a pipeline on dataset "line".
    const home = join(dir, 'watched');
    const created = await runCli([
      ...['--home', home, 'pipelines', 'create', 'nightly', '--dataset', 'line'],
      ...['--target', 'y', '--model', 'linear', '--schedule', 'rate(1 day)', '--train-on-upload'],
    ]);
    expect(created.code, created.err.join('\n')).toBe(0);

    // Act
    const res = await runCli(['--home', home, 'upload', file, '--dataset', 'line', '--runner', 'inprocess']);

    // Assess
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(/^.*--runner inprocess: pipeline nightly watches line\b.*drift/);
    expect(res.out).toEqual([]);
    expect(stored(home, 'line')).toEqual([]);
  });

  it('refuses a directory of part files: exit 2, one line, nothing stored', async () => {
    const parts = join(dir, 'parts');
    mkdirSync(parts);
    writeCsv(parts, 'part-00000.csv', 'x,y\n0,1\n');
    writeCsv(parts, 'part-00001.csv', 'x,y\n1,3\n');
    const home = join(dir, 'parts-home');

    const res = await runCli(['--home', home, 'upload', parts, '--dataset', 'line', '--runner', 'inprocess']);

    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(/--runner inprocess: a directory of part files/);
    expect(stored(home, 'line')).toEqual([]);
  });

  it('still parses here when nothing watches the dataset (the flag is honoured, not refused)', async () => {
    const home = join(dir, 'plain');
    const res = await runCli([
      ...['--home', home, 'upload', file, '--dataset', 'line', '--runner', 'inprocess', '--json'],
    ]);
    expect(res.code, res.err.join('\n')).toBe(0);
    expect(res.json<{ rows: number; route: { via: string } }>()).toMatchObject({
      rows: 3,
      route: { via: 'inprocess' },
    });
    expect(existsSync(join(home, 'queues.db'))).toBe(false);
  });

  describe('on an AWS home (SHARDTRAIN_CLOUD=aws, s3rver as the bucket)', () => {
    let s3: LocalS3;
    beforeAll(async () => {
      s3 = await startS3rver();
    });
    afterAll(async () => {
      await s3.stop();
    });

    it("refuses: the bucket's Lambda would preprocess the same object again; the bucket stays empty", async () => {
      const res = await runCli(
        ['--home', join(dir, 'aws'), 'upload', file, '--dataset', 'line', '--runner', 'inprocess'],
        {
          SHARDTRAIN_CLOUD: 'aws',
          BUCKET_NAME: s3.bucket,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          AWS_ENDPOINT_URL_S3: s3.endpoint,
          AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
          AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
        },
      );

      expect(res.code).toBe(2);
      expect(res.err).toHaveLength(1);
      expect(res.err[0]).toMatch(/--runner inprocess: on an AWS home the bucket's preprocess Lambda/);
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
      expect(listed.KeyCount ?? 0).toBe(0);
      expect(existsSync(join(dir, 'aws'))).toBe(false); // the local --home is not touched either
      expect(readdirSync(dir)).not.toContain('aws');
    });
  });
});
