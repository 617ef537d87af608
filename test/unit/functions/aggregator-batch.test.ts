import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler as createAggregator } from '../../../functions/aggregator.js';
import { lambdaContext, sqsEvent } from '../../../lib/adapters/local/lambda-events.js';
import type { LocalRuntimeConfig } from '../../../lib/app/config.js';
import { type Runtime, runtimeFor } from '../../../lib/app/index.js';
import { keys } from '../../../lib/engine/keys.js';
import { handleWork, startJob } from '../../../lib/engine/training/coordinator.js';
import { readState } from '../../../lib/engine/training/job-store.js';
import type { ResultMessage } from '../../../lib/engine/training/protocol.js';
import { parseMessage, workMessageSchema } from '../../../lib/engine/training/protocol.js';
import { InfrastructureError } from '../../../lib/errors.js';
import type { ReceivedMessage } from '../../../lib/ports.js';
import { removeTemp, tempDir } from '../../support/cli.js';
import { bitDifferences, seedDataset, seedSpec } from '../../support/engine-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/**
 * The aggregator's FIFO batch, as Lambda's event source mapping delivers it (up to 10 messages,
 * `ReportBatchItemFailures`): a message that fails is reported with every later message of its
 * message group (untried), so SQS gives the group back in order; other groups go on.
 */
describe('Function: aggregator handler on a FIFO batch with a poisoned message', () => {
  let dir: string;
  let config: LocalRuntimeConfig;
  let runtime: Runtime;
  beforeAll(async () => {
    dir = tempDir();
    config = { cloud: 'local', home: `${dir}/home`, backend: {} };
    runtime = await runtimeFor(config);
  });
  afterAll(() => {
    runtime.close();
    removeTemp(dir);
  });
  afterEach(() => vi.restoreAllMocks());

  const record = (id: string, body: string, group: string, receiveCount = 1): ReceivedMessage => ({
    messageId: id,
    body,
    receiptHandle: `rh-${id}-${receiveCount}`,
    receiveCount,
    groupId: group,
    sentAt: new Date(0),
  });
  const note = (jobId: string, round: number, shard: number): string =>
    JSON.stringify({ v: 1, type: 'result', jobId, round, shard } satisfies ResultMessage);
  const failures = (out: SQSBatchResponse) => out.batchItemFailures.map((f) => f.itemIdentifier);

  it('reports the poison and its later group mates, goes on with other groups, and the redelivery applies the round once', async () => {
    const store = runtime.store;
    const data = await seedDataset(store);
    // The notifications below are written by hand without a result: the workers store theirs.
    const deps = { ...runtime.engine(), inlineResultMaxBytes: 0 };
    const a = seedSpec('job-a', data.manifest.version, { epochs: 3 });
    const b = seedSpec('job-b', data.manifest.version, { epochs: 3 });
    await startJob(deps, a, data.manifest, data.manifestKey);
    await startJob(deps, b, data.manifest, data.manifestKey);
    // Round 0 of both jobs' work messages (4 partitions each) off the work queue.
    const work = (await runtime.workQueue.receive({ maxMessages: 10 })).map((m) =>
      parseMessage(workMessageSchema, m.body),
    );
    expect(work.map((w) => `${w.jobId}/${w.round}/${w.shard}`).sort()).toEqual(
      ['job-a', 'job-b'].flatMap((j) => [0, 1, 2, 3].map((s) => `${j}/0/${s}`)),
    );
    // Job a: shards 0..2 computed (shard 3 still running); job b: all four.
    for (const w of work) if (!(w.jobId === a.jobId && w.shard === 3)) await handleWork(deps, w);
    const aggregator = createAggregator(config) as unknown as (
      e: SQSEvent,
      c: Context,
    ) => Promise<SQSBatchResponse>;
    const invoke = (...messages: ReceivedMessage[]) =>
      aggregator(sqsEvent('aggregate.fifo', messages), lambdaContext('aggregator') as Context);

    // Batch 1: job a's notification 0, a poison in job a's group, a's 1 and 2, and job b's four.
    const first = await invoke(
      record('a0', note(a.jobId, 0, 0), a.jobId),
      record('b0', note(b.jobId, 0, 0), b.jobId),
      record('poison', '{"v":1,"type":"result","jobId":"job-a"', a.jobId),
      record('a1', note(a.jobId, 0, 1), a.jobId),
      record('b1', note(b.jobId, 0, 1), b.jobId),
      record('a2', note(a.jobId, 0, 2), a.jobId),
      record('b2', note(b.jobId, 0, 2), b.jobId),
      record('b3', note(b.jobId, 0, 3), b.jobId),
    );

    // The poison and job a's later two fail, in batch order; a0 before it and job b's all succeed.
    expect(failures(first)).toEqual(['poison', 'a1', 'a2']);
    const reason = await readJson<{ reason: string }>(store, keys.failure('poison'));
    expect(reason?.reason).toMatch(/^ProtocolError: /);
    // Untried: no failure reason stored for them.
    expect(await store.head(keys.failure('a1'))).toBeUndefined();
    expect(await store.head(keys.failure('a2'))).toBeUndefined();
    // Job b's round 0 is applied; job a's is not (shard 3 is not in).
    expect((await readState(store, b.jobId, 1))?.round).toBe(1);
    expect(await readState(store, a.jobId, 1)).toBeUndefined();

    // Shard 3 of job a is computed; the poison goes on failing until SQS dead-letters it.
    await handleWork(deps, work.find((w) => w.jobId === a.jobId && w.shard === 3)!);
    const second = await invoke(
      record('poison', '{"v":1,"type":"result","jobId":"job-a"', a.jobId, 2),
      record('a1', note(a.jobId, 0, 1), a.jobId, 2),
      record('a2', note(a.jobId, 0, 2), a.jobId, 2),
      record('a3', note(a.jobId, 0, 3), a.jobId),
    );
    expect(failures(second)).toEqual(['poison', 'a1', 'a2', 'a3']);
    expect(await readState(store, a.jobId, 1)).toBeUndefined();

    // Dead-lettered: the rest of the group comes back in order and applies round 0, once.
    const third = await invoke(
      record('a1', note(a.jobId, 0, 1), a.jobId, 3),
      record('a2', note(a.jobId, 0, 2), a.jobId, 3),
      record('a3', note(a.jobId, 0, 3), a.jobId, 2),
    );
    expect(failures(third)).toEqual([]);
    expect((await readState(store, a.jobId, 1))?.round).toBe(1);
    // A late duplicate changes nothing.
    const fourth = await invoke(record('a3-dup', note(a.jobId, 0, 3), a.jobId));
    expect(failures(fourth)).toEqual([]);

    // Exactly once: one fan-out of round 1 per job (4 work messages each), nothing more.
    const next: string[] = [];
    for (let batch = await runtime.workQueue.receive({ maxMessages: 10 }); batch.length > 0; ) {
      next.push(
        ...batch.map((m) => {
          const w = parseMessage(workMessageSchema, m.body);
          return `${w.jobId}/${w.round}/${w.shard}`;
        }),
      );
      batch = await runtime.workQueue.receive({ maxMessages: 10 });
    }
    expect(next.sort()).toEqual(['job-a', 'job-b'].flatMap((j) => [0, 1, 2, 3].map((s) => `${j}/1/${s}`)));
    // State 1 of job a equals job b's bit for bit: same data, same spec options, same round.
    const sa = await readState(store, a.jobId, 1);
    const sb = await readState(store, b.jobId, 1);
    expect(sa?.params).toHaveLength(2);
    expect(bitDifferences(sa!.params, sb!.params)).toEqual([]);
  });

  it('reports only the message whose handling fails, with its own reason, and applies the other group before and after it', async () => {
    const store = runtime.store;
    const data = await seedDataset(store);
    // The notifications below are written by hand without a result: the workers store theirs.
    const deps = { ...runtime.engine(), inlineResultMaxBytes: 0 };
    // Three one-partition jobs; the store fails every look-up of job "fault-mid".
    const ids = ['ok-first', 'fault-mid', 'ok-last'];
    for (const id of ids) {
      await startJob(
        deps,
        seedSpec(id, data.manifest.version, { epochs: 3 }, { workers: 1 }),
        data.manifest,
        data.manifestKey,
      );
    }
    for (let batch = await runtime.workQueue.receive({ maxMessages: 10 }); batch.length > 0; ) {
      for (const m of batch) {
        const w = parseMessage(workMessageSchema, m.body);
        if (ids.includes(w.jobId) && w.round === 0) await handleWork(deps, w);
      }
      batch = await runtime.workQueue.receive({ maxMessages: 10 });
    }
    const fault = new InfrastructureError('S3 answered 503 SlowDown');
    const head = store.head.bind(store);
    vi.spyOn(store, 'head').mockImplementation((key) =>
      key.includes('/fault-mid/') ? Promise.reject(fault) : head(key),
    );
    const aggregator = createAggregator(config) as unknown as (
      e: SQSEvent,
      c: Context,
    ) => Promise<SQSBatchResponse>;
    // The failing message is second in the batch, between two messages of other groups.
    const out = await aggregator(
      sqsEvent('aggregate.fifo', [
        record('first', note('ok-first', 0, 0), 'ok-first'),
        record('mid', note('fault-mid', 0, 0), 'fault-mid'),
        record('last', note('ok-last', 0, 0), 'ok-last'),
      ]),
      lambdaContext('aggregator') as Context,
    );
    expect(failures(out)).toEqual(['mid']);
    // The reason stored is the store's error itself, not the batch's wrapper.
    const reason = await readJson<{ reason: string }>(store, keys.failure('mid'));
    expect(reason?.reason).toBe('InfrastructureError: S3 answered 503 SlowDown');
    // Round 0 of the other two jobs is applied.
    expect((await readState(store, 'ok-first', 1))?.round).toBe(1);
    expect((await readState(store, 'ok-last', 1))?.round).toBe(1);
    // Redelivered once the store is back, the failed message goes through.
    vi.restoreAllMocks();
    const again = await aggregator(
      sqsEvent('aggregate.fifo', [record('mid', note('fault-mid', 0, 0), 'fault-mid', 2)]),
      lambdaContext('aggregator') as Context,
    );
    expect(failures(again)).toEqual([]);
    expect((await readState(store, 'fault-mid', 1))?.round).toBe(1);
  });
});
