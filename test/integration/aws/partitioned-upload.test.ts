/**
 * Partitioned dataset versions (issue 9, item 3) through the real preprocess handler on the AWS
 * adapters against s3rver: each part's ObjectCreated event is one handler invocation, as one
 * Lambda invocation per part would be, and `_SUCCESS` finalises the version. The handler builds
 * its ports from the environment (`handlerConfigFromEnv(process.env)`), reaching s3rver through
 * `AWS_ENDPOINT_URL_S3`, as in end-to-end-job.test.ts.
 *
 * s3rver ignores `If-None-Match: *` (put-if-absent always writes), so the events are delivered one
 * at a time here; the first-writer-wins paths are covered by the unit tests on the memory store.
 */

import type { Context, S3Event } from 'aws-lambda';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lib/adapters/aws/index.js';
import { lambdaContext, s3PutEvent } from '../../../lib/adapters/local/lambda-events.js';
import type { Runtime } from '../../../lib/app/index.js';
import { loadRows } from '../../../lib/data/index.js';
import { resolveDataset, type UploadRecord } from '../../../lib/engine/datasets/uploads.js';
import { type LocalAws, type LocalS3, startLocalAws } from '../../support/aws-servers.js';

let s3: LocalS3;
let aws: LocalAws;
let preprocess: (event: S3Event, context: Context) => Promise<UploadRecord[]>;
let runtime: Runtime;
let uploader: S3ObjectStore;

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = aws.s3;
  const work = await aws.sqs.createQueue('shardtrain-work');
  const aggregate = await aws.sqs.createQueue('shardtrain-aggregate', { fifo: true });
  Object.assign(process.env, {
    BUCKET_NAME: s3.bucket,
    WORK_QUEUE_URL: work.url,
    AGGREGATE_QUEUE_URL: aggregate.url,
    EVENT_BUS_NAME: 'shardtrain-test-bus',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const [handlerModule, runtimeModule] = await Promise.all([
    import('../../../functions/preprocess.js'),
    import('../../../lib/app/index.js'),
  ]);
  preprocess = handlerModule.handler as unknown as typeof preprocess;
  runtime = await runtimeModule.runtimeFor(runtimeModule.handlerConfigFromEnv(process.env));
  uploader = new S3ObjectStore({ bucket: s3.bucket, client: s3.client });
});

afterAll(() => aws?.stop());

const HEADER = 'x,colour,y';
/** Row i: x = i/2, colour cycling from another label per part, y = x + 1. */
const row = (i: number): [number, string, number] => [
  i / 2,
  ['red', 'blue', 'green'][(i + Math.floor(i / 10)) % 3]!,
  i / 2 + 1,
];
const csv = (from: number, to: number) =>
  `${HEADER}\n${Array.from({ length: to - from }, (_, k) => row(from + k).join(',')).join('\n')}\n`;
/** Rows [from, to) as a Parquet file: the same table spelled in another format. */
function parquet(from: number, to: number): Uint8Array {
  const rows = Array.from({ length: to - from }, (_, k) => row(from + k));
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'x', data: rows.map((r) => r[0]), type: 'DOUBLE' },
        { name: 'colour', data: rows.map((r) => r[1]), type: 'STRING' },
        { name: 'y', data: rows.map((r) => r[2]), type: 'DOUBLE' },
      ] as never,
    }),
  );
}

/** Writes the objects as `aws s3 cp` would, then delivers their notifications in `order`. */
async function upload(label: string, objects: Record<string, string | Uint8Array>, order: readonly string[]) {
  const etags = new Map<string, string>();
  for (const [name, body] of Object.entries(objects)) {
    etags.set(name, (await uploader.put(`datasets/parts/${label}/${name}`, body)).etag);
  }
  const out: UploadRecord[] = [];
  for (const name of order) {
    const key = `datasets/parts/${label}/${name}`;
    out.push(
      ...(await preprocess(s3PutEvent(s3.bucket, key, 0, etags.get(name)!), lambdaContext('preprocess'))),
    );
  }
  return out;
}

describe('Handler: preprocess, partitioned versions on s3rver', () => {
  it('publishes CSV and Parquet parts as one version once the marker and every part are in', async () => {
    // Act: the marker arrives second; the last part's event publishes.
    const records = await upload(
      'v1',
      {
        'part-00000.csv': csv(0, 20),
        'part-00001.parquet': parquet(20, 40),
        'part-00002.csv': csv(40, 60),
        _SUCCESS: '',
      },
      ['part-00001.parquet', '_SUCCESS', 'part-00000.csv', 'part-00002.csv'],
    );
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ state: 'ready', rows: 60, columns: ['x', 'colour', 'y'] });
    const { manifest } = await resolveDataset(runtime.store, 'parts');
    expect(manifest.parts?.map((p) => [p.file, p.firstRow])).toEqual([
      ['part-00000.csv', 0],
      ['part-00001.parquet', 20],
      ['part-00002.csv', 40],
    ]);
    // x = 0, 0.5 … 29.5: mean 14.75; M2 = 0.25 · Σ(i − 29.5)² = 0.25 · 60(60² − 1)/12 = 4498.75
    expect(manifest.columns[0]!.stats.mean).toBeCloseTo(14.75, 10);
    expect(manifest.columns[0]!.stats.m2).toBeCloseTo(4498.75, 8);
    // The rows read back in part order, labels numbered by first appearance over the parts.
    const data = (await loadRows(runtime.store, manifest, 0, 60)).data;
    const labels = manifest.columns[1]!.categories!;
    for (const i of [0, 19, 20, 33, 59]) {
      const [x, colour, y] = row(i);
      expect([data[i * 3], labels[data[i * 3 + 1]!], data[i * 3 + 2]]).toEqual([x, colour, y]);
    }
  });

  it('fails a version whose part breaks mid-way and keeps the previous version current', async () => {
    // Prepare: a bad value on line 7 of the second part.
    const previous = (await resolveDataset(runtime.store, 'parts')).manifest.version;
    const bad = csv(20, 40).replace(`\n${row(25).join(',')}\n`, '\n12,red,NaN\n');
    // Act
    const records = await upload(
      'v2',
      { 'part-00000.csv': csv(0, 20), 'part-00001.csv': bad, _SUCCESS: '' },
      ['part-00000.csv', 'part-00001.csv', '_SUCCESS'],
    );
    // Assess
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.state).toBe('failed');
    if (record.state === 'failed')
      expect(record.error).toMatch(/^v2\/part-00001\.csv line 7, column "y": "NaN" is not a finite number/);
    expect((await resolveDataset(runtime.store, 'parts')).manifest.version).toBe(previous);
    // Nothing of v2 stays readable: no shards, part manifests or raw parts.
    const left = (await runtime.store.list('processed/parts/_parts/v2/')).map((i) => i.key);
    expect(left.filter((k) => k.endsWith('.manifest.json'))).toEqual([]);
    expect((await runtime.store.list('datasets/parts/v2/part-')).length).toBe(0);
  });
});
