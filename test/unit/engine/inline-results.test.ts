import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type EngineDeps,
  handleResult,
  handleResultBatch,
  handleWork,
  type Outcome,
  ResultBatchError,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache, readState } from '../../../lib/engine/training/job-store.js';
import {
  INLINE_RESULT_MAX_BYTES,
  parseMessage,
  type ResultMessage,
  resultMessageSchema,
} from '../../../lib/engine/training/protocol.js';
import { ProtocolError } from '../../../lib/errors.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { overrideStore } from '../../../lib/simulation/memory-object-store.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { bitDifferences, recordingOutbox, seedDataset, seedSpec } from '../../support/engine-fixtures.js';

/**
 * Worker results carried inline in their result messages (issue 8, lean rounds): the seed example
 * (100 rows, y ~ x), 4 partitions of 25, batch GD for 2 epochs. Each result is a few hundred bytes,
 * far under the limit. Every message goes through JSON as on a queue (`wire`), so the aggregator
 * sees what a queue would hand it. The reference is the same job with every result stored
 * (`inlineResultMaxBytes: 0`, the path the other coordinator tests cover): same bits expected.
 */
async function setup(inlineResultMaxBytes: number, over: Partial<EngineDeps> = {}, workers = 4) {
  const base = new SimObjectStore();
  const data = await seedDataset(base);
  const puts: string[] = [];
  const reads: string[] = [];
  const store: ObjectStore = overrideStore(base, {
    putIfAbsent: (key, body) => {
      puts.push(key);
      return base.putIfAbsent(key, body);
    },
    get: (key) => {
      reads.push(`get ${key}`);
      return base.get(key);
    },
    head: (key) => {
      reads.push(`head ${key}`);
      return base.head(key);
    },
  });
  const outbox = recordingOutbox();
  const deps: EngineDeps = {
    store,
    outbox,
    kernel: new TypedArrayKernel(),
    backend: 'test',
    cache: new JobCache(),
    inlineResultMaxBytes,
    ...over,
  };
  const spec = seedSpec('job-inline', data.manifest.version, { epochs: 2 }, { workers });
  await startJob(deps, spec, data.manifest, data.manifestKey);
  return { store, base, data, outbox, deps, spec, puts, reads };
}

const wire = (m: ResultMessage): ResultMessage => parseMessage(resultMessageSchema, JSON.stringify(m));
const isResultKey = (key: string) => key.includes('/results/');

/** Runs the work messages of the newest round; returns its notifications as a queue delivers them. */
async function computeRound(s: Awaited<ReturnType<typeof setup>>, round: number): Promise<ResultMessage[]> {
  const from = s.outbox.results.length;
  for (const m of s.outbox.work.filter((w) => w.round === round)) await handleWork(s.deps, m);
  return s.outbox.results.slice(from).map(wire);
}

/** The whole job with every result stored: the reference. */
async function storedRun() {
  const s = await setup(0);
  for (let round = 0; round < 2; round++) await handleResultBatch(s.deps, await computeRound(s, round));
  return readState(s.base, s.spec.jobId, 2);
}

describe('Inline worker results', () => {
  it('a round whose results all come in one batch is applied from the messages: nothing stored, looked up or read per result, the same bits', async () => {
    // Prepare
    const s = await setup(INLINE_RESULT_MAX_BYTES);

    // Act: both rounds, each delivered as one batch of its four notifications
    const outcomes: Outcome[][] = [];
    for (let round = 0; round < 2; round++) {
      const batch = await computeRound(s, round);
      expect(batch.map((m) => m.result?.partition)).toEqual([0, 1, 2, 3]);
      outcomes.push(await handleResultBatch(s.deps, batch));
    }

    // Assess: applied, then finished; no result object touched; state 2 as with stored results
    expect(outcomes).toEqual([
      ['waiting', 'waiting', 'waiting', 'applied'],
      ['waiting', 'waiting', 'waiting', 'finished'],
    ]);
    expect(s.puts.filter(isResultKey)).toEqual([]);
    // Only the workers' look-up (is my result stored already? a redelivery's question): 4 a round
    const looked = s.reads.filter(isResultKey);
    expect(looked.filter((r) => r.startsWith('get'))).toEqual([]);
    expect(looked).toHaveLength(8);
    const inline = await readState(s.base, s.spec.jobId, 2);
    const stored = await storedRun();
    expect(inline?.params).toHaveLength(2);
    expect(bitDifferences(inline!.params, stored!.params)).toEqual([]);
  });

  it('a batch that leaves its round incomplete stores its inline results (the bytes a worker stores) before they are acknowledged', async () => {
    // Prepare
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    const batch = await computeRound(s, 0);

    // Act: shards 0 and 1 in one batch; then, in a fresh process (no cache), shards 2 and 3
    const first = await handleResultBatch(s.deps, batch.slice(0, 2));
    const kept = await Promise.all([0, 1, 2, 3].map((k) => s.base.get(keys.job.result(s.spec.jobId, 0, k))));
    const second = await handleResultBatch({ ...s.deps, cache: new JobCache() }, batch.slice(2));

    // Assess: 0 and 1 stored as JSON of the worker's result, 2 and 3 never; the round applied once
    expect(first).toEqual(['waiting', 'waiting']);
    expect(
      kept.map((o) => (o === undefined ? undefined : JSON.parse(new TextDecoder().decode(o.body)))),
    ).toEqual([batch[0]!.result, batch[1]!.result, undefined, undefined]);
    expect(second).toEqual(['waiting', 'applied']);
    // The fresh process found the round complete: what 2 and 3 carried was applied, not stored
    expect(s.puts.filter(isResultKey)).toEqual([0, 1].map((k) => keys.job.result(s.spec.jobId, 0, k)));
    expect(s.outbox.work.filter((w) => w.round === 1)).toHaveLength(4);
    // Round 1 computed and applied as one batch: the final state equals the stored-results run
    await handleResultBatch(s.deps, await computeRound(s, 1));
    const stored = await storedRun();
    expect(bitDifferences((await readState(s.base, s.spec.jobId, 2))!.params, stored!.params)).toEqual([]);
  });

  it('a warm aggregator that stored a round’s earlier inline results takes them from memory: the last batch reads no result back', async () => {
    // Prepare
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    const batch = await computeRound(s, 0);

    // Act: shards 0 and 1, then shard 2 alone, then shard 3, all in the same process (one cache)
    const outcomes = [
      ...(await handleResultBatch(s.deps, batch.slice(0, 2))),
      ...(await handleResultBatch(s.deps, batch.slice(2, 3))),
      ...(await handleResultBatch(s.deps, batch.slice(3))),
    ];

    // Assess: three results stored (put-if-absent) on the way, none read back; one state, one fan-out
    expect(outcomes).toEqual(['waiting', 'waiting', 'waiting', 'applied']);
    const resultPuts = s.puts.filter(isResultKey);
    expect(resultPuts).toEqual([0, 1, 2].map((k) => keys.job.result(s.spec.jobId, 0, k)));
    expect(s.reads.filter((r) => isResultKey(r) && r.startsWith('get'))).toEqual([]);
    expect(s.outbox.work.filter((w) => w.round === 1)).toHaveLength(4);
    // Round 1's fan-out marker is an empty object: its existence is the fact
    expect((await s.base.get(keys.job.fanout(s.spec.jobId, 1)))?.body).toHaveLength(0);
    await handleResultBatch(s.deps, await computeRound(s, 1));
    const stored = await storedRun();
    expect(bitDifferences((await readState(s.base, s.spec.jobId, 2))!.params, stored!.params)).toEqual([]);
  });

  it('a warm aggregator that applied the last round stores a batch’s inline results once, while it looks the rest up, and reads none back', async () => {
    // Prepare: round 0 applied in this process, so it holds round 1's state
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    await handleResultBatch(s.deps, await computeRound(s, 0));
    const batch = await computeRound(s, 1);

    // Act: shards 0 and 1 of round 1, then 2 and 3
    const outcomes = [
      ...(await handleResultBatch(s.deps, batch.slice(0, 2))),
      ...(await handleResultBatch(s.deps, batch.slice(2))),
    ];

    // Assess: 0 and 1 stored once each, 2 and 3 never; no result read; the same final bits
    expect(outcomes).toEqual(['waiting', 'waiting', 'waiting', 'finished']);
    expect(s.puts.filter(isResultKey)).toEqual([0, 1].map((k) => keys.job.result(s.spec.jobId, 1, k)));
    expect(s.reads.filter((r) => isResultKey(r) && r.startsWith('get'))).toEqual([]);
    const stored = await storedRun();
    expect(bitDifferences((await readState(s.base, s.spec.jobId, 2))!.params, stored!.params)).toEqual([]);
  });

  it('a warm aggregator whose batch turns out to complete the round (the rest stored by another instance) applies it once, with the same bits', async () => {
    // Prepare: round 0 applied here (so this process stored round 1's state); of round 1, shards 0
    // and 1 go to another aggregator instance (its own cache), which stores them. Scratch is kept
    // at the end (as on AWS), so the stored results can be read afterwards.
    const s = await setup(INLINE_RESULT_MAX_BYTES, { deleteScratch: false });
    expect(await handleResultBatch(s.deps, await computeRound(s, 0))).toEqual([
      'waiting',
      'waiting',
      'waiting',
      'applied',
    ]);
    const batch = await computeRound(s, 1);
    expect(await handleResultBatch({ ...s.deps, cache: new JobCache() }, batch.slice(0, 2))).toEqual([
      'waiting',
      'waiting',
    ]);

    // Act: shards 2 and 3 reach this process, which stores what they carry while it looks the
    // others up, and finds them
    const outcomes = await handleResultBatch(s.deps, batch.slice(2));

    // Assess: the job finished once from the four results; 2 and 3 were stored too (the workers'
    // bytes); the final state equals the stored-results run
    expect(outcomes).toEqual(['waiting', 'finished']);
    const kept = await Promise.all([0, 1, 2, 3].map((k) => s.base.get(keys.job.result(s.spec.jobId, 1, k))));
    expect(kept.map((o) => JSON.parse(new TextDecoder().decode(o!.body)))).toEqual(
      batch.map((m) => m.result),
    );
    const stored = await storedRun();
    expect(bitDifferences((await readState(s.base, s.spec.jobId, 2))!.params, stored!.params)).toEqual([]);
  });

  it('a redelivered inline result of an applied round is stale: no second state, no second fan-out', async () => {
    // Prepare
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    const batch = await computeRound(s, 0);
    await handleResultBatch(s.deps, batch);
    const state1 = await s.base.get(keys.job.state(s.spec.jobId, 1));

    // Act: each notification again, alone and as a batch, in this process and in a fresh one
    const alone = await Promise.all(batch.map((m) => handleResult({ ...s.deps, cache: new JobCache() }, m)));
    const again = await handleResultBatch(s.deps, batch);

    // Assess
    expect(alone).toEqual(['stale', 'stale', 'stale', 'stale']);
    expect(again).toEqual(['waiting', 'waiting', 'waiting', 'stale']);
    expect(s.outbox.work.filter((w) => w.round === 1)).toHaveLength(4);
    expect((await s.base.get(keys.job.state(s.spec.jobId, 1)))?.etag).toBe(state1?.etag);
  });

  it('a failure in the last message of a round is reported at the round’s first inline result, and the redelivery applies the round once', async () => {
    // Prepare: the round state's write fails once
    let failOnce = true;
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    const batch = await computeRound(s, 0);
    const failing = overrideStore(s.store, {
      putIfAbsent: (key, body) => {
        if (failOnce && key === keys.job.state(s.spec.jobId, 1)) {
          failOnce = false;
          return Promise.reject(new Error('disk full'));
        }
        return s.store.putIfAbsent(key, body);
      },
    });

    // Act: the batch fails in its last message (the round's write); then FIFO gives it back
    const error = await handleResultBatch({ ...s.deps, store: failing }, batch).catch((e: unknown) => e);
    const redelivered = await handleResultBatch({ ...s.deps, store: failing }, batch);

    // Assess: reported at index 0, the round's first inline result (acknowledging messages 0–2
    // would lose their results: none is stored), not at 3; the redelivery applies round 0 once
    expect(error).toBeInstanceOf(ResultBatchError);
    expect((error as ResultBatchError).index).toBe(0);
    expect((error as ResultBatchError).outcomes).toEqual([]);
    expect(s.puts.filter(isResultKey)).toEqual([]);
    expect(redelivered).toEqual(['waiting', 'waiting', 'waiting', 'applied']);
    expect(s.outbox.work.filter((w) => w.round === 1)).toHaveLength(4);
  });

  it('a first delivery of a work message does not look its result up; a redelivery does', async () => {
    // Prepare
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    const [w0] = s.outbox.work;

    // Act: the first delivery, then the same message delivered again
    await handleWork(s.deps, w0!, { receiveCount: 1 });
    const afterFirst = s.reads.filter(isResultKey);
    await handleWork(s.deps, w0!, { receiveCount: 2 });

    // Assess: no look-up the first time, one the second; both send the same result
    expect(afterFirst).toEqual([]);
    expect(s.reads.filter(isResultKey)).toEqual([`head ${keys.job.result(s.spec.jobId, 0, 0)}`]);
    expect(s.outbox.results.map((m) => JSON.stringify(m.result))).toEqual([
      JSON.stringify(s.outbox.results[0]!.result),
      JSON.stringify(s.outbox.results[0]!.result),
    ]);
  });

  it('a result over the limit is stored by its worker and its notification carries none', async () => {
    // Prepare: a limit below the size of any result (a result is a few hundred bytes)
    const s = await setup(10);

    // Act
    const batch = await computeRound(s, 0);
    const outcomes = await handleResultBatch(s.deps, batch);

    // Assess
    expect(batch.map((m) => m.result)).toEqual([undefined, undefined, undefined, undefined]);
    expect(s.puts.filter(isResultKey)).toHaveLength(4);
    expect(outcomes).toEqual(['waiting', 'waiting', 'waiting', 'applied']);
  });

  it('a result of exactly the limit’s bytes rides inline; one byte more is stored', async () => {
    // Prepare: the bytes of each worker's result, as JSON, from a run with every result inline
    const sized = await setup(INLINE_RESULT_MAX_BYTES);
    const bytes = (await computeRound(sized, 0)).map((m) => Buffer.byteLength(JSON.stringify(m.result)));
    const limit = Math.min(...bytes);
    const exact = bytes.map((b) => b <= limit);

    // Act: the same round with the smallest result's size as the limit
    const s = await setup(limit);
    const batch = await computeRound(s, 0);

    // Assess: those of exactly that size ride, the larger ones are stored
    expect(exact).toContain(true);
    expect(batch.map((m) => m.result !== undefined)).toEqual(exact);
    expect(s.puts.filter(isResultKey)).toHaveLength(exact.filter((e) => !e).length);
  });

  it('with as many workers as one FIFO batch carries (10), results ride inline', async () => {
    // Prepare: 10 partitions of 10 rows
    const s = await setup(INLINE_RESULT_MAX_BYTES, {}, 10);

    // Act
    const batch = await computeRound(s, 0);
    const outcomes = await handleResultBatch(s.deps, batch);

    // Assess
    expect(batch.every((m) => m.result !== undefined)).toBe(true);
    expect(s.puts.filter(isResultKey)).toEqual([]);
    expect(outcomes.at(-1)).toBe('applied');
  });

  it('with more workers than one FIFO batch carries (11 > 10), every worker stores its result', async () => {
    // Prepare: the limit would let every result ride; 11 partitions of 9 or 10 rows
    const s = await setup(INLINE_RESULT_MAX_BYTES, {}, 11);

    // Act
    const batch = await computeRound(s, 0);
    const outcomes = await handleResultBatch(s.deps, batch);

    // Assess: 11 stored results, bare notifications, the round applied from the stored results
    expect(batch.map((m) => m.result)).toEqual(Array(11).fill(undefined));
    expect(s.puts.filter(isResultKey)).toHaveLength(11);
    expect(outcomes.at(-1)).toBe('applied');
    expect(s.outbox.work.filter((w) => w.round === 1)).toHaveLength(11);
  });

  it('refuses an inline result of another round or partition than its message names', async () => {
    const s = await setup(INLINE_RESULT_MAX_BYTES);
    const [m0, m1] = await computeRound(s, 0);
    const swapped: ResultMessage = { ...m0!, result: m1!.result! };
    await expect(handleResult(s.deps, swapped)).rejects.toThrow(ProtocolError);
    await expect(handleResult(s.deps, { ...m0!, round: 1 })).rejects.toThrow(
      'result message for round 1, shard 0 carries the result of round 0, partition 0',
    );
  });
});
