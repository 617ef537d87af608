import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler as createAggregator } from '../../../functions/aggregator.js';
import { createHandler as createRetrain } from '../../../functions/retrain.js';
import { createHandler as createWorker } from '../../../functions/worker.js';
import { lambdaContext } from '../../../lib/adapters/local/lambda-events.js';
import type { LocalRuntimeConfig } from '../../../lib/app/config.js';
import { type Runtime, runtimeFor } from '../../../lib/app/index.js';
import type { UploadRecord } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import { savePipeline } from '../../../lib/engine/pipelines/index.js';
import { startJob } from '../../../lib/engine/training/coordinator.js';
import { seedExample, toCsv } from '../../../lib/examples/generators.js';
import type { Queue } from '../../../lib/ports.js';
import { removeTemp, tempDir } from '../../support/cli.js';
import { referenceRun, seedDataset, seedSpec } from '../../support/engine-fixtures.js';
import { localHandlers } from '../../support/local-handlers.js';
import { testPipeline } from '../../support/pipeline-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/**
 * The three queue/event handlers (preprocess, worker, aggregator) driven by hand on the local
 * runtime, as the local cloud drives them: an S3 event for an uploaded CSV, then the work and
 * aggregate queues drained batch by batch until the job is registered.
 */
describe('Functions: preprocess, worker and aggregator on the local runtime', () => {
  let dir: string;
  let config: LocalRuntimeConfig;
  let runtime: Runtime;
  const context = (name: string) => lambdaContext(name) as Context;
  beforeAll(async () => {
    dir = tempDir();
    config = { cloud: 'local', home: `${dir}/home`, backend: {} };
    runtime = await runtimeFor(config);
    // Each test runs alone under the mutation run: the uploaded object they share is put here.
    await runtime.store.put('datasets/seed/my data.csv', toCsv(seedExample()));
  });
  afterAll(() => {
    runtime.close();
    removeTemp(dir);
  });

  const preprocess = (...keys: string[]) => localHandlers(config).preprocess(...keys);
  const deliver = (queue: Queue, handler: unknown) => localHandlers(config).deliver(queue, handler as never);

  it('preprocess decodes the "+" of the S3 key, records the version ready and marks it settled', async () => {
    const key = 'datasets/seed/my data.csv';
    const out = await preprocess(key);
    expect(out).toHaveLength(1);
    const record = out[0]!;
    expect(record.state).toBe('ready');
    expect(record.dataset).toBe('seed');
    expect(record.key).toBe(key);
    if (record.state !== 'ready') throw new Error('not ready');
    // seedExample: 100 rows, columns x and y.
    expect(record.rows).toBe(100);
    expect(record.columns).toEqual(['x', 'y']);
    expect(await runtime.store.head(keys.manifest('seed', record.version))).toBeDefined();
    expect(await runtime.store.head(keys.uploadSettled('seed', record.uploadId))).toBeDefined();
  });

  it('preprocess records a refused file as failed, keeps going, and answers only the good ones', async () => {
    await runtime.store.put('datasets/bad/b.csv', 'x,y\n1,2\n3\n');
    // Locally the CLI prints a refusal from its record: the handler logs nothing (it does on AWS).
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // One event, the bad file first: the good one after it is still ingested.
    const out = await preprocess('datasets/bad/b.csv', 'datasets/seed/my data.csv');
    expect(out.map((r) => [r.dataset, r.state])).toEqual([['seed', 'ready']]);
    expect(logged).not.toHaveBeenCalled();
    logged.mockRestore();
    const statuses = await runtime.store.list(keys.uploadStatusPrefix('bad'));
    expect(statuses).toHaveLength(1);
    const failed = await readJson<UploadRecord>(runtime.store, statuses[0]!.key);
    expect(failed?.state).toBe('failed');
    // Nothing settles for a failed upload.
    expect(statuses.filter((s) => s.key.endsWith('.settled'))).toEqual([]);
    // Keys outside datasets/ are not uploads: nothing is recorded for them.
    await runtime.store.put('processed/elsewhere.csv', 'x,y\n1,2\n');
    expect(await preprocess('processed/elsewhere.csv')).toEqual([]);
  });

  it('preprocess skips a part of a partitioned version until its _SUCCESS marker arrives', async () => {
    const rows = seedExample({ rows: 20 }).rows;
    const half = (from: number, to: number) => toCsv({ columns: ['x', 'y'], rows: rows.slice(from, to) });
    await runtime.store.put('datasets/parts/v1/part-0.csv', half(0, 10));
    expect(await preprocess('datasets/parts/v1/part-0.csv')).toEqual([]);
    await runtime.store.put('datasets/parts/v1/part-1.csv', half(10, 20));
    expect(await preprocess('datasets/parts/v1/part-1.csv')).toEqual([]);
    await runtime.store.put('datasets/parts/v1/_SUCCESS', '');
    const out = await preprocess('datasets/parts/v1/_SUCCESS');
    expect(out).toHaveLength(1);
    expect(out[0]!.state).toBe('ready');
    if (out[0]!.state === 'ready') expect(out[0]!.rows).toBe(20);
  });

  it('worker and aggregator run a 4-partition job to its registered model, equal to the in-process run', async () => {
    const store = runtime.store;
    const ready = (await preprocess('datasets/seed/my data.csv'))[0]!;
    if (ready.state !== 'ready') throw new Error('not ready');
    const manifestKey = keys.manifest('seed', ready.version);
    const manifest = await readJson<never>(store, manifestKey);
    const spec = seedSpec('job-handlers', ready.version, { epochs: 3 });
    await startJob(runtime.engine(), spec, manifest!, manifestKey);
    const worker = createWorker(config);
    const aggregator = createAggregator(config);
    let workDone = 0;
    for (let i = 0; i < 200 && (await store.head(keys.job.registered(spec.jobId))) === undefined; i++) {
      const w = await deliver(runtime.workQueue, worker as never);
      expect(w.failed).toEqual([]);
      workDone += w.count;
      const a = await deliver(runtime.aggregateQueue, aggregator as never);
      expect(a.failed).toEqual([]);
    }
    // 3 epochs of full-batch GD: one round per epoch, one work message per partition and round.
    expect(workDone).toBe(3 * 4);
    // The reference runs the same rounds in one loop with the portable kernel; the runtime's kernel
    // (wasm) sums in another order, so the two agree to rounding, not bit for bit.
    const model = await readJson<{ coefficients: Record<string, number> }>(store, keys.job.model(spec.jobId));
    const reference = (await referenceRun(spec, seedDataset)).model as unknown as NonNullable<typeof model>;
    const names = Object.keys(reference.coefficients);
    expect(Object.keys(model!.coefficients)).toEqual(names);
    for (const n of names) {
      expect(Math.abs(model!.coefficients[n]! - reference.coefficients[n]!)).toBeLessThan(
        1e-6 * Math.abs(reference.coefficients[n]!),
      );
    }
    // Registered by the handler's runtime; locally no report is written when the job finishes.
    expect(await runtime.registry.listVersions('seed-model')).toEqual([1]);
    expect(await store.head(keys.job.report(spec.jobId))).toBeUndefined();
  });

  it('a malformed message is reported as a batch item failure, with its reason stored', async () => {
    const worker = createWorker(config);
    const aggregator = createAggregator(config);
    for (const [queue, handler] of [
      [runtime.workQueue, worker],
      [runtime.aggregateQueue, aggregator],
    ] as const) {
      const sent = await queue.send(
        '{"v":1,"type":"nonsense"}',
        queue.fifo ? { groupId: 'g', deduplicationId: `d-${queue.name}` } : {},
      );
      const r = await deliver(queue, handler as never);
      expect(r.failed).toEqual([sent.messageId]);
      const failure = await readJson<{ reason: string }>(runtime.store, keys.failure(sent.messageId));
      expect(failure?.reason).toMatch(/^ProtocolError: /);
    }
  });

  it('retrain runs the pipeline the event names, every pipeline when it names none, and forces when told', async () => {
    const retrain = createRetrain(config);
    // The handler logs its results as one JSON line; the test reads the returned value instead.
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await preprocess('datasets/seed/my data.csv');
    type Run = { pipeline: string; kind: string; reason?: string; jobId?: string };
    const run = async (detail: unknown) => (await retrain({ detail } as never, context('retrain'))) as Run[];
    for (const name of ['pa', 'pb']) {
      await savePipeline(
        runtime.pipelines(),
        testPipeline(new Date('2026-12-01T00:00:00.000Z'), {
          name,
          dataset: 'seed',
          modelName: `${name}-model`,
          options: { epochs: 1 },
        }),
      );
    }
    const one = await run({ pipeline: 'pb' });
    expect(one.map((r) => [r.pipeline, r.kind])).toEqual([['pb', 'started']]);
    // The results are also logged, as one JSON line for CloudWatch.
    expect(JSON.parse(String(log.mock.calls.at(-1)![0]))).toEqual({
      level: 'info',
      message: 'retrain',
      results: one,
    });
    const all = await run(undefined);
    expect(all.map((r) => [r.pipeline, r.kind]).sort()).toEqual([
      ['pa', 'started'],
      ['pb', 'started'],
    ]);
    // Run the three jobs to their end: the gate makes the first model of each pipeline its champion.
    const worker = createWorker(config);
    const aggregator = createAggregator(config);
    for (let i = 0, idle = 0; i < 500 && idle < 2; i++) {
      const w = await deliver(runtime.workQueue, worker as never);
      const a = await deliver(runtime.aggregateQueue, aggregator as never);
      idle = w.count + a.count === 0 ? idle + 1 : 0;
    }
    expect(await runtime.registry.getAlias('pa-model', 'champion')).toBe(1);
    const skipped = await run({ pipeline: 'pa' });
    expect(skipped.map((r) => [r.pipeline, r.kind])).toEqual([['pa', 'skipped']]);
    expect(skipped[0]!.reason).toMatch(/^data unchanged: champion pa-model@1 /);
    // Only `force: true` forces a run.
    expect((await run({ pipeline: 'pa', force: 'yes' }))[0]!.kind).toBe('skipped');
    expect((await run({ pipeline: 'pa', force: true }))[0]!.kind).toBe('started');
    log.mockRestore();
  });
});
