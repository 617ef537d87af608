/**
 * SqsQueue against local-aws-sqs over loopback (real SDK, no mocks), with offloaded payloads in
 * s3rver. local-aws-sqs supports FIFO ordering, deduplication ids, delays and RedrivePolicy, so
 * all of those run for real here. Where it differs from SQS (checked in its source, v2.0.2):
 * - it reads only the deprecated `AttributeNames` of ReceiveMessage (not
 *   `MessageSystemAttributeNames`), which is why the adapter sends both;
 * - `ApproximateNumberOfMessages` counts in-flight messages too (SQS: only visible ones);
 * - `ChangeMessageVisibility` increments `ApproximateReceiveCount` as if it were a receive;
 * - a FIFO group is not held while one of its messages is in flight.
 * The adapter's exact mapping of those fields is covered with aws-sdk-client-mock in
 * test/unit/adapters/aws/sqs-queue.test.ts.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3ObjectStore, SqsQueue } from '../../../lib/adapters/aws/index.js';
import { UsageError } from '../../../lib/errors.js';
import type { ReceivedMessage } from '../../../lib/ports.js';
import {
  type CreateQueueOptions,
  type LocalS3,
  type LocalSqs,
  startLocalSqs,
  startS3rver,
} from '../../support/aws-servers.js';
import { queueConformance } from '../../support/conformance/queue.js';

const KiB = 1024;

let sqs: LocalSqs;
let s3: LocalS3;
let queueCounter = 0;

beforeAll(async () => {
  [sqs, s3] = await Promise.all([startLocalSqs(), startS3rver()]);
});

afterAll(async () => {
  await Promise.all([sqs.stop(), s3.stop()]);
});

/** A fresh queue per test, so no test sees another's messages. */
async function newQueue(options: CreateQueueOptions & { payloadPrefix?: string } = {}): Promise<SqsQueue> {
  queueCounter += 1;
  const created = await sqs.createQueue(`q${queueCounter}`, options);
  const payloadStore = new S3ObjectStore({
    bucket: s3.bucket,
    prefix: `q${queueCounter}/`,
    client: s3.client,
  });
  return new SqsQueue({ queueUrl: created.url, client: sqs.client, payloadStore });
}

function payloadStoreOf(queue: SqsQueue): S3ObjectStore {
  return new S3ObjectStore({
    bucket: s3.bucket,
    prefix: `${queue.name.replace('.fifo', '')}/`,
    client: s3.client,
  });
}

/** Receives until `count` messages arrived (or 20 polls passed). */
async function receiveAll(queue: SqsQueue, count: number): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (let poll = 0; poll < 20 && all.length < count; poll++) {
    all.push(...(await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 })));
  }
  return all;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Delivery, visibility, FIFO order and deduplication are the shared suite; local-aws-sqs does not
// hold a FIFO group while a message of it is in flight (see above), so that case is skipped here.
queueConformance('SqsQueue (local-aws-sqs)', {
  create: ({ fifo }) => newQueue({ fifo }),
  holdsGroupInFlight: false,
});

describe('Class: SqsQueue (local-aws-sqs)', () => {
  describe('Method: send / receive', () => {
    it('delivers a message with its id, body, receive count 1 and send time', async () => {
      // Prepare
      const queue = await newQueue();
      const before = Date.now();

      // Act
      const { messageId } = await queue.send('{"v":1,"shard":3}');
      const [message, ...rest] = await queue.receive();

      // Assess
      expect(rest).toEqual([]);
      expect(queue.fifo).toBe(false);
      expect(message).toMatchObject({ messageId, body: '{"v":1,"shard":3}', receiveCount: 1 });
      expect(message!.groupId).toBeUndefined();
      expect(message!.sentAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(message!.sentAt.getTime()).toBeLessThanOrEqual(Date.now());
    });
  });

  describe('Method: sendBatch', () => {
    it('sends 25 entries in 3 SendMessageBatch calls (10 + 10 + 5)', async () => {
      // Prepare
      const queue = await newQueue();
      const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
      const send = vi.spyOn(sqs.client, 'send');

      // Act
      await queue.sendBatch(bodies.map((body) => ({ body })));
      const batchCalls = send.mock.calls.filter(([command]) => command instanceof SendMessageBatchCommand);
      send.mockRestore();
      const received = await receiveAll(queue, 25);

      // Assess
      expect(
        batchCalls.map(([command]) => (command as SendMessageBatchCommand).input.Entries?.length),
      ).toEqual([10, 10, 5]);
      expect(received.map((m) => m.body).sort()).toEqual([...bodies].sort());
    });

    it('cuts a batch where the summed size would pass 256 KiB', async () => {
      // Prepare: three 100 KiB bodies; 100 + 100 = 200 KiB fits, + 100 = 300 KiB > 256 KiB, so 2 calls.
      const queue = await newQueue();
      const body = 'x'.repeat(100 * KiB);
      const send = vi.spyOn(sqs.client, 'send');

      // Act
      await queue.sendBatch([{ body }, { body }, { body }]);
      const batchCalls = send.mock.calls.filter(([command]) => command instanceof SendMessageBatchCommand);
      send.mockRestore();

      // Assess
      expect(
        batchCalls.map(([command]) => (command as SendMessageBatchCommand).input.Entries?.length),
      ).toEqual([2, 1]);
      expect((await queue.depth()).visible).toBe(3);
    });
  });

  describe('Method: changeVisibility', () => {
    it('hides a received message until its visibility is set back to 0', async () => {
      // Prepare
      const queue = await newQueue();
      await queue.send('work');
      const [first] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      // Act
      const whileHidden = await queue.receive();
      const depthHidden = await queue.depth();
      await queue.changeVisibility(first!.receiptHandle, 0);
      await tick(20);
      const [again] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      // Assess: SQS says visible 0 and receiveCount 2; local-aws-sqs counts the in-flight message as
      // visible too and the visibility change as a receive (3), see the header.
      expect(whileHidden).toEqual([]);
      expect(depthHidden).toMatchObject({ inFlight: 1, delayed: 0 });
      expect(again).toMatchObject({ messageId: first!.messageId, body: 'work' });
      expect([2, 3]).toContain(again!.receiveCount);
    });
  });

  describe('Method: delete', () => {
    it('removes a received message for good', async () => {
      // Prepare
      const queue = await newQueue();
      await queue.send('once');
      const [message] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      // Act
      await queue.delete(message!.receiptHandle);

      // Assess
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await queue.receive()).toEqual([]);
    });
  });

  describe('Method: depth', () => {
    it('counts visible, in-flight and delayed messages', async () => {
      // Prepare: 3 sent now, 1 delayed by 60 s; then 1 of the 3 received (in flight).
      const queue = await newQueue();
      await queue.sendBatch([
        { body: 'a' },
        { body: 'b' },
        { body: 'c' },
        { body: 'later', delaySeconds: 60 },
      ]);
      await queue.receive({ maxMessages: 1, visibilityTimeoutSeconds: 30 });

      // Act
      const depth = await queue.depth();

      // Assess: SQS: 3 − 1 = 2 visible; local-aws-sqs counts the in-flight one too (3).
      expect(depth).toMatchObject({ inFlight: 1, delayed: 1 });
      expect([2, 3]).toContain(depth.visible);
    });
  });

  describe('Redrive', () => {
    it('moves a message to the DLQ after maxReceiveCount receives', async () => {
      // Prepare: maxReceiveCount 2, so the 3rd receive attempt moves it instead of delivering it.
      const dlq = await sqs.createQueue(`dlq${++queueCounter}`);
      const queue = await newQueue({ redrive: { dlq: dlq.url, maxReceiveCount: 2 } });
      const dlqQueue = new SqsQueue({ queueUrl: dlq.url, client: sqs.client });
      await queue.send('poison');

      // Act
      const counts: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const got = await queue.receive({ visibilityTimeoutSeconds: 0 });
        counts.push(...got.map((m) => m.receiveCount));
        await tick(20);
      }
      const dead = await dlqQueue.receive();

      // Assess
      expect(counts).toEqual([1, 2]);
      expect(dead.map((m) => m.body)).toEqual(['poison']);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('Oversized payloads', () => {
    it('sends a body of exactly 256 KiB inline and offloads one byte more', async () => {
      // Prepare: 256 KiB = 262 144 bytes is the limit itself (inclusive).
      const queue = await newQueue();
      const store = payloadStoreOf(queue);
      const atLimit = 'a'.repeat(256 * KiB);
      const overLimit = 'b'.repeat(256 * KiB + 1);

      // Act
      await queue.send(atLimit);
      const afterInline = await store.list('sqs-payloads/');
      await queue.send(overLimit);
      const afterOffload = await store.list('sqs-payloads/');

      // Assess
      expect(afterInline).toEqual([]);
      expect(afterOffload).toHaveLength(1);
      expect(afterOffload[0]!.key).toMatch(/^sqs-payloads\/[0-9a-f-]{36}$/);
      expect(afterOffload[0]!.size).toBe(262_145);
    });

    it('counts UTF-8 bytes, resolves the stored body on receive and deletes it with the message', async () => {
      // Prepare: 131 073 × "é" is 131 073 characters (under 262 144) but 262 146 bytes (over it).
      const queue = await newQueue();
      const store = payloadStoreOf(queue);
      const body = 'é'.repeat(131_073);

      // Act
      await queue.sendBatch([{ body }, { body: 'small' }]);
      const received = await receiveAll(queue, 2);
      const stored = await store.list('sqs-payloads/');
      for (const message of received) await queue.delete(message.receiptHandle);

      // Assess
      expect(received.map((m) => m.body.length).sort((a, b) => a - b)).toEqual([5, 131_073]);
      expect(received.find((m) => m.body.length > 5)!.body).toBe(body);
      expect(stored.map((o) => o.size)).toEqual([262_146]);
      expect(await store.list('sqs-payloads/')).toEqual([]);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('keeps the offloaded body across changeVisibility and redelivery', async () => {
      // Prepare
      const queue = await newQueue();
      const body = 'z'.repeat(300 * KiB);
      await queue.send(body);
      const [first] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      // Act
      await queue.changeVisibility(first!.receiptHandle, 0);
      await tick(20);
      const [second] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      // Assess
      expect(second!.messageId).toBe(first!.messageId);
      expect(second!.body).toBe(body);
    });

    it('deduplicates offloaded FIFO sends on the real body when no deduplication id is given', async () => {
      // Prepare
      const queue = await newQueue({ fifo: true });
      const body = 'f'.repeat(300 * KiB);

      // Act: the pointer envelopes differ (fresh uuid keys); the bodies do not.
      await queue.send(body, { groupId: 'g' });
      await queue.send(body, { groupId: 'g' });

      // Assess
      expect((await queue.depth()).visible).toBe(1);
    });

    it('drops a pointer whose stored body is gone (a redelivery of an already deleted message)', async () => {
      // Prepare
      const queue = await newQueue();
      const store = payloadStoreOf(queue);
      await queue.send('y'.repeat(300 * KiB));
      const [object] = await store.list('sqs-payloads/');
      await store.delete(object!.key);

      // Act
      const received = await queue.receive();

      // Assess
      expect(received).toEqual([]);
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('rejects an oversized body with a UsageError when no payloadStore is configured', async () => {
      // Prepare
      queueCounter += 1;
      const created = await sqs.createQueue(`q${queueCounter}`);
      const queue = new SqsQueue({ queueUrl: created.url, client: sqs.client });

      // Act
      const sending = queue.send('n'.repeat(256 * KiB + 1));

      // Assess
      await expect(sending).rejects.toBeInstanceOf(UsageError);
      await expect(sending).rejects.toThrow(/262145 bytes, over the 262144-byte limit/);
      expect((await queue.depth()).visible).toBe(0);
    });
  });
});
