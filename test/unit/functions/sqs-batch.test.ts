import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BatchItemFailure, processFifoBatch, processSqsBatch } from '../../../functions/shared/sqs-batch.js';
import { keys } from '../../../lib/engine/keys.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';

const record = (messageId: string, body: string, receiveCount = 1, group?: string): SQSRecord =>
  ({
    messageId,
    body,
    receiptHandle: `rh-${messageId}`,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      ...(group !== undefined ? { MessageGroupId: group } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:q',
    awsRegion: 'eu-west-1',
  }) as unknown as SQSRecord;

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A handler that fails the messages whose body is "bad" and records the order it saw. */
function handler(seen: string[]) {
  return async (r: SQSRecord) => {
    seen.push(r.messageId);
    if (r.body === 'bad') throw new RangeError(`cannot handle ${r.messageId}`);
    if (r.body === 'odd') throw 'a string, not an Error';
  };
}

describe('Function: processSqsBatch', () => {
  it('handles every record and reports none when all succeed', async () => {
    const store = new MemoryObjectStore();
    const seen: string[] = [];
    const out = await processSqsBatch(batch(record('m1', 'ok'), record('m2', 'ok')), store, handler(seen));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(['m1', 'm2']);
    expect(store.keys()).toEqual([]);
  });

  it('reports only the failed records of a standard batch and goes on after them', async () => {
    const store = new MemoryObjectStore();
    const seen: string[] = [];
    const out = await processSqsBatch(
      batch(record('m1', 'ok'), record('m2', 'bad', 3), record('m3', 'ok'), record('m4', 'odd')),
      store,
      handler(seen),
    );
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm4' }]);
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('stops a FIFO batch at its first failure and reports the rest unprocessed', async () => {
    const store = new MemoryObjectStore();
    const seen: string[] = [];
    const out = await processSqsBatch(
      batch(record('m1', 'ok'), record('m2', 'bad'), record('m3', 'ok'), record('m4', 'ok')),
      store,
      handler(seen),
      { fifo: true },
    );
    expect(out.batchItemFailures).toEqual([
      { itemIdentifier: 'm2' },
      { itemIdentifier: 'm3' },
      { itemIdentifier: 'm4' },
    ]);
    expect(seen).toEqual(['m1', 'm2']);
    // Only the one that failed has a reason; the others were never tried.
    expect(store.keys()).toEqual([keys.failure('m2')]);
  });

  it('records each failure with its message, body, reason and receive count, and logs it', async () => {
    const store = new MemoryObjectStore();
    const lines: Record<string, unknown>[] = [];
    await processSqsBatch(batch(record('m2', 'bad', 3), record('m4', 'odd', 1)), store, handler([]), {
      log: (l) => lines.push(l),
    });
    expect(keys.failure('m2')).toBe('scratch/failures/m2.json');
    const doc = JSON.parse(new TextDecoder().decode((await store.get(keys.failure('m2')))!.body));
    expect(doc).toMatchObject({
      messageId: 'm2',
      body: 'bad',
      reason: 'RangeError: cannot handle m2',
      receiveCount: 3,
    });
    expect(Number.isNaN(Date.parse(doc.at))).toBe(false);
    const odd = JSON.parse(new TextDecoder().decode((await store.get(keys.failure('m4')))!.body));
    expect(odd.reason).toBe('a string, not an Error');
    expect(lines).toEqual([
      { level: 'error', messageId: 'm2', reason: 'RangeError: cannot handle m2' },
      { level: 'error', messageId: 'm4', reason: 'a string, not an Error' },
    ]);
  });

  it('still reports the failure when its reason cannot be stored', async () => {
    const store = overrideStore(new MemoryObjectStore(), {
      put: async () => {
        throw new Error('store down');
      },
    });
    const out = await processSqsBatch(batch(record('m1', 'bad'), record('m2', 'ok')), store, handler([]));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });
});

describe('Function: processFifoBatch', () => {
  /**
   * A batch-at-once handler: handles the items in order (recording them), fails at a body "bad"
   * with a BatchItemFailure naming its index; bodies that are not JSON do not parse.
   */
  const fifo = (seen: string[][]) => ({
    parse: (r: SQSRecord) => JSON.parse(r.body) as string,
    handle: async (items: readonly string[]) => {
      seen.push([...items]);
      const bad = items.indexOf('bad');
      if (bad >= 0) throw new BatchItemFailure(bad, new RangeError('cannot handle bad'));
    },
  });

  it('fails a message and the later ones of its group, in batch order, and goes on with the other groups', async () => {
    const store = new MemoryObjectStore();
    const seen: string[][] = [];
    const { parse, handle } = fifo(seen);
    const out = await processFifoBatch(
      batch(
        record('g1-a', '"a"', 1, 'g1'),
        record('g2-a', '"x"', 1, 'g2'),
        record('g1-b', '"bad"', 2, 'g1'),
        record('g2-b', '"y"', 1, 'g2'),
        record('g1-c', '"c"', 1, 'g1'),
        record('g3-0', '"v"', 1, 'g3'),
        record('g3-a', 'not json', 1, 'g3'),
        record('g3-b', '"z"', 1, 'g3'),
        record('g2-c', '"w"', 1, 'g2'),
      ),
      store,
      parse,
      handle,
    );
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['g1-b', 'g1-c', 'g3-a', 'g3-b']);
    // g3 fails at parsing (before any handling; its message before that is handled); the first
    // call stops at "bad" (its 3rd item), the second takes the untried items before each group's
    // first failure (g2's, and g3's first).
    expect(seen).toEqual([
      ['a', 'x', 'bad', 'y', 'c', 'v', 'w'],
      ['y', 'v', 'w'],
    ]);
    // Reasons for the two that failed, none for the untried ones.
    expect(store.keys().sort()).toEqual([keys.failure('g1-b'), keys.failure('g3-a')].sort());
    const doc = JSON.parse(new TextDecoder().decode((await store.get(keys.failure('g1-b')))!.body));
    expect(doc).toMatchObject({ reason: 'RangeError: cannot handle bad', receiveCount: 2 });
  });

  it('fails a message handled before a later group mate that does not parse', async () => {
    const store = new MemoryObjectStore();
    const out = await processFifoBatch(
      batch(record('m1', '"a"', 1, 'g1'), record('m2', 'not json', 1, 'g1'), record('m3', '"c"', 1, 'g2')),
      store,
      (r) => JSON.parse(r.body) as string,
      async (items) => {
        if (items[0] === 'a') throw new BatchItemFailure(0, new Error('store down'));
      },
    );
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2']);
  });

  it('counts an error that names no item as a failure of the first one', async () => {
    const store = new MemoryObjectStore();
    const out = await processFifoBatch(
      batch(record('m1', '"a"', 1, 'g1'), record('m2', '"b"', 1, 'g1'), record('m3', '"c"', 1, 'g2')),
      store,
      (r) => r.body,
      async (items) => {
        if (items.includes('"a"')) throw new Error('store down');
      },
    );
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2']);
  });
});
