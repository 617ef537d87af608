import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../../batch/main.js';
import { handler as predictHandler } from '../../../functions/predict.js';
import { handler as retrainHandler } from '../../../functions/retrain.js';
import { FsObjectStore } from '../../../lib/adapters/local/index.js';
import { keys } from '../../../lib/engine/keys.js';
import { jobSpecSchema } from '../../../lib/engine/training/job-spec.js';
import { seedExample } from '../../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../../support/cli.js';
import { readJson } from '../../support/stored-json.js';

const context = {
  functionName: 'test',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('Lambda handlers on the local runtime', () => {
  let dir: string;
  let home: string;
  let saved: NodeJS.ProcessEnv;

  beforeAll(async () => {
    saved = { ...process.env };
    dir = tempDir();
    home = `${dir}/home`;
    const csv = writeCsv(dir, 'seed.csv', seedExample());
    const trained = await runCli([
      '--home',
      home,
      'train',
      '--data',
      csv,
      '--target',
      'y',
      '--model',
      'linear',
      '--runner',
      'inprocess',
      '--json',
    ]);
    expect(trained.code).toBe(0);
    expect((await runCli(['--home', home, 'models', 'promote', 'seed', '1'])).code).toBe(0);
    Object.assign(process.env, { SHARDTRAIN_CLOUD: 'local', SHARDTRAIN_HOME: home });
  }, 120_000);
  afterAll(() => {
    process.env = saved;
    removeTemp(dir);
  });

  it('predict serves the champion through a Function URL event, and rejects bad rows with 400', async () => {
    const event = (body: unknown) =>
      ({ body: JSON.stringify(body), isBase64Encoded: false }) as APIGatewayProxyEventV2;
    const ok = await predictHandler(event({ model: 'seed@champion', rows: [{ x: 1 }, { x: 0 }] }), context);
    expect(ok.statusCode).toBe(200);
    const preds = (JSON.parse(ok.body!) as { predictions: { value: number }[] }).predictions.map(
      (p) => p.value,
    );
    // ŷ(1) − ŷ(0) is the slope, ≈ 2 on y = 2x + ε.
    expect(preds[0]! - preds[1]!).toBeCloseTo(2, 1);
    const bad = await predictHandler(event({ model: 'seed@champion', row: { x: 'NaN' } }), context);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/line 1, column \\"x\\"/);
    const malformed = await predictHandler(
      { body: '{', isBase64Encoded: false } as APIGatewayProxyEventV2,
      context,
    );
    expect(malformed.statusCode).toBe(400);
  });

  it('retrain runs the pipeline named in the scheduled event (skips when the data is unchanged)', async () => {
    expect(
      (
        await runCli([
          '--home',
          home,
          'pipelines',
          'create',
          'seed',
          '--dataset',
          'seed',
          '--target',
          'y',
          '--model',
          'linear',
          '--schedule',
          'rate(1 day)',
        ])
      ).code,
    ).toBe(0);
    const event = { detail: { pipeline: 'seed' } } as EventBridgeEvent<string, { pipeline: string }>;
    const results = (await retrainHandler(event, context)) as { kind: string; reason?: string }[];
    // The champion (seed@1) was trained on the newest version of "seed" already.
    expect(results[0]).toMatchObject({ kind: 'skipped' });
    expect(results[0]!.reason).toMatch(/data unchanged/);
  });

  it('the Batch entry point runs a job from its spec in the store and registers the model', async () => {
    const store = new FsObjectStore({ root: `${home}/store` });
    const jobs = (await store.list('jobs/')).filter((i) => i.key.endsWith('/spec.json'));
    const spec = jobSpecSchema.parse(await readJson(store, jobs[0]!.key));
    const jobId = 'batch-seed-job-1';
    await store.put(keys.job.spec(jobId), JSON.stringify({ ...spec, jobId }));
    await runBatchJob(jobId);
    const model = await readJson<{ coefficients: { x: number } }>(store, keys.job.model(jobId));
    const original = await readJson<{ coefficients: { x: number } }>(store, keys.job.model(spec.jobId));
    // Same spec, same data, same engine: the same model, bit for bit.
    expect(model?.coefficients.x).toBe(original?.coefficients.x);
  });
});
