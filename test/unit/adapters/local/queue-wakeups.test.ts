import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  notifySend,
  sendCount,
  shareQueueWakeups,
  waitForSend,
} from '../../../../lib/adapters/local/queue-wakeups.js';
import { SqliteQueueBroker } from '../../../../lib/adapters/local/sqlite-queue-broker.js';

// Every broker here polls once a minute, and each long poll may wait 20 s: a receive that
// returns its message within the test's timeout was woken by the send, not by a poll.
const NEVER_POLLS = 60_000;

describe('Module: queue-wakeups', () => {
  let directory: string;
  let file: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'queue-wakeups-'));
    file = path.join(directory, 'queues.db');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('Function: waitForSend', () => {
    it('returns at once when the count moved after it was read, so a send between look and wait is not missed', async () => {
      // Prepare
      const block = new Int32Array(shareQueueWakeups(file));
      const seen = sendCount(block, 'work');

      // Act: the send lands after the read and before the wait
      notifySend(block, 'work');
      await waitForSend(block, 'work', seen, NEVER_POLLS);

      // Assess: one send, one step of the count
      expect(sendCount(block, 'work')).toBe(seen + 1);
    });
  });

  describe('Method: SqliteQueue.receive (long poll)', () => {
    it('is woken by a send from another broker on the same file in this thread', async () => {
      // Prepare
      const polling = new SqliteQueueBroker({ path: file, pollIntervalMs: NEVER_POLLS });
      const sending = new SqliteQueueBroker({ path: file, pollIntervalMs: NEVER_POLLS });
      const queue = polling.createQueue({ name: 'work' });
      const other = sending.getQueue('work');

      // Act
      const pending = queue.receive({ waitTimeSeconds: 20 });
      setImmediate(() => void other.send('from this thread'));
      const received = await pending;

      // Assess
      expect(received.map((m) => m.body)).toEqual(['from this thread']);
      polling.close();
      sending.close();
    });

    it('is woken by a send from a thread that was handed the file’s counters', async () => {
      // Prepare
      const polling = new SqliteQueueBroker({ path: file, pollIntervalMs: NEVER_POLLS });
      const queue = polling.createQueue({ name: 'aggregate' });
      const bootstrap = new URL('../../../../lib/adapters/local/ts-thread-bootstrap.mjs', import.meta.url);
      const entry = new URL('./fixtures/wake-sender.ts', import.meta.url);
      const thread = new Worker(bootstrap, {
        workerData: {
          entry: entry.href,
          file: polling.file,
          shared: shareQueueWakeups(polling.file),
          queue: queue.name,
        },
      });
      await new Promise((resolve, reject) => {
        thread.once('message', resolve);
        thread.once('error', reject);
      });

      // Act
      const pending = queue.receive({ waitTimeSeconds: 20 });
      thread.postMessage('from another thread');
      const received = await pending;

      // Assess
      expect(received.map((m) => m.body)).toEqual(['from another thread']);
      await thread.terminate();
      polling.close();
    });
  });
});
