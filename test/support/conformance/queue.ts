import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Queue, ReceivedMessage } from '../../../lib/ports.js';

/** How to get fresh queues of one adapter, and which SQS rules its backend keeps. */
export interface QueueSubject {
  /** A new, empty queue (FIFO: a `.fifo` queue without content-based deduplication). */
  create(options: { fifo: boolean }): Promise<Queue> | Queue;
  /** Called after each test (close a broker, remove a folder). */
  cleanUp?(): Promise<void> | void;
  /**
   * Whether a FIFO group is held while one of its messages is in flight (SQS: yes;
   * local-aws-sqs v2.0.2: no). Default true.
   */
  readonly holdsGroupInFlight?: boolean;
}

/** Receives and deletes until `count` messages came (or 30 polls passed), in delivery order. */
async function drain(queue: Queue, count: number): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (let poll = 0; poll < 30 && all.length < count; poll++) {
    const got = await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 });
    for (const m of got) await queue.delete(m.receiptHandle);
    all.push(...got);
  }
  return all;
}

/**
 * The Queue port's contract (lib/ports.ts), run against every adapter: delivery with a receive
 * count, delete, visibility, FIFO order per group, FIFO deduplication, depth.
 */
export function queueConformance(name: string, subject: QueueSubject): void {
  describe(`Queue conformance: ${name}`, () => {
    let created: Queue[] = [];
    const make = async (fifo: boolean): Promise<Queue> => {
      const q = await subject.create({ fifo });
      created.push(q);
      return q;
    };
    beforeEach(() => {
      created = [];
    });
    afterEach(async () => {
      await subject.cleanUp?.();
    });

    it('delivers a message once with its id, body and receive count 1', async () => {
      const queue = await make(false);
      const { messageId } = await queue.send('hello');

      const [m] = await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 });
      const again = await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 });

      expect(queue.fifo).toBe(false);
      expect(m).toMatchObject({ messageId, body: 'hello', receiveCount: 1 });
      expect(again).toEqual([]);
    });

    it('removes a deleted message for good, even when its visibility ends', async () => {
      const queue = await make(false);
      await queue.send('done');
      const [m] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      await queue.delete(m!.receiptHandle);

      expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
      expect((await queue.depth()).visible).toBe(0);
    });

    it('delivers a message again once its visibility is set back to 0', async () => {
      const queue = await make(false);
      await queue.send('retry me');
      const [first] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      await queue.changeVisibility(first!.receiptHandle, 0);
      const [second] = await queue.receive({ visibilityTimeoutSeconds: 30 });

      expect(second?.messageId).toBe(first?.messageId);
      expect(second!.receiveCount).toBeGreaterThanOrEqual(2);
    });

    it('FIFO: delivers each group in send order, with its group id', async () => {
      const queue = await make(true);
      await queue.send('g1-0', { groupId: 'g1', deduplicationId: 'g1-0' });
      await queue.send('g2-0', { groupId: 'g2', deduplicationId: 'g2-0' });
      await queue.sendBatch([
        { body: 'g1-1', groupId: 'g1', deduplicationId: 'g1-1' },
        { body: 'g2-1', groupId: 'g2', deduplicationId: 'g2-1' },
        { body: 'g1-2', groupId: 'g1', deduplicationId: 'g1-2' },
      ]);

      const received = await drain(queue, 5);

      const bodiesOf = (group: string) => received.filter((m) => m.groupId === group).map((m) => m.body);
      expect(queue.fifo).toBe(true);
      expect(received).toHaveLength(5);
      expect(bodiesOf('g1')).toEqual(['g1-0', 'g1-1', 'g1-2']);
      expect(bodiesOf('g2')).toEqual(['g2-0', 'g2-1']);
    });

    it.runIf(subject.holdsGroupInFlight ?? true)(
      'FIFO: holds a group while its head is in flight',
      async () => {
        const queue = await make(true);
        await queue.send('a1', { groupId: 'a', deduplicationId: 'a1' });
        await queue.send('a2', { groupId: 'a', deduplicationId: 'a2' });

        const first = await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 });
        const blocked = await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 });
        await queue.delete(first[0]!.receiptHandle);
        const next = await queue.receive({ maxMessages: 10, visibilityTimeoutSeconds: 30 });

        expect(first.map((m) => m.body)).toEqual(['a1']);
        expect(blocked).toEqual([]);
        expect(next.map((m) => m.body)).toEqual(['a2']);
      },
    );

    it('FIFO: drops a second send with the same deduplication id', async () => {
      const queue = await make(true);

      await queue.send('first', { groupId: 'job-1', deduplicationId: 'job-1/round-4' });
      await queue.send('duplicate', { groupId: 'job-1', deduplicationId: 'job-1/round-4' });
      await queue.sendBatch([
        { body: 'batched duplicate', groupId: 'job-1', deduplicationId: 'job-1/round-4' },
      ]);

      expect((await drain(queue, 1)).map((m) => m.body)).toEqual(['first']);
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
    });
  });
}
