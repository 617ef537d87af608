import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteQueueBroker } from '../../../../lib/adapters/local/sqlite-queue-broker.js';
import { NotFoundError, UsageError } from '../../../../lib/errors.js';
import { queueConformance } from '../../../support/conformance/queue.js';

const T0 = Date.UTC(2025, 0, 1);

// The port's contract (delivery, visibility, FIFO order, deduplication) is the shared suite, on
// the real clock; the tests below are the SQLite queue's own (clock-driven timing, redrive, limits).
let conformance: { directory: string; broker: SqliteQueueBroker; queues: number } | undefined;
queueConformance('SqliteQueue (local)', {
  async create({ fifo }) {
    if (conformance === undefined) {
      const directory = await mkdtemp(path.join(tmpdir(), 'sqlite-conf-'));
      conformance = {
        directory,
        broker: new SqliteQueueBroker({ path: path.join(directory, 'q.db') }),
        queues: 0,
      };
    }
    conformance.queues += 1;
    return conformance.broker.createQueue({ name: `q${conformance.queues}${fifo ? '.fifo' : ''}` });
  },
  async cleanUp() {
    if (conformance === undefined) return;
    conformance.broker.close();
    await rm(conformance.directory, { recursive: true, force: true });
    conformance = undefined;
  },
});

describe('Class: SqliteQueue', () => {
  let directory: string;
  let clock: number;
  let broker: SqliteQueueBroker;

  const advanceSeconds = (seconds: number) => {
    clock += seconds * 1000;
  };

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'sqlite-queue-'));
    clock = T0;
    broker = new SqliteQueueBroker({ path: path.join(directory, 'queues.db'), now: () => clock });
  });

  afterEach(async () => {
    broker.close();
    await rm(directory, { recursive: true, force: true });
  });

  describe('Method: receive', () => {
    it('hides a received message for the visibility timeout, then delivers it again', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      const { messageId } = await queue.send('job-1');

      // Act
      const [first] = await queue.receive();
      const during = await queue.receive();
      advanceSeconds(29.999);
      const justBefore = await queue.receive();
      advanceSeconds(0.001); // t = 30 s: visible again
      const [second] = await queue.receive();

      // Assess
      expect(first).toMatchObject({ messageId, body: 'job-1', receiveCount: 1, sentAt: new Date(T0) });
      expect(during).toEqual([]);
      expect(justBefore).toEqual([]);
      expect(second).toMatchObject({ messageId, receiveCount: 2 });
      expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    });

    it('takes the visibility timeout from the receive call when given', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      await queue.send('x');

      // Act
      await queue.receive({ visibilityTimeoutSeconds: 5 });
      advanceSeconds(5);
      const again = await queue.receive();

      // Assess
      expect(again.map((m) => m.receiveCount)).toEqual([2]);
    });

    it('returns at most maxMessages, oldest first, and rejects more than 10', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work' });
      for (let i = 0; i < 12; i += 1) await queue.send(`m${i}`);

      // Act
      const first = await queue.receive({ maxMessages: 10 });
      const rest = await queue.receive({ maxMessages: 10 });

      // Assess: 12 = 10 + 2
      expect(first.map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      expect(rest.map((m) => m.body)).toEqual(['m10', 'm11']);
      await expect(queue.receive({ maxMessages: 11 })).rejects.toBeInstanceOf(UsageError);
      await expect(queue.receive({ maxMessages: 0 })).rejects.toBeInstanceOf(UsageError);
    });

    it('long-polls: waits for a message sent meanwhile', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work' });
      setTimeout(() => void queue.send('late'), 100);

      // Act
      const started = performance.now();
      const received = await queue.receive({ waitTimeSeconds: 5 });
      const waitedMs = performance.now() - started;

      // Assess: woken by the send (~100 ms), long before the 5 s limit
      expect(received.map((m) => m.body)).toEqual(['late']);
      expect(waitedMs).toBeLessThan(2000);
    });

    it('long-polls: returns empty after waitTimeSeconds when nothing comes', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work' });

      // Act
      const started = performance.now();
      const received = await queue.receive({ waitTimeSeconds: 1 });

      // Assess
      expect(received).toEqual([]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    });
  });

  describe('Method: receive (redrive)', () => {
    it('moves a message to the dead-letter queue instead of its (maxReceiveCount + 1)th delivery', async () => {
      // Prepare
      const dlq = broker.createQueue({ name: 'work-dlq' });
      const queue = broker.createQueue({
        name: 'work',
        visibilityTimeoutSeconds: 10,
        maxReceiveCount: 3,
        deadLetterQueue: 'work-dlq',
      });
      const { messageId } = await queue.send('poison');

      // Act: deliveries 1, 2, 3 each time out; the 4th receive moves it
      const counts: number[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const [message] = await queue.receive();
        counts.push(message?.receiveCount ?? -1);
        advanceSeconds(10);
      }
      const fourth = await queue.receive();

      // Assess
      expect(counts).toEqual([1, 2, 3]);
      expect(fourth).toEqual([]);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await dlq.peek()).toEqual([
        {
          messageId,
          body: 'poison',
          receiveCount: 3,
          sentAt: new Date(T0),
          state: 'visible',
          sourceQueue: 'work',
        },
      ]);
      const [fromDlq] = await dlq.receive();
      expect(fromDlq).toMatchObject({ messageId, receiveCount: 4 });
    });

    it('delivers the healthy messages behind a poisoned one in the same receive', async () => {
      // Prepare
      broker.createQueue({ name: 'dlq' });
      const queue = broker.createQueue({ name: 'work', maxReceiveCount: 1, deadLetterQueue: 'dlq' });
      await queue.send('poison');
      await queue.receive();
      advanceSeconds(30);
      await queue.send('healthy');

      // Act
      const received = await queue.receive({ maxMessages: 10 });

      // Assess
      expect(received.map((m) => m.body)).toEqual(['healthy']);
      expect((await broker.getQueue('dlq').peek()).map((m) => m.body)).toEqual(['poison']);
    });

    it('moves dead letters back with moveMessagesTo, with fresh receive counts', async () => {
      // Prepare
      const dlq = broker.createQueue({ name: 'dlq' });
      const queue = broker.createQueue({ name: 'work', maxReceiveCount: 1, deadLetterQueue: 'dlq' });
      await queue.send('a');
      await queue.receive();
      advanceSeconds(30);
      await queue.receive();

      // Act
      const moved = await dlq.moveMessagesTo('work');
      const [again] = await queue.receive();

      // Assess
      expect(moved).toBe(1);
      expect(again).toMatchObject({ body: 'a', receiveCount: 1 });
    });
  });

  describe('Method: receive (FIFO)', () => {
    it('fills a receive with one group in send order before the next, groups by their oldest message', async () => {
      // Prepare: sends b1 a1 b2 a2 c1 (seq 1..5); groups by oldest message: b (1), a (2), c (5)
      const queue = broker.createQueue({ name: 'agg.fifo', contentBasedDeduplication: true });
      for (const [group, body] of [
        ['job-b', 'b1'],
        ['job-a', 'a1'],
        ['job-b', 'b2'],
        ['job-a', 'a2'],
        ['job-c', 'c1'],
      ] as const) {
        await queue.send(body, { groupId: group });
      }

      // Act
      const first = await queue.receive({ maxMessages: 3 });
      const second = await queue.receive({ maxMessages: 10 });

      // Assess: job-b whole (2), then job-a's first (1) = 3; job-a is in flight, so only job-c is left
      expect(first.map((m) => m.body)).toEqual(['b1', 'b2', 'a1']);
      expect(first.map((m) => m.groupId)).toEqual(['job-b', 'job-b', 'job-a']);
      expect(second.map((m) => m.body)).toEqual(['c1']);
    });

    it('delivers nothing more of a group while any delivered message of it is in flight', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'agg.fifo', visibilityTimeoutSeconds: 10 });
      for (const n of [1, 2, 3]) await queue.send(`r${n}`, { groupId: 'g', deduplicationId: String(n) });
      const batch = await queue.receive({ maxMessages: 2 });

      // Act
      await queue.delete(batch[0]!.receiptHandle); // r1 done, r2 still in flight
      const blocked = await queue.receive({ maxMessages: 10 });
      await queue.deleteBatch([batch[1]!.receiptHandle]);
      const next = await queue.receive({ maxMessages: 10 });

      // Assess
      expect(batch.map((m) => m.body)).toEqual(['r1', 'r2']);
      expect(blocked).toEqual([]);
      expect(next.map((m) => m.body)).toEqual(['r3']);
    });

    it('redelivers a whole unfinished batch in order after its visibility expires', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'agg.fifo', visibilityTimeoutSeconds: 10 });
      for (const n of [1, 2, 3]) await queue.send(`r${n}`, { groupId: 'g', deduplicationId: String(n) });
      const batch = await queue.receive({ maxMessages: 10 });

      // Act: r1 handled; r2 failed, so r3 was not tried (both stay in flight)
      await queue.delete(batch[0]!.receiptHandle);
      advanceSeconds(10);
      const again = await queue.receive({ maxMessages: 10 });

      // Assess
      expect(again.map((m) => [m.body, m.receiveCount])).toEqual([
        ['r2', 2],
        ['r3', 2],
      ]);
    });

    it('redelivers the same head after its visibility expires, before later messages of the group', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'agg.fifo', visibilityTimeoutSeconds: 10 });
      await queue.send('r1', { groupId: 'g', deduplicationId: '1' });
      await queue.send('r2', { groupId: 'g', deduplicationId: '2' });

      // Act
      const [first] = await queue.receive();
      advanceSeconds(10);
      const [again] = await queue.receive();

      // Assess
      expect(first?.body).toBe('r1');
      expect(again).toMatchObject({ body: 'r1', receiveCount: 2 });
    });

    it('drops a second send with the same deduplication id within 5 minutes', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'agg.fifo' });

      // Act
      const original = await queue.send('round 3', { groupId: 'j', deduplicationId: 'j-3' });
      advanceSeconds(299);
      const duplicate = await queue.send('round 3', { groupId: 'j', deduplicationId: 'j-3' });
      advanceSeconds(1); // 300 s after the first send: the id is forgotten
      const later = await queue.send('round 3', { groupId: 'j', deduplicationId: 'j-3' });

      // Assess
      expect(duplicate.messageId).toBe(original.messageId);
      expect(later.messageId).not.toBe(original.messageId);
      expect((await queue.peek()).map((m) => m.messageId)).toEqual([original.messageId, later.messageId]);
    });

    it('refuses messages without a groupId, or without a deduplication id when dedup is not content-based', async () => {
      const queue = broker.createQueue({ name: 'agg.fifo' });
      await expect(queue.send('x', { deduplicationId: '1' })).rejects.toBeInstanceOf(UsageError);
      await expect(queue.send('x', { groupId: 'g' })).rejects.toBeInstanceOf(UsageError);
      await expect(
        queue.send('x', { groupId: 'g', deduplicationId: '1', delaySeconds: 5 }),
      ).rejects.toBeInstanceOf(UsageError);
    });
  });

  describe('Method: sendBatch', () => {
    it('sends 1 to 10 entries and rejects 0 or 11', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work' });
      const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ body: `e${i}` }));

      // Act
      await queue.sendBatch(entries(10));

      // Assess
      expect(await queue.depth()).toEqual({ visible: 10, inFlight: 0, delayed: 0 });
      await expect(queue.sendBatch(entries(11))).rejects.toBeInstanceOf(UsageError);
      await expect(queue.sendBatch([])).rejects.toBeInstanceOf(UsageError);
      expect((await queue.depth()).visible).toBe(10);
    });

    it('sends nothing when one entry is invalid', async () => {
      const queue = broker.createQueue({ name: 'work' });
      await expect(queue.sendBatch([{ body: 'ok' }, { body: '' }])).rejects.toBeInstanceOf(UsageError);
      expect((await queue.depth()).visible).toBe(0);
    });
  });

  describe('Method: send', () => {
    it('holds a delayed message back for delaySeconds', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work' });

      // Act
      await queue.send('later', { delaySeconds: 60 });
      const depthBefore = await queue.depth();
      const early = await queue.receive();
      advanceSeconds(60);
      const onTime = await queue.receive();

      // Assess
      expect(depthBefore).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(early).toEqual([]);
      expect(onTime.map((m) => m.body)).toEqual(['later']);
    });

    it('rejects a deduplication id on a standard queue and a body over 256 KiB', async () => {
      const queue = broker.createQueue({ name: 'work' });
      await expect(queue.send('x', { deduplicationId: 'd' })).rejects.toBeInstanceOf(UsageError);
      // 262144 bytes is the limit; one more byte is refused
      await queue.send('a'.repeat(262_144));
      await expect(queue.send('a'.repeat(262_145))).rejects.toBeInstanceOf(UsageError);
    });
  });

  describe('Method: delete', () => {
    it('deletes with the current receipt handle and ignores a stale one', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 10 });
      await queue.send('x');
      const [first] = await queue.receive();
      advanceSeconds(10);
      const [second] = await queue.receive();

      // Act
      await queue.delete(first!.receiptHandle); // stale: the message was delivered again
      const afterStale = await queue.depth();
      await queue.delete(second!.receiptHandle);
      await queue.delete('not-a-handle');

      // Assess
      expect(afterStale).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('Method: deleteAndReceive', () => {
    it('deletes the handled messages and receives the next ones in one call', async () => {
      // Prepare: three messages, the first one received
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      await queue.sendBatch(['a', 'b', 'c'].map((body) => ({ body })));
      const [a] = await queue.receive();

      // Act
      const next = await queue.deleteAndReceive([a!.receiptHandle], { maxMessages: 2 });

      // Assess: "a" is gone, "b" and "c" are in flight with their first delivery
      expect(next.map((m) => [m.body, m.receiveCount])).toEqual([
        ['b', 1],
        ['c', 1],
      ]);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
      expect(await queue.deleteAndReceive(next.map((m) => m.receiptHandle))).toEqual([]);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('delivers the next message of a FIFO group that the delete frees', async () => {
      // Prepare: two messages of one group; while the first is in flight the second is held back
      const queue = broker.createQueue({ name: 'agg.fifo', contentBasedDeduplication: true });
      await queue.send('r1', { groupId: 'job' });
      await queue.send('r2', { groupId: 'job' });
      const [first] = await queue.receive({ maxMessages: 1 });
      expect(await queue.receive()).toEqual([]);

      // Act
      const next = await queue.deleteAndReceive([first!.receiptHandle], { maxMessages: 10 });

      // Assess
      expect(next.map((m) => m.body)).toEqual(['r2']);
    });
  });

  describe('Method: holdSends', () => {
    it('holds the sends of the connection until the next delete commits them with it', async () => {
      // Prepare: a work message in flight; the handler sends a result to another queue
      const work = broker.createQueue({ name: 'work' });
      const results = broker.createQueue({ name: 'results.fifo' });
      await work.send('shard-0');
      const [message] = await work.receive();
      work.holdSends();

      // Act 1: sends while held
      await results.send('done-0', { groupId: 'job', deduplicationId: 'r0' });
      await results.sendBatch([{ body: 'done-0', groupId: 'job', deduplicationId: 'r0' }]);
      const whileHeld = await results.depth();
      // Act 2: the delete of the work message
      const next = await work.deleteAndReceive([message!.receiptHandle]);

      // Assess: nothing visible while held; then one result (the second send was a duplicate)
      expect(whileHeld).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(next).toEqual([]);
      expect(await work.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect((await results.peek()).map((m) => m.body)).toEqual(['done-0']);
      // and sends are no longer held
      await results.send('done-1', { groupId: 'job', deduplicationId: 'r1' });
      expect((await results.depth()).visible).toBe(2);
    });

    it('checks a held send at once, and releaseHeldSends commits the held ones alone', async () => {
      // Prepare
      const results = broker.createQueue({ name: 'results.fifo' });
      results.holdSends();

      // Act
      const refused = await results.send('no group').catch((e: unknown) => e);
      await results.send('kept', { groupId: 'job', deduplicationId: 'k' });
      await results.releaseHeldSends();

      // Assess
      expect(refused).toBeInstanceOf(UsageError);
      expect((await results.peek()).map((m) => m.body)).toEqual(['kept']);
    });
  });

  describe('Method: changeVisibility', () => {
    it('extends or ends the invisibility of an in-flight message', async () => {
      // Prepare
      const queue = broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 10 });
      await queue.send('x');
      const [message] = await queue.receive();

      // Act: at t = 5 s extend to t = 5 + 60 = 65 s
      advanceSeconds(5);
      await queue.changeVisibility(message!.receiptHandle, 60);
      advanceSeconds(59); // t = 64 s
      const stillHidden = await queue.receive();
      advanceSeconds(1); // t = 65 s
      const [again] = await queue.receive();
      await queue.changeVisibility(again!.receiptHandle, 0);
      const [released] = await queue.receive();

      // Assess
      expect(stillHidden).toEqual([]);
      expect(again?.receiveCount).toBe(2);
      expect(released?.receiveCount).toBe(3);
      await expect(queue.changeVisibility(message!.receiptHandle, 10)).rejects.toThrow(/not in flight/);
    });
  });

  describe('Method: purge', () => {
    it('deletes every message, in flight or not', async () => {
      const queue = broker.createQueue({ name: 'work' });
      await queue.sendBatch([{ body: 'a' }, { body: 'b' }, { body: 'c', delaySeconds: 10 }]);
      await queue.receive();
      expect(await queue.purge()).toBe(3);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('Method: depth', () => {
    it('forgets messages older than the retention period', async () => {
      const queue = broker.createQueue({ name: 'work', messageRetentionSeconds: 60 });
      await queue.send('old');
      advanceSeconds(60);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await queue.receive()).toEqual([]);
    });
  });
});

describe('Class: SqliteQueueBroker', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'sqlite-broker-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('Method: createQueue', () => {
    it('returns the existing queue for the same attributes and refuses different ones', () => {
      const broker = new SqliteQueueBroker({ path: path.join(directory, 'q.db') });
      broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 30 });
      expect(broker.createQueue({ name: 'work' }).attributes.visibilityTimeoutSeconds).toBe(30);
      expect(() => broker.createQueue({ name: 'work', visibilityTimeoutSeconds: 60 })).toThrow(UsageError);
      broker.close();
    });

    it('checks names and redrive policies the way SQS does', () => {
      const broker = new SqliteQueueBroker({ path: ':memory:' });
      broker.createQueue({ name: 'std-dlq' });
      expect(() => broker.createQueue({ name: 'agg', fifo: true })).toThrow(UsageError);
      expect(() => broker.createQueue({ name: 'bad name' })).toThrow(UsageError);
      expect(() => broker.createQueue({ name: 'w', deadLetterQueue: 'std-dlq' })).toThrow(UsageError);
      expect(() => broker.createQueue({ name: 'w', maxReceiveCount: 3, deadLetterQueue: 'nope' })).toThrow(
        UsageError,
      );
      expect(() =>
        broker.createQueue({ name: 'w.fifo', maxReceiveCount: 3, deadLetterQueue: 'std-dlq' }),
      ).toThrow(UsageError);
      expect(broker.createQueue({ name: 'agg.fifo' }).fifo).toBe(true);
      broker.close();
    });
  });

  describe('Option: shareConnection', () => {
    it('lets brokers of one thread on one file share a connection until the last one closes', async () => {
      // Prepare: two sharing brokers; a send held on one connection is held for the other's queues
      const file = path.join(directory, 'shared.db');
      const consumer = new SqliteQueueBroker({ path: file, shareConnection: true });
      const outbox = new SqliteQueueBroker({ path: file, shareConnection: true });
      const work = consumer.createQueue({ name: 'work' });
      const results = outbox.createQueue({ name: 'results' });

      // Act
      work.holdSends();
      await results.send('held');
      const heldDepth = await results.depth();
      await work.deleteBatch([]);
      consumer.close();
      consumer.close();

      // Assess: held by the shared connection, committed by the other broker's delete; the
      // remaining broker still works after the first one closed (twice)
      expect(heldDepth.visible).toBe(0);
      expect((await results.depth()).visible).toBe(1);
      await results.send('after');
      expect((await results.depth()).visible).toBe(2);
      outbox.close();
    });
  });

  describe('Method: getQueue', () => {
    it('finds queues across broker instances and survives a close and reopen with messages intact', async () => {
      // Prepare
      const file = path.join(directory, 'nested', 'q.db');
      const writer = new SqliteQueueBroker({ path: file });
      const queue = writer.createQueue({ name: 'work' });
      await queue.sendBatch([{ body: 'one' }, { body: 'two' }]);
      await queue.receive();
      writer.close();

      // Act
      const reader = new SqliteQueueBroker({ path: file });
      const reopened = reader.getQueue('work');

      // Assess: one in flight (30 s timeout not yet over) and one visible
      expect(await reopened.depth()).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
      expect((await reopened.peek()).map((m) => [m.body, m.receiveCount])).toEqual([
        ['one', 1],
        ['two', 0],
      ]);
      expect(() => reader.getQueue('missing')).toThrow(NotFoundError);
      expect(reader.listQueues()).toEqual(['work']);
      reader.close();
    });
  });
});
