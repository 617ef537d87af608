import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerUrls } from '../../cli/session.js';
import { LocalCloud } from '../../lib/adapters/local/index.js';
import { seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, waitFor, writeCsv } from '../support/cli.js';

describe('Poison messages on the local cloud', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => removeTemp(dir));

  it('land in the DLQ after maxReceiveCount tries with their reason, and the cloud still trains a job', async () => {
    // Prepare: three poison messages: schema-invalid, an unknown protocol version, a missing job.
    const home = `${dir}/home`;
    const cloud = new LocalCloud({
      home,
      handlers: handlerUrls(),
      visibilityTimeoutSeconds: 1,
      workerThreads: 1,
    });
    await cloud.queues.work.sendBatch([
      { body: '{"hello":"world"}' },
      { body: '{"v":2,"type":"work","jobId":"x","round":0,"shard":0}' },
      { body: '{"v":1,"type":"work","jobId":"no-such-job","round":0,"shard":0}' },
    ]);
    // Act: the cloud runs them until they are dead-lettered (5 receives, 1 s visibility each).
    await cloud.start();
    try {
      await waitFor(
        async () => ((await cloud.queues.workDlq.depth()).visible === 3 ? true : undefined),
        40_000,
        'three dead letters',
      );
    } finally {
      await cloud.stop();
      cloud.close();
    }
    const csv = writeCsv(dir, 'seed.csv', seedExample());
    const trained = await runCli(
      // Through the local cloud (the queues holding the dead letters), not auto's in-process run.
      [
        '--home',
        home,
        'train',
        '--data',
        csv,
        '--target',
        'y',
        '--model',
        'linear',
        '--placement',
        'lambda',
        '--json',
      ],
      {
        SHARDTRAIN_VISIBILITY_TIMEOUT: '1',
      },
    );
    const dlq = await runCli(['--home', home, 'dlq', '--json']);

    // Assess
    expect(trained.code).toBe(0);
    const rows = dlq.json<{ queue: string; receiveCount: number; reason: string }[]>();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.queue === 'work-dlq' && r.receiveCount === 5)).toBe(true);
    const reasons = rows.map((r) => r.reason).join('\n');
    expect(reasons).toMatch(/ProtocolError: message does not follow the schema/);
    expect(reasons).toMatch(/ProtocolError: message has protocol version 2/);
    expect(reasons).toMatch(/ProtocolError: job no-such-job does not exist/);
  }, 90_000);
});
