/**
 * The runtime's job launcher: on AWS a pipeline run that the planner sends to Batch is one
 * SubmitJob (against aws-sdk-client-mock: there is no Batch emulator) to the queue and definition
 * of the configuration; locally the child's environment reads back into the same configuration.
 */
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchJobLauncher } from '../../../lib/adapters/aws/index.js';
import {
  createJobLauncher,
  createRuntime,
  handlerConfigFromEnv,
  localJobEnv,
} from '../../../lib/app/index.js';
import { ingestUpload } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import { type PipelineDeps, runPipeline, savePipeline } from '../../../lib/engine/pipelines/index.js';
import { blobsProblem, toCsv } from '../../../lib/examples/generators.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import { choosePlacement, DEFAULT_COST_MODEL, withCostModel } from '../../../lib/planner/index.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { recordingOutbox } from '../../support/engine-fixtures.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';
import { testPipeline } from '../../support/pipeline-fixtures.js';

// Every BatchClient the adapter creates answers from this mock.
const batch = mockClient(BatchClient);
beforeEach(() => batch.reset());
afterAll(() => batch.restore());

const AWS_ENV = {
  BUCKET_NAME: 'b',
  WORK_QUEUE_URL: 'https://sqs/work',
  AGGREGATE_QUEUE_URL: 'https://sqs/aggregate.fifo',
  EVENT_BUS_NAME: 'bus',
  BATCH_JOB_QUEUE: 'arn:aws:batch:us-east-1:1:job-queue/gpu',
  BATCH_JOB_DEFINITION: 'arn:aws:batch:us-east-1:1:job-definition/train:3',
};

/** A cost model in which a Batch instance starts at once and costs nothing: the planner picks Batch. */
const freeGpu = withCostModel({
  batchStartSeconds: 0,
  batchInstances: DEFAULT_COST_MODEL.batchInstances.map((i) => ({
    ...i,
    onDemandUsdPerHour: 0,
    spotUsdPerHour: 0,
  })),
});

/** A store with the blobs dataset uploaded (one ready version) and pipeline `nightly` on it. */
async function pipelineHome(
  launcher: PipelineDeps['launcher'],
): Promise<{ deps: PipelineDeps; store: MemoryObjectStore }> {
  const store = new MemoryObjectStore();
  const csv = toCsv(
    blobsProblem({
      rows: 300,
      centres: [
        [-1, 1],
        [1, -1],
      ],
      labels: ['neg', 'pos'],
    }),
  );
  const key = keys.upload('blobs', 'blobs.csv');
  await store.put(key, csv);
  await ingestUpload(store, key);
  const events = { publish: async () => undefined };
  const deps: PipelineDeps = {
    engine: { store, outbox: recordingOutbox(), kernel: new TypedArrayKernel(), backend: 'test' },
    registry: new ModelRegistry({ store, events }),
    events,
    planner: (w) => choosePlacement(w, freeGpu),
    ...(launcher !== undefined ? { launcher } : {}),
  };
  await savePipeline(
    deps,
    testPipeline(new Date('2026-12-02T00:00:00.000Z'), {
      name: 'nightly',
      dataset: 'blobs',
      target: 'label',
      model: 'logistic',
      modelName: 'nightly',
    }),
  );
  return { deps, store };
}

describe('Function: createJobLauncher', () => {
  it("on AWS: a pipeline run placed on Batch is a SubmitJob to the configured queue and definition with the spec's key", async () => {
    // Prepare
    batch.on(SubmitJobCommand).resolves({ jobId: 'batch-42', jobName: 'x', jobArn: 'arn:x' });
    const launcher = await createJobLauncher(handlerConfigFromEnv(AWS_ENV));
    const { deps, store } = await pipelineHome(launcher);

    // Act
    const run = await runPipeline(deps, 'nightly');

    // Assess
    expect(run).toMatchObject({
      kind: 'started',
      launchId: 'batch-42',
      placement: { requested: 'auto', placement: 'batch' },
    });
    const jobId = run.kind === 'started' ? run.jobId : '';
    const calls = batch.commandCalls(SubmitJobCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.jobQueue).toBe(AWS_ENV.BATCH_JOB_QUEUE);
    expect(input.jobDefinition).toBe(AWS_ENV.BATCH_JOB_DEFINITION);
    expect(input.containerOverrides?.command).toEqual([jobId]);
    expect(input.containerOverrides?.environment).toEqual([
      { name: 'SHARDTRAIN_JOB_ID', value: jobId },
      { name: 'SHARDTRAIN_SPEC_KEY', value: `jobs/${jobId}/spec.json` },
    ]);
    // The spec is stored before the submission, with the planner's decision and the pipeline.
    const spec = JSON.parse(new TextDecoder().decode((await store.get(keys.job.spec(jobId)))!.body));
    expect(spec).toMatchObject({ pipeline: 'nightly', placement: { placement: 'batch' } });
    expect(spec.placement.planned).toMatch(/^batch-gpu /);
  });

  it('on AWS without BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION: none, and the run goes to the queues', async () => {
    const { BATCH_JOB_QUEUE: _q, BATCH_JOB_DEFINITION: _d, ...env } = AWS_ENV;
    const launcher = await createJobLauncher(handlerConfigFromEnv(env));
    expect(launcher).toBeUndefined();
    const { deps } = await pipelineHome(launcher);
    const run = await runPipeline(deps, 'nightly');
    expect(run).toMatchObject({ kind: 'started', placement: { placement: 'lambda' } });
    expect(run.kind === 'started' ? run.placement.reason : '').toMatch(
      /No job launcher is wired, so it runs queued\.$/,
    );
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(0);
  });
});

describe('Function: createRuntime (AWS, as the retrain Lambda builds it from its environment)', () => {
  it("hands the Batch launcher to the pipelines' deps", async () => {
    const runtime = await createRuntime(handlerConfigFromEnv(AWS_ENV));
    try {
      expect(runtime.launcher).toBeInstanceOf(BatchJobLauncher);
      expect(runtime.pipelines().launcher).toBe(runtime.launcher);
      expect(runtime.pipelines().planner).toBeTypeOf('function');
    } finally {
      runtime.close();
    }
  });
});

describe('Function: localJobEnv', () => {
  it("is read back by the Batch entry point's parser as the same configuration, faults left out", () => {
    const config = handlerConfigFromEnv({
      SHARDTRAIN_CLOUD: 'local',
      SHARDTRAIN_HOME: '/tmp/home',
      SHARDTRAIN_VISIBILITY_TIMEOUT: '2',
      SHARDTRAIN_KERNEL: 'typed',
      SHARDTRAIN_KERNEL_THREADS: '3',
      SHARDTRAIN_VERSION: '1.2.3',
      SHARDTRAIN_FAULTS: '{"crashRate": 0.5}',
    });
    if (config.cloud !== 'local') throw new Error('expected a local config');
    const { faults: _faults, ...withoutFaults } = config;
    expect(handlerConfigFromEnv(localJobEnv(config))).toEqual(withoutFaults);
  });
});
