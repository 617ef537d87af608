import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processFifoBatch } from '../../../../functions/shared/sqs-batch.js';
import { type LocalQueues, openLocalQueues } from '../../../../lib/adapters/local/local-queues.js';
import { QueueConsumer } from '../../../../lib/adapters/local/queue-consumer.js';
import { MemoryObjectStore } from '../../../../lib/simulation/memory-object-store.js';
import { removeTemp, tempDir } from '../../../support/cli.js';

/**
 * The local cloud's aggregator consumer against its FIFO queue, as the deployed event source
 * mapping (batch size 10, ReportBatchItemFailures) behaves: a batch holds a group's messages in
 * order, the reported ones come back together in order, and a message past maxReceiveCount goes to
 * the dead-letter queue, uncovering the rest of its group.
 */
describe('Class: QueueConsumer, on the aggregate FIFO queue with partial batch failures', () => {
  let dir: string;
  let queues: LocalQueues;
  beforeAll(() => {
    dir = tempDir('shardtrain-consumer-');
    // Visibility 0: a reported message is visible again at once (no waiting in a test).
    queues = openLocalQueues(dir, { visibilityTimeoutSeconds: 0, maxReceiveCount: 3 });
  });
  afterAll(() => {
    queues.broker.close();
    removeTemp(dir);
  });

  it('redelivers a poison with its later group mates until it is dead-lettered, then the rest of the group', async () => {
    const q = queues.aggregate;
    let dedup = 0;
    const send = (group: string, body: string) =>
      q.send(body, { groupId: group, deduplicationId: `d${dedup++}` });
    for (const [g, b] of [
      ['A', 'a1'],
      ['A', 'bad'],
      ['A', 'a2'],
      ['B', 'b1'],
      ['B', 'b2'],
    ] as const)
      await send(g, b);
    const batches: string[][] = [];
    const handled: string[] = [];
    const store = new MemoryObjectStore();
    // The aggregator's batch handling, with a body "bad" that never parses; each batch is recorded.
    const consumer = new QueueConsumer(
      q,
      (event: SQSEvent) => {
        batches.push(event.Records.map((r) => r.body));
        return processFifoBatch(
          event,
          store,
          (r) => {
            if (r.body === 'bad') throw new Error('poison');
            return r.body;
          },
          async (items) => {
            handled.push(...items);
          },
        );
      },
      { functionName: 'aggregator', batchSize: 10 },
    );
    expect(await consumer.pollOnce(0)).toBe(5);
    // A notification of group A that arrives after the first delivery.
    await send('A', 'a3');
    for (let i = 0; i < 10 && (await consumer.pollOnce(0)) > 0; i++);

    // Group A first (oldest), in order, then B. The poison comes back with its later group mates;
    // after 3 receives it is dead-lettered, and so is a2, which was received (untried) each time
    // with it, as SQS does too; a3, received twice, comes alone.
    expect(batches).toEqual([
      ['a1', 'bad', 'a2', 'b1', 'b2'],
      ['bad', 'a2', 'a3'],
      ['bad', 'a2', 'a3'],
      ['a3'],
    ]);
    expect(handled).toEqual(['a1', 'b1', 'b2', 'a3']);
    expect((await queues.aggregateDlq.peek()).map((m) => m.body)).toEqual(['bad', 'a2']);
    expect(consumer.stats).toMatchObject({ invocations: 4, succeeded: 4, failed: 8 });
  });
});
