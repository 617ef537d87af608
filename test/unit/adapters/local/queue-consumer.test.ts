import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processSqsBatch } from '../../../../functions/shared/sqs-batch.js';
import { FsObjectStore } from '../../../../lib/adapters/local/fs-object-store.js';
import { LocalCloud } from '../../../../lib/adapters/local/local-cloud.js';
import { QueueConsumer } from '../../../../lib/adapters/local/queue-consumer.js';
import { SqliteQueueBroker } from '../../../../lib/adapters/local/sqlite-queue-broker.js';
import { UsageError } from '../../../../lib/errors.js';

const T0 = Date.UTC(2025, 0, 1);

/**
 * The local event source mapping with a batch size above 1 (the work queue's `batchSize`, with
 * `reportBatchItemFailures` as the CDK stack sets it), on the real SQLite queue and file store.
 */
describe('Class: QueueConsumer', () => {
  let directory: string;
  let clock: number;
  let broker: SqliteQueueBroker;
  let store: FsObjectStore;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'queue-consumer-'));
    clock = T0;
    broker = new SqliteQueueBroker({ path: path.join(directory, 'queues.db'), now: () => clock });
    store = new FsObjectStore({ root: path.join(directory, 'store') });
  });

  afterEach(async () => {
    broker.close();
    await rm(directory, { recursive: true, force: true });
  });

  describe('Method: pollOnce', () => {
    it('hands up to batchSize messages to one invocation and deletes all but the reported failures', async () => {
      // Prepare: four messages, the handler fails on "b"
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      await queue.sendBatch(['a', 'b', 'c', 'd'].map((body) => ({ body })));
      const invocations: string[][] = [];
      const handler = (event: SQSEvent) => {
        invocations.push(event.Records.map((r) => r.body));
        return processSqsBatch(event, store, async (record) => {
          if (record.body === 'b') throw new Error('bad shard');
        });
      };
      const consumer = new QueueConsumer(queue, handler, { functionName: 'worker', batchSize: 10 });

      // Act: one invocation, then the failed message's visibility timeout runs out
      const first = await consumer.pollOnce();
      clock += 30_000;
      const [again] = await queue.receive();

      // Assess: 4 in one invocation; 3 deleted, 1 failed and back with its second delivery
      expect(first).toBe(4);
      expect(invocations).toEqual([['a', 'b', 'c', 'd']]);
      expect(consumer.stats).toEqual({ invocations: 1, succeeded: 3, failed: 1, crashed: 0 });
      expect(again).toMatchObject({ body: 'b', receiveCount: 2 });
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    });

    it('takes one message per invocation with batchSize 1 (the deployed worker default)', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work' });
      await queue.sendBatch(['a', 'b', 'c'].map((body) => ({ body })));
      const sizes: number[] = [];
      const handler = async (event: SQSEvent) => {
        sizes.push(event.Records.length);
        return { batchItemFailures: [] };
      };
      const consumer = new QueueConsumer(queue, handler, { functionName: 'worker', batchSize: 1 });

      // Act
      while ((await consumer.pollOnce()) > 0);

      // Assess: 3 messages, 3 invocations of 1
      expect(sizes).toEqual([1, 1, 1]);
      expect(consumer.stats).toEqual({ invocations: 3, succeeded: 3, failed: 0, crashed: 0 });
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('leaves the whole batch when the handler throws, as a crashed invocation', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      await queue.sendBatch(['a', 'b'].map((body) => ({ body })));
      const consumer = new QueueConsumer(
        queue,
        async () => {
          throw new Error('container died');
        },
        { functionName: 'worker', batchSize: 10 },
      );

      // Act
      await consumer.pollOnce();
      clock += 30_000;
      const again = await queue.receive({ maxMessages: 10 });

      // Assess: both come back for their second delivery
      expect(consumer.stats).toEqual({ invocations: 1, succeeded: 0, failed: 0, crashed: 2 });
      expect(again.map((m) => [m.body, m.receiveCount])).toEqual([
        ['a', 2],
        ['b', 2],
      ]);
    });
  });
});

describe('Class: QueueConsumer (running)', () => {
  let directory: string;
  let broker: SqliteQueueBroker;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'queue-consumer-loop-'));
    broker = new SqliteQueueBroker({ path: path.join(directory, 'queues.db') });
  });

  afterEach(async () => {
    broker.close();
    await rm(directory, { recursive: true, force: true });
  });

  describe('Method: start', () => {
    it('with holdSends, commits each invocation’s sends with its deletes and the next receive', async () => {
      // Prepare: three work messages; the handler sends one result each and notes what it can see
      const work = broker.createQueue({ name: 'work' });
      const results = broker.createQueue({ name: 'results' });
      await work.sendBatch(['a', 'b', 'c'].map((body) => ({ body })));
      const seen: { body: string; resultsVisible: number }[] = [];
      const handler = async (event: SQSEvent) => {
        const body = event.Records[0]!.body;
        await results.send(`result-${body}`);
        seen.push({ body, resultsVisible: (await results.depth()).visible });
        return { batchItemFailures: [] };
      };
      const consumer = new QueueConsumer(work, handler, {
        functionName: 'worker',
        batchSize: 1,
        holdSends: true,
      });

      // Act: run until the three results are out
      consumer.start();
      for (let i = 0; i < 200 && (await results.depth()).visible < 3; i++)
        await new Promise((r) => setTimeout(r, 10));
      await consumer.stop();

      // Assess: inside an invocation its own result is not out yet (1 fewer than handled before),
      // all three are out after it, and the work queue is empty
      expect(seen).toEqual([
        { body: 'a', resultsVisible: 0 },
        { body: 'b', resultsVisible: 1 },
        { body: 'c', resultsVisible: 2 },
      ]);
      expect((await results.peek()).map((m) => m.body)).toEqual(['result-a', 'result-b', 'result-c']);
      expect(await work.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(consumer.stats).toEqual({ invocations: 3, succeeded: 3, failed: 0, crashed: 0 });
    });

    it('with holdSends, still sends what a handler sent before it threw', async () => {
      // Prepare
      const work = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      const results = broker.createQueue({ name: 'results' });
      await work.send('a');
      const handler = async () => {
        await results.send('partial');
        throw new Error('container died');
      };
      const consumer = new QueueConsumer(work, handler, {
        functionName: 'worker',
        holdSends: true,
      });

      // Act
      await consumer.pollOnce();

      // Assess: the send is out; the work message stays in flight for its next delivery
      expect((await results.peek()).map((m) => m.body)).toEqual(['partial']);
      expect(await work.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    });
  });

  describe('Option: gather', () => {
    /** Resolves once `done()` holds, checking every few milliseconds (at most ~5 s). */
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
    };

    it('waits while the producers are busy and hands what they sent meanwhile to one invocation', async () => {
      // Prepare: a FIFO queue as the aggregator's; the "workers" are busy until the last send
      const results = broker.createQueue({ name: 'results.fifo', fifo: true });
      let busy = true;
      const invocations: string[][] = [];
      const handler = async (event: SQSEvent) => {
        invocations.push(event.Records.map((r) => r.body));
        return { batchItemFailures: [] };
      };
      const send = (body: string) => results.send(body, { groupId: 'job', deduplicationId: body });
      const consumer = new QueueConsumer(results, handler, {
        functionName: 'aggregator',
        batchSize: 10,
        gather: { busy: async () => busy, maxWaitMs: 60_000 },
      });

      // Act: one result, a pause, two more, then the last one with the producers done
      consumer.start();
      await send('r0');
      await new Promise((r) => setTimeout(r, 30));
      await send('r1');
      await send('r2');
      busy = false;
      await send('r3');
      await until(() => invocations.length > 0);
      await consumer.stop();

      // Assess: one invocation with the four, deleted
      expect(invocations).toEqual([['r0', 'r1', 'r2', 'r3']]);
      expect(consumer.stats).toEqual({ invocations: 1, succeeded: 4, failed: 0, crashed: 0 });
      expect(await results.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('receives at once when the producers are idle, and after maxWaitMs when they stay busy', async () => {
      // Prepare
      const results = broker.createQueue({ name: 'results' });
      let busy = false;
      const invocations: string[][] = [];
      const handler = async (event: SQSEvent) => {
        invocations.push(event.Records.map((r) => r.body));
        return { batchItemFailures: [] };
      };
      const consumer = new QueueConsumer(results, handler, {
        functionName: 'aggregator',
        batchSize: 10,
        gather: { busy: async () => busy, maxWaitMs: 20 },
      });

      // Act: idle producers, one message; then producers busy for good, one message
      consumer.start();
      await results.send('idle');
      await until(() => invocations.length > 0);
      busy = true;
      await results.send('stuck');
      await until(() => invocations.length > 1);
      await consumer.stop();

      // Assess: each was handled, one invocation each (a bounded wait, not a hang)
      expect(invocations).toEqual([['idle'], ['stuck']]);
    });
  });
});

describe('Class: LocalCloud', () => {
  describe('Method: constructor', () => {
    it('refuses a worker batch size SQS would refuse (1 to 10)', () => {
      const handlers = { preprocess: 'file:///p.js', worker: 'file:///w.js', aggregator: 'file:///a.js' };
      for (const workerBatchSize of [0, 11, 2.5]) {
        expect(() => new LocalCloud({ home: '/nonexistent/home', handlers, workerBatchSize })).toThrow(
          UsageError,
        );
      }
    });
  });
});
