import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteQueueBroker } from '../../../lib/adapters/local/sqlite-queue-broker.js';

const fixture = fileURLToPath(new URL('./fixtures/queue-receiver.mjs', import.meta.url));

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code} before answering`)));
  });
}

describe('Class: SqliteQueue (several processes)', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'sqlite-queue-procs-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('Method: receive', () => {
    it('never hands one in-flight message to two of 3 receiving processes', async () => {
      // Prepare: 150 messages, 3 receivers started together
      const file = path.join(directory, 'queues.db');
      const broker = new SqliteQueueBroker({ path: file });
      const queue = broker.createQueue({ name: 'work' });
      for (let batch = 0; batch < 15; batch += 1) {
        await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ body: `m${batch * 10 + i}` })));
      }
      const children = [0, 1, 2].map(() => fork(fixture, [file, 'work'], { execArgv: ['--import', 'tsx'] }));
      await Promise.all(children.map((child) => nextMessage<{ ready: boolean }>(child)));

      // Act
      const answers = children.map((child) => nextMessage<{ ids: string[] }>(child));
      for (const child of children) child.send('go');
      const results = await Promise.all(answers);

      // Assess: 150 deliveries in all, 150 distinct ids, all in flight
      const all = results.flatMap((result) => result.ids);
      expect(all).toHaveLength(150);
      expect(new Set(all).size).toBe(150);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 150, delayed: 0 });
      broker.close();
    });
  });
});
