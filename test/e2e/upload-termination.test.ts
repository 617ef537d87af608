import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handlerUrls } from '../../cli/session.js';
import { LocalCloud, openLocalQueues } from '../../lib/adapters/local/index.js';
import { removeTemp, runCli, tempDir, waitFor, writeCsv } from '../support/cli.js';

/** Issue 11, defects 1-2 and the dead-letter reasons: an upload waits for itself only. */
describe('Local cloud: uploads and dead letters', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterEach(() => removeTemp(dir));

  const csv = (n: number) => `x,y\n${Array.from({ length: n }, (_, i) => `${i},${2 * i + 1}`).join('\n')}\n`;

  it('finishes a good upload while a poisoned event from an interrupted upload is still queued', async () => {
    // Prepare: an event the preprocess handler crashes on, retried every 30 s (5 tries: 150 s).
    const queues = openLocalQueues(home);
    await queues.events.send('{"Records": [{"s3": 42}]}');
    queues.broker.close();
    const good = writeCsv(dir, 'good.csv', csv(20));

    // Act: the default visibility timeout (30 s) keeps the bad message in flight for minutes.
    const res = await runCli([
      '--home',
      home,
      'upload',
      good,
      '--dataset',
      'good',
      '--runner',
      'local',
      '--json',
    ]);

    // Assess
    expect(res.code, res.err.join('\n')).toBe(0);
    expect(res.json<{ state: string; rows: number }>()).toMatchObject({ state: 'ready', rows: 20 });
  });

  it('records why an event was dead-lettered, shows it in `dlq`, and `dlq redrive` moves it back', async () => {
    // Prepare: a poisoned event, retried every second until it is dead-lettered (5 tries).
    const cloud = new LocalCloud({
      home,
      handlers: handlerUrls(),
      workerThreads: 1,
      visibilityTimeoutSeconds: 1,
    });
    await cloud.start();
    try {
      await cloud.queues.events.send('{"Records": [{"s3": 42}]}');
      await waitFor(
        async () => ((await cloud.queues.eventsDlq.depth()).visible > 0 ? true : undefined),
        30_000,
        'the poisoned event to be dead-lettered',
      );
    } finally {
      await cloud.stop();
      cloud.close();
    }

    // Act
    const shown = await runCli(['--home', home, 'dlq', '--json']);
    const redrive = await runCli(['--home', home, 'dlq', 'redrive', '--json']);
    const after = await runCli(['--home', home, 'dlq', '--json']);

    // Assess
    expect(shown.code).toBe(0);
    const rows = shown.json<{ queue: string; reason: string | null }[]>();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.queue).toBe('s3-events-dlq');
    expect(rows[0]!.reason).toMatch(/TypeError/);
    expect(redrive.json<{ queue: string; to: string; messages: number }[]>()).toContainEqual({
      queue: 's3-events-dlq',
      to: 's3-events',
      messages: 1,
    });
    expect(after.json<unknown[]>()).toEqual([]);
    const queues = openLocalQueues(home);
    try {
      expect((await queues.events.depth()).visible).toBe(1);
    } finally {
      queues.broker.close();
    }
  }, 60_000);
});
