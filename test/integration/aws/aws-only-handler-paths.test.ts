/**
 * What the preprocess and aggregator handlers do only when their runtime is on AWS
 * (`runtime.cloud === 'aws'`): the aggregator's CloudWatch EMF line per applied round (under the
 * configured namespace) and the report it leaves next to a finished job; preprocess's JSON error
 * line for a refused file or a failed partitioned version. The handlers get an AWS runtime config
 * and build their ports as in Lambda (`new S3Client({})`, …), reaching protocol servers on
 * loopback (s3rver, local-aws-sqs, a PutEvents peer) through the SDK's environment settings, as in
 * end-to-end-job.test.ts. Work messages are computed by calling `handleWork` on the same runtime,
 * and the aggregator is invoked with hand-made SQS events, so each test decides what it sees.
 *
 * The numbers are worked out by hand: the dataset is y = 2x + 1 at x = 1, 2, 3, 4, so after
 * standardising (population mean and deviation, as the job plan does) target and feature are the
 * same column t = (−3, −1, 1, 3)/√5, with mean 0 and mean square 1. Linear model, parameters start
 * at 0, full-batch GD, plain steps, constant lr 0.5, loss ½·mean(r²):
 * - round 0 at w = 0: loss = ½·mean(t²) = 0.5; gradient (bias, w) = (−mean t, −mean t²) = (0, −1),
 *   norm 1; step → w = 0.5;
 * - round 1 at w = 0.5: residual (w − 1)·t, loss = ½·0.25 = 0.125; gradient (0, w − 1) = (0, −0.5),
 *   norm 0.5.
 * Every test runs alone (Stryker runs a mutant's covering tests by name): the servers, queues,
 * dataset and runtime are made in `beforeAll` with adapter and library calls only.
 */
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler as createAggregator } from '../../../functions/aggregator.js';
import { createHandler as createPreprocess } from '../../../functions/preprocess.js';
import { lambdaContext, s3PutEvent, sqsEvent } from '../../../lib/adapters/local/lambda-events.js';
import type { AwsRuntimeConfig } from '../../../lib/app/config.js';
import { type Runtime, runtimeFor } from '../../../lib/app/index.js';
import { preprocessCsv } from '../../../lib/data/index.js';
import type { UploadRecord } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import { handleWork, startJob } from '../../../lib/engine/training/coordinator.js';
import { jobSpecSchema } from '../../../lib/engine/training/job-spec.js';
import {
  parseMessage,
  type ResultMessage,
  workMessageSchema,
} from '../../../lib/engine/training/protocol.js';
import type { ReceivedMessage } from '../../../lib/ports.js';
import { type LocalAws, startLocalAws } from '../../support/aws-servers.js';

const NAMESPACE = 'ShardtrainAwsOnlyTest';

let aws: LocalAws;
let config: AwsRuntimeConfig;
let runtime: Runtime;
let manifest: Awaited<ReturnType<typeof preprocessCsv>>;

beforeAll(async () => {
  // Metrics stay on (startLocalAws clears POWERTOOLS_METRICS_DISABLED): the EMF lines are tested.
  aws = await startLocalAws();
  const { s3, sqs } = aws;
  const work = await sqs.createQueue('shardtrain-work');
  const aggregate = await sqs.createQueue('shardtrain-aggregate', { fifo: true });
  config = {
    cloud: 'aws',
    bucket: s3.bucket,
    workQueueUrl: work.url,
    aggregateQueueUrl: aggregate.url,
    eventBusName: 'shardtrain-test-bus',
    metricsNamespace: NAMESPACE,
    backend: {},
  };
  // The handlers built with `config` get this same runtime (one per config and process).
  runtime = await runtimeFor(config);
  manifest = await preprocessCsv({
    source: (async function* () {
      yield Buffer.from('x,y\n1,3\n2,5\n3,7\n4,9\n');
    })(),
    file: 'line.csv',
    dataset: 'line',
    store: runtime.store,
  });
});

afterAll(() => aws?.stop());

afterEach(() => vi.restoreAllMocks());

/** The EMF lines written to stdout while `run` runs (Powertools writes one JSON line per publish). */
async function emfLines<T>(run: () => Promise<T>): Promise<{ value: T; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const passThrough = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((
    chunk: string | Uint8Array,
    ...rest: []
  ) => {
    const text = String(chunk);
    if (text.includes('"_aws"')) {
      written.push(text);
      return true;
    }
    return passThrough(chunk, ...rest);
  }) as typeof process.stdout.write);
  try {
    const value = await run();
    return {
      value,
      lines: written
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  } finally {
    spy.mockRestore();
  }
}

interface Directive {
  Namespace: string;
  Metrics: { Name: string; Unit: string }[];
}
const directiveOf = (line: Record<string, unknown>): Directive =>
  (line._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics[0]!;

const context = (name: string) => lambdaContext(name) as Context;

/** Starts a one-partition job on the `line` dataset: plain full-batch GD, constant lr 0.5. */
async function startLineJob(jobId: string, epochs: number): Promise<void> {
  const spec = jobSpecSchema.parse({
    v: 1,
    jobId,
    createdAt: '2026-12-02T00:00:00.000Z',
    modelName: `${jobId}-model`,
    dataset: { name: 'line', version: manifest.version },
    target: 'y',
    features: ['x'],
    model: 'linear',
    workers: 1,
    options: {
      solver: 'gd',
      algorithm: 'batch',
      optimizer: 'plain',
      schedule: 'constant',
      lr: 0.5,
      epochs,
      tol: 0,
    },
  });
  await startJob(runtime.engine(), spec, manifest, keys.manifest('line', manifest.version));
}

/** Computes the job's pending work message (its one partition) and answers with its result note. */
async function computeRound(jobId: string, round: number): Promise<ReceivedMessage> {
  for (let tries = 0; tries < 20; tries++) {
    for (const m of await runtime.workQueue.receive({ maxMessages: 10 })) {
      const work = parseMessage(workMessageSchema, m.body);
      await runtime.workQueue.delete(m.receiptHandle);
      if (work.jobId === jobId && work.round === round) {
        // The note below is written by hand without a result: the worker stores its result.
        await handleWork({ ...runtime.engine(), inlineResultMaxBytes: 0 }, work);
        const body: ResultMessage = { v: 1, type: 'result', jobId, round, shard: 0 };
        return {
          messageId: `${jobId}-${round}-${tries}`,
          body: JSON.stringify(body),
          receiptHandle: `rh-${jobId}-${round}-${tries}`,
          receiveCount: 1,
          groupId: jobId,
          sentAt: new Date(0),
        };
      }
    }
  }
  throw new Error(`no work message for ${jobId} round ${round}`);
}

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const aggregator = () => createAggregator(config) as unknown as SqsHandler;
const aggregate = (...messages: ReceivedMessage[]) =>
  aggregator()(sqsEvent('shardtrain-aggregate.fifo', messages), context('aggregator'));
const failures = (out: SQSBatchResponse) => out.batchItemFailures.map((f) => f.itemIdentifier);

describe('Function: aggregator on an AWS runtime', () => {
  it('publishes one EMF line per applied round under the namespace, and the report only when the job finishes', async () => {
    const jobId = 'emf-job';
    await startLineJob(jobId, 2);
    const round0 = await computeRound(jobId, 0);
    const first = await emfLines(() => aggregate(round0));
    expect(failures(first.value)).toEqual([]);
    // Round 0 applied, the job goes on: one line, no report yet.
    expect(first.lines).toHaveLength(1);
    const emf0 = first.lines[0]!;
    expect(directiveOf(emf0).Namespace).toBe(NAMESPACE);
    expect(Object.fromEntries(directiveOf(emf0).Metrics.map((m) => [m.Name, m.Unit]))).toEqual({
      Loss: 'None',
      GradientNorm: 'None',
      LearningRate: 'None',
      // The round was fanned out by this process (startJob), so its wall time is known.
      RoundTime: 'Milliseconds',
    });
    expect(emf0.jobId).toBe(jobId);
    expect(emf0.round).toBe('0');
    expect(emf0.service).toBe('shardtrain');
    expect(emf0.Loss as number).toBeCloseTo(0.5, 6);
    expect(emf0.GradientNorm as number).toBeCloseTo(1, 6);
    expect(emf0.LearningRate).toBe(0.5);
    expect(await runtime.store.head(keys.job.report(jobId))).toBeUndefined();

    // The same note again: the round is already applied (stale), nothing is published.
    const again = await emfLines(() => aggregate({ ...round0, messageId: 'dup-0' }));
    expect(failures(again.value)).toEqual([]);
    expect(again.lines).toEqual([]);

    // Round 1 is the last (2 epochs, one round each): published, then the job's report written.
    const round1 = await computeRound(jobId, 1);
    const last = await emfLines(() => aggregate(round1));
    expect(failures(last.value)).toEqual([]);
    expect(last.lines).toHaveLength(1);
    const emf1 = last.lines[0]!;
    expect(directiveOf(emf1).Namespace).toBe(NAMESPACE);
    expect(emf1.round).toBe('1');
    expect(emf1.Loss as number).toBeCloseTo(0.125, 6);
    expect(emf1.GradientNorm as number).toBeCloseTo(0.5, 6);
    expect(emf1.LearningRate).toBe(0.5);
    const report = await runtime.store.get(keys.job.report(jobId));
    expect(report).toBeDefined();
    const html = new TextDecoder().decode(report!.body);
    expect(html.toLowerCase().startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(jobId);
    expect(await runtime.registry.listVersions(`${jobId}-model`)).toEqual([1]);
  });

  it('logs a report that cannot be written and still acknowledges the finishing message', async () => {
    const store = runtime.store;
    const put = store.put.bind(store);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // Reports refused by the store: once with an Error, once with a bare string.
    const refusals: unknown[] = [new Error('bucket policy denies reports'), 'throttled'];
    const reports = new Set(['report-denied', 'report-throttled'].map((j) => keys.job.report(j)));
    vi.spyOn(store, 'put').mockImplementation((key, ...rest) =>
      reports.has(key) ? Promise.reject(refusals.shift()) : put(key, ...rest),
    );
    for (const [jobId, message] of [
      ['report-denied', 'bucket policy denies reports'],
      ['report-throttled', 'throttled'],
    ] as const) {
      // One epoch: round 0 both applies and finishes the job.
      await startLineJob(jobId, 1);
      const round0 = await computeRound(jobId, 0);
      const out = await emfLines(() => aggregate(round0));
      expect(failures(out.value)).toEqual([]);
      expect(logged.mock.calls.map((c) => c.join(' '))).toContain(
        `report of job ${jobId} not written: ${message}`,
      );
      // The model is registered all the same.
      expect(await runtime.registry.listVersions(`${jobId}-model`)).toEqual([1]);
    }
    expect(refusals).toEqual([]);
  });
});

type PreprocessHandler = (event: S3Event, context: Context) => Promise<UploadRecord[]>;

describe('Function: preprocess on an AWS runtime', () => {
  /** Puts each object, then delivers one S3 event with their ObjectCreated records, in order. */
  async function upload(...objects: [key: string, body: string][]): Promise<UploadRecord[]> {
    const records: S3Event['Records'] = [];
    for (const [key, body] of objects) {
      const { etag } = await runtime.store.put(key, body);
      records.push(...s3PutEvent(config.bucket, key, Buffer.byteLength(body), etag).Records);
    }
    const preprocess = createPreprocess(config) as unknown as PreprocessHandler;
    return preprocess({ Records: records }, context('preprocess'));
  }
  const errorLines = (spy: { mock: { calls: unknown[][] } }) =>
    spy.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);

  it('logs a refused file as one JSON error line with its recorded reason, and nothing for a good one', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // Row 3 has one cell where the header has two.
    const out = await upload(
      ['datasets/ragged/r.csv', 'x,y\n1,2\n3\n'],
      ['datasets/fine/f.csv', 'x,y\n1,2\n3,4\n'],
    );
    expect(out.map((r) => [r.dataset, r.state])).toEqual([['fine', 'ready']]);
    const statuses = await runtime.store.list(keys.uploadStatusPrefix('ragged'));
    expect(statuses).toHaveLength(1);
    const failed = JSON.parse(new TextDecoder().decode((await runtime.store.get(statuses[0]!.key))!.body));
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/line 3/);
    expect(errorLines(logged)).toEqual([
      { level: 'error', key: 'datasets/ragged/r.csv', reason: failed.error },
    ]);
  });

  it('logs nothing for keys that are not uploads', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // Outside datasets/, and a file directly under datasets/ (no dataset folder).
    expect(
      await upload(['processed/elsewhere.csv', 'x,y\n1,2\n'], ['datasets/loose.csv', 'x,y\n1,2\n']),
    ).toEqual([]);
    expect(logged).not.toHaveBeenCalled();
  });

  it('answers and logs a partitioned version that failed, once its failing part arrives', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await upload(['datasets/parts/v1/part-0.csv', 'x,y\n1,2\n3,4\n'])).toEqual([]);
    expect(logged).not.toHaveBeenCalled();
    // The marker names two parts (the second not written yet); that part is refused: the version fails.
    expect(
      await upload(['datasets/parts/v1/_SUCCESS', '{"v":1,"parts":["part-0.csv","part-1.csv"]}']),
    ).toEqual([]);
    const out = await upload(['datasets/parts/v1/part-1.csv', 'x,y\n5\n']);
    expect(out).toHaveLength(1);
    const record = out[0]!;
    expect([record.dataset, record.state]).toEqual(['parts', 'failed']);
    if (record.state !== 'failed') throw new Error('not failed');
    expect(record.error).toMatch(/part-1\.csv/);
    expect(errorLines(logged)).toEqual([
      { level: 'error', key: 'datasets/parts/v1/part-1.csv', reason: record.error },
    ]);
    // Nothing of a failed version is marked settled.
    expect(await runtime.store.head(keys.uploadSettled('parts', record.uploadId))).toBeUndefined();
  });
});
