/**
 * The end-to-end training job of the local-cloud tests (test/e2e/local-cloud.test.ts: seed
 * example, linear y ~ x, 4 workers, sync GD and local SGD), run once more through the real
 * Lambda handlers (`functions/preprocess.ts`, `worker.ts`, `aggregator.ts`) with the AWS
 * adapters, against protocol servers on loopback: s3rver (S3), local-aws-sqs (SQS standard +
 * FIFO, created like the CDK stack) and a PutEvents peer for EventBridge
 * (`startLocalEventBridge`). The final parameters must be bit-identical to the in-process runner.
 *
 * Nothing is injected: the handlers build their ports from their environment (`handlerConfigFromEnv`), i.e.
 * `new S3Client({})`, `new SQSClient({})`, `new EventBridgeClient({})`, and reach the servers
 * through the SDK's standard environment configuration (`AWS_ENDPOINT_URL_<SERVICE>`, region,
 * credentials, `AWS_{REQUEST,RESPONSE}_CHECKSUM_*=WHEN_REQUIRED` because s3rver predates
 * flexible checksums). s3rver needs path-style requests; no knob is needed for that, because the
 * S3 endpoint rules address buckets path-style whenever the custom endpoint's host is an IP
 * literal (127.0.0.1 here). Lambda's SQS event source mapping is played by `QueueConsumer`
 * (receive → SQS event → handler → delete what did not fail), with the CDK batch sizes
 * (worker 1, aggregator 10).
 *
 * Server gaps that matter here: s3rver ignores `If-None-Match: *`, so put-if-absent always
 * writes. The consumers below run one handler invocation at a time per queue and every write is
 * deterministic, so no first-writer-wins race is exercised (that path is covered by the
 * fault-injection simulations and the S3ObjectStore mock tests).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { S3ObjectStore, SqsQueue } from '../../../lib/adapters/aws/index.js';
import { FsObjectStore } from '../../../lib/adapters/local/index.js';
import { lambdaContext, s3PutEvent } from '../../../lib/adapters/local/lambda-events.js';
import { QueueConsumer, type SqsHandler } from '../../../lib/adapters/local/queue-consumer.js';
import type { Runtime, RuntimeConfig } from '../../../lib/app/index.js';
import type { UploadRecord } from '../../../lib/engine/datasets/uploads.js';
import { resolveDataset } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import type { ModelArtifact } from '../../../lib/engine/serving/model-artifact.js';
import { type JobSpec, jobSpecSchema, type TrainOptions } from '../../../lib/engine/training/job-spec.js';
import { latestState } from '../../../lib/engine/training/job-store.js';
import { seedExample, toCsv } from '../../../lib/examples/generators.js';
import type { TrainState } from '../../../lib/optim/index.js';
import {
  type LocalAws,
  type LocalEventBridge,
  type LocalS3,
  type LocalSqs,
  startLocalAws,
} from '../../support/aws-servers.js';
import { readJson } from '../../support/stored-json.js';

/** The handlers' modules, imported after the environment is set (see `beforeAll`). */
interface Handlers {
  preprocess: (event: S3Event, context: Context) => Promise<UploadRecord[]>;
  worker: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  aggregator: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  runtimeFor: (config: RuntimeConfig) => Promise<Runtime>;
  handlerConfigFromEnv: (env: NodeJS.ProcessEnv) => RuntimeConfig;
  backendLabel: (b: Runtime['backend']) => string;
  startJob: typeof import('../../../lib/engine/training/coordinator.js').startJob;
  runInProcess: typeof import('../../../lib/engine/training/in-process-runner.js').runInProcess;
}

const EVENT_BUS = 'shardtrain-test-bus';
/** The CDK stack's visibility timeout: 6 × the 2-minute function timeout. */
const VISIBILITY_TIMEOUT_S = 720;
const JOB_DEADLINE_MS = 40_000;

let s3: LocalS3;
let sqs: LocalSqs;
let bus: LocalEventBridge;
let aws: LocalAws;
let h: Handlers;
let runtime: Runtime;
let queueUrls: { work: string; workDlq: string; aggregate: string; aggregateDlq: string };
let referenceDir: string;
/** A temp-dir copy of the bucket's `processed/seed/` objects, read by the in-process reference run. */
let reference: FsObjectStore;
let dataset: Awaited<ReturnType<typeof resolveDataset>>;
let preprocessed: UploadRecord[];
let warn: MockInstance<typeof console.warn>;

/**
 * The SDK's S3 middleware `console.warn`s this for a PutObject without a Content-Length, which
 * `S3ObjectStore.put(key, '')` (the per-round fan-out marker) used to send, once per round into
 * the Lambda logs. `put` now says the length; the last test checks the warning never shows.
 */
const EMPTY_PUT_WARNING = 'Are you using a Stream of unknown length as the Body of a PutObject request?';

beforeAll(async () => {
  const passThrough = console.warn.bind(console);
  warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => passThrough(...args));
  // The SDK's environment points at the servers (startLocalAws); the handlers' settings follow.
  aws = await startLocalAws();
  ({ s3, sqs, bus } = aws);
  // Queues as in cdk/constructs/training-queues.ts: standard work queue + DLQ, FIFO aggregate
  // queue + FIFO DLQ (content-based deduplication off: the sender gives explicit ids), redrive 5.
  const workDlq = await sqs.createQueue('shardtrain-work-dlq');
  const aggregateDlq = await sqs.createQueue('shardtrain-aggregate-dlq', { fifo: true });
  const work = await sqs.createQueue('shardtrain-work', {
    visibilityTimeout: VISIBILITY_TIMEOUT_S,
    redrive: { dlq: workDlq.arn, maxReceiveCount: 5 },
  });
  const aggregate = await sqs.createQueue('shardtrain-aggregate', {
    fifo: true,
    visibilityTimeout: VISIBILITY_TIMEOUT_S,
    redrive: { dlq: aggregateDlq.arn, maxReceiveCount: 5 },
  });
  queueUrls = {
    work: work.url,
    workDlq: workDlq.url,
    aggregate: aggregate.url,
    aggregateDlq: aggregateDlq.url,
  };

  Object.assign(process.env, {
    BUCKET_NAME: s3.bucket,
    WORK_QUEUE_URL: work.url,
    AGGREGATE_QUEUE_URL: aggregate.url,
    EVENT_BUS_NAME: EVENT_BUS,
    // The aggregator's EMF lines would flood the test output; Powertools reads this at import.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const [preprocess, worker, aggregator, runtimeModule, coordinator, inProcess] = await Promise.all([
    import('../../../functions/preprocess.js'),
    import('../../../functions/worker.js'),
    import('../../../functions/aggregator.js'),
    import('../../../lib/app/index.js'),
    import('../../../lib/engine/training/coordinator.js'),
    import('../../../lib/engine/training/in-process-runner.js'),
  ]);
  h = {
    preprocess: preprocess.handler as unknown as Handlers['preprocess'],
    worker: worker.handler as unknown as Handlers['worker'],
    aggregator: aggregator.handler as unknown as Handlers['aggregator'],
    runtimeFor: runtimeModule.runtimeFor,
    handlerConfigFromEnv: runtimeModule.handlerConfigFromEnv,
    backendLabel: runtimeModule.backendLabel,
    startJob: coordinator.startJob,
    runInProcess: inProcess.runInProcess,
  };
  runtime = await h.runtimeFor(h.handlerConfigFromEnv(process.env));

  // Upload the seed example as `aws s3 cp` would, then deliver the S3 notification.
  const key = keys.upload('seed', 'seed.csv');
  const csv = toCsv(seedExample());
  const uploader = new S3ObjectStore({ bucket: s3.bucket, client: s3.client });
  const { etag } = await uploader.put(key, csv, { contentType: 'text/csv' });
  preprocessed = await h.preprocess(
    s3PutEvent(s3.bucket, key, Buffer.byteLength(csv), etag),
    lambdaContext('preprocess'),
  );
  dataset = await resolveDataset(runtime.store, 'seed');

  // The in-process reference reads a byte-for-byte copy of the processed dataset.
  referenceDir = await mkdtemp(join(tmpdir(), 'shardtrain-aws-e2e-'));
  reference = new FsObjectStore({ root: referenceDir });
  for (const info of await runtime.store.list(`${keys.processedPrefix}/seed/`)) {
    const object = await runtime.store.get(info.key);
    if (object !== undefined) await reference.put(info.key, object.body);
  }
});

afterAll(async () => {
  warn?.mockRestore();
  await aws?.stop();
  if (referenceDir !== undefined) await rm(referenceDir, { recursive: true, force: true });
});

/** The job spec `shardtrain train --dataset seed --target y --model linear --workers 4` builds. */
function seedSpec(jobId: string, options: TrainOptions): JobSpec {
  return jobSpecSchema.parse({
    v: 1,
    jobId,
    createdAt: new Date().toISOString(),
    modelName: 'seed',
    dataset: { name: 'seed', version: dataset.manifest.version },
    target: 'y',
    features: ['x'],
    model: 'linear',
    workers: 4,
    options,
    holdoutFraction: 0,
  });
}

/** Invokes `handler` like Lambda, but keeps what it threw (QueueConsumer only counts crashes). */
function recording(handler: SqsHandler, crashes: unknown[]): SqsHandler {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } catch (error) {
      crashes.push(error);
      throw error;
    }
  };
}

/**
 * Plays Lambda's event source mappings until the job has its model and registration: four
 * concurrent worker invocations (batch size 1) per step, then one aggregator batch (size 10).
 */
async function runJobOnQueues(jobId: string): Promise<{ invocations: number }> {
  const crashes: unknown[] = [];
  const queue = (url: string) => new SqsQueue({ queueUrl: url, payloadStore: runtime.store });
  const workers = [0, 1, 2, 3].map(
    () =>
      new QueueConsumer(queue(queueUrls.work), recording(h.worker, crashes), {
        functionName: 'worker',
        batchSize: 1,
      }),
  );
  const aggregator = new QueueConsumer(queue(queueUrls.aggregate), recording(h.aggregator, crashes), {
    functionName: 'aggregator',
    batchSize: 10,
  });
  const consumers = [...workers, aggregator];
  const finished = async (): Promise<boolean> =>
    (await runtime.store.head(keys.job.model(jobId))) !== undefined &&
    (await runtime.store.head(keys.job.registered(jobId))) !== undefined;
  const deadline = Date.now() + JOB_DEADLINE_MS;
  while (!(await finished())) {
    const failed = consumers.reduce((n, c) => n + c.stats.failed + c.stats.crashed, 0);
    if (failed > 0 || crashes.length > 0) {
      const reasons = await runtime.store.list('scratch/failures/');
      throw new Error(
        `handlers failed ${failed} message(s): ${crashes.map(String).join('; ')} ` +
          `${JSON.stringify(await Promise.all(reasons.map((r) => readJson(runtime.store, r.key))))}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish in ${JOB_DEADLINE_MS} ms`);
    const received = (await Promise.all(workers.map((w) => w.pollOnce()))).reduce((a, b) => a + b, 0);
    const aggregated = await aggregator.pollOnce();
    if (received + aggregated === 0) await new Promise((r) => setTimeout(r, 10));
  }
  return { invocations: consumers.reduce((n, c) => n + c.stats.invocations, 0) };
}

/** Every stored parameter of the two states that is not the same float (Object.is: −0 ≠ 0). */
function differingParams(actual: TrainState, expected: TrainState): string[] {
  const out: string[] = [];
  const n = Math.max(actual.params.length, expected.params.length);
  for (let i = 0; i < n; i++) {
    if (!Object.is(actual.params[i], expected.params[i])) {
      out.push(`params[${i}]: ${actual.params[i]} vs ${expected.params[i]}`);
    }
  }
  return out;
}

/**
 * Least squares of y on x straight from the generated rows (float64, before any sharding):
 * slope = Σ(x−x̄)(y−ȳ) / Σ(x−x̄)², intercept = ȳ − slope·x̄.
 */
function leastSquares(): { slope: number; intercept: number } {
  const rows = seedExample().rows.map((r) => [Number(r[0]), Number(r[1])] as const);
  const mx = rows.reduce((s, [x]) => s + x, 0) / rows.length;
  const my = rows.reduce((s, [, y]) => s + y, 0) / rows.length;
  const sxy = rows.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = rows.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

describe('Handlers: preprocess, worker, aggregator on the AWS adapters (s3rver, local-aws-sqs)', () => {
  describe('Event: S3 ObjectCreated datasets/seed/seed.csv', () => {
    it('preprocesses the upload into a ready dataset version in the bucket', async () => {
      // Assess: 100 rows, columns x and y (seedExample's defaults).
      expect(preprocessed).toHaveLength(1);
      expect(preprocessed[0]).toMatchObject({
        state: 'ready',
        dataset: 'seed',
        rows: 100,
        columns: ['x', 'y'],
      });
      expect(dataset.manifest.rows).toBe(100);
      expect(await runtime.store.head(dataset.manifestKey)).toBeDefined();
    });
  });

  describe('Job: linear y ~ x on the seed example, 4 workers, through the SQS queues', () => {
    it.each([
      ['sync GD', 'gd', { algorithm: 'batch' }],
      ['local SGD', 'lsgd', { sync: 'local-sgd', localSteps: 4, epochs: 20, seed: 5 }],
    ] as const)(
      '%s ends bit-identical to the in-process runner and registers the model',
      async (_mode, tag, options) => {
        // Prepare
        const jobId = `seed-linear-aws-${tag}-${Date.now().toString(36)}`;
        const spec = seedSpec(jobId, options);
        const eventsBefore = bus.entries.length;

        // Act
        await h.startJob(runtime.engine(), spec, dataset.manifest, dataset.manifestKey);
        const { invocations } = await runJobOnQueues(jobId);
        const expected = await h.runInProcess(
          { store: reference, kernel: runtime.backend.kernel, backend: h.backendLabel(runtime.backend) },
          spec,
          dataset.manifest,
          dataset.manifestKey,
        );

        // Assess: the same rounds and the same floats as the in-process runner.
        const state = await latestState(runtime.store, jobId);
        expect(state?.status.status).toBe('done');
        expect(state?.round).toBe(expected.state.round);
        expect(state?.params.length).toBe(expected.state.params.length);
        expect(differingParams(state!, expected.state)).toEqual([]);
        // Each round is ≥ 4 worker invocations and 1 aggregator invocation.
        expect(invocations).toBeGreaterThanOrEqual(5 * expected.state.round);
        const model = await readJson<ModelArtifact>(runtime.store, keys.job.model(jobId));
        const coefficients = model?.coefficients as Record<string, number>;
        const refCoefficients = expected.artifact.coefficients as Record<string, number>;
        expect(Object.is(coefficients.x, refCoefficients.x)).toBe(true);
        expect(Object.is(model?.intercept, expected.artifact.intercept)).toBe(true);
        // And the right answer, not only the same one: y = 2x + ε has slope ≈ 2.
        expect(Math.abs(coefficients.x! - 2)).toBeLessThan(0.05);
        if (tag === 'gd') {
          // Full-batch GD reaches the least-squares solution (up to the float32 shards).
          const ls = leastSquares();
          expect(coefficients.x).toBeCloseTo(ls.slope, 3);
          expect(model?.intercept as number).toBeCloseTo(ls.intercept, 3);
        }

        // Assess: registered in the bucket's registry, and ModelVersionCreated went to EventBridge.
        const versions = await runtime.registry.listVersions('seed');
        const mine = [];
        for (const v of versions) {
          const doc = await runtime.registry.getVersion('seed', v);
          if (doc.lineage.jobId === jobId) mine.push(doc);
        }
        expect(mine).toHaveLength(1);
        const version = mine[0]!.version;
        const versionKeys = (await runtime.store.list('registry/models/seed/versions/')).map((i) => i.key);
        expect(versionKeys).toContain(
          `registry/models/seed/versions/${String(version).padStart(6, '0')}.json`,
        );
        const created = bus.entries
          .slice(eventsBefore)
          .filter((e) => e.DetailType === 'ModelVersionCreated')
          .map((e) => ({
            source: e.Source,
            bus: e.EventBusName,
            detail: JSON.parse(e.Detail ?? '{}') as unknown,
          }));
        expect(created).toEqual([
          {
            source: 'shardtrain',
            bus: EVENT_BUS,
            detail: expect.objectContaining({ name: 'seed', version, dataset: 'seed' }),
          },
        ]);

        // Assess: the finishing aggregator left the job's report next to it (`report --url` links to it).
        const report = await runtime.store.get(`jobs/${jobId}/report.html`);
        expect(report).toBeDefined();
        expect(new TextDecoder().decode(report!.body)).toContain(`Job <code>${jobId}</code>`);

        // Assess: nothing left in flight and nothing dead-lettered.
        for (const url of Object.values(queueUrls)) {
          expect(await new SqsQueue({ queueUrl: url }).depth()).toEqual({
            visible: 0,
            inFlight: 0,
            delayed: 0,
          });
        }
      },
    );
  });
  it('puts every object, empty markers included, with a Content-Length (no SDK warning in the logs)', () => {
    const empty = warn.mock.calls.filter((args) => String(args[0]).startsWith(EMPTY_PUT_WARNING));
    expect(empty).toEqual([]);
  });
});
