import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  CHECKPOINTS,
  type CheckpointName,
  cleanUpJob,
  type EngineDeps,
  finishJob,
  handleResult,
  handleResultBatch,
  handleWork,
  type Outcome,
  ResultBatchError,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache, loadJobContext, readState } from '../../../lib/engine/training/job-store.js';
import { INLINE_STATE_MAX_BYTES } from '../../../lib/engine/training/protocol.js';
import { ProtocolError } from '../../../lib/errors.js';
import type { TrainState } from '../../../lib/optim/index.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { overrideStore } from '../../../lib/simulation/memory-object-store.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  type recordingOutbox,
  resultMessage as result,
  seedJob,
  seedSpec,
  workMessage as work,
} from '../../support/engine-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/**
 * The coordinator's recovery paths reached directly, one per test (the fault-schedule simulations
 * reach them by chance, in minutes): each checkpoint, the inline-state limit, the cache's hit
 * paths, a diverged or finished state reaching `settle`, and the clean-up.
 *
 * The job: the seed example (100 rows, y ~ x), 4 partitions of 25, batch GD for 2 epochs, so
 * rounds 0 and 1 are applied and state 2 is the final ("done") one.
 */
const setup = (over: Partial<EngineDeps> = {}, jobId = 'job-paths') => seedJob(jobId, over);

/** Handles every work message, then every notification, until none is left; the outcomes in order. */
async function pump(
  deps: EngineDeps,
  outbox: ReturnType<typeof recordingOutbox>,
  from = { work: 0, results: 0 },
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let w = from.work;
  let r = from.results;
  while (w < outbox.work.length || r < outbox.results.length) {
    while (w < outbox.work.length) outcomes.push(await handleWork(deps, outbox.work[w++]!));
    while (r < outbox.results.length) outcomes.push(await handleResult(deps, outbox.results[r++]!));
  }
  return outcomes;
}

/** A store that counts its calls per method and key. */
function countingStore(base: ObjectStore) {
  const calls: string[] = [];
  const store = overrideStore(base, {
    get: (key) => {
      calls.push(`get ${key}`);
      return base.get(key);
    },
    head: (key) => {
      calls.push(`head ${key}`);
      return base.head(key);
    },
  });
  return { store, calls };
}

describe('Checkpoints', () => {
  it('a job passes each named point in the order of its writes', async () => {
    // Prepare
    const points: CheckpointName[] = [];
    const { data, outbox, deps, spec } = await setup({ checkpoint: (p) => void points.push(p) });

    // Act
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);

    // Assess: start, 4 workers, the aggregator of round 0 (applies, fans out round 1), 4 workers,
    // the aggregator of round 1 (applies, writes the model). The later notifications of round 0
    // find state 1 fanned out and pass no point.
    const worker = ['worker:before-result', 'worker:after-result'];
    expect(points).toEqual([
      'start:after-spec',
      'start:after-plan',
      'start:after-state',
      'fanout:after-send',
      ...worker,
      ...worker,
      ...worker,
      ...worker,
      'aggregator:before-state',
      'aggregator:after-state',
      'fanout:after-send',
      ...worker,
      ...worker,
      ...worker,
      ...worker,
      'aggregator:before-state',
      'aggregator:after-state',
      'finish:after-model',
      // the 3 later notifications of round 1 find the final state and finish again (idempotent)
      'finish:after-model',
      'finish:after-model',
      'finish:after-model',
    ]);
    expect(new Set(points)).toEqual(new Set(CHECKPOINTS));
  });

  it('each point lies between the two writes its name says', async () => {
    // Prepare: at each point, note which of the job's objects exist
    const { store, data, outbox, spec } = await setup();
    const id = spec.jobId;
    const seen = new Map<string, string[]>();
    const exists = async (key: string) => (await store.head(key)) !== undefined;
    const { deps } = await setup({
      store,
      outbox,
      checkpoint: async (p) => {
        if (seen.has(p)) return;
        const facts: string[] = [];
        if (await exists(keys.job.spec(id))) facts.push('spec');
        if (await exists(keys.job.plan(id))) facts.push('plan');
        if (await exists(keys.job.state(id, 0))) facts.push('state0');
        if (await exists(keys.job.fanout(id, 0))) facts.push('fanout0');
        if (await exists(keys.job.result(id, 0, 0))) facts.push('result0/0');
        if (await exists(keys.job.state(id, 1))) facts.push('state1');
        if (await exists(keys.job.state(id, 2))) facts.push('state2');
        if (await exists(keys.job.model(id))) facts.push('model');
        facts.push(`work ${outbox.work.length}`, `results ${outbox.results.length}`);
        seen.set(p, facts);
      },
    });

    // Act
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);

    // Assess
    expect(Object.fromEntries(seen)).toEqual({
      'start:after-spec': ['spec', 'work 0', 'results 0'],
      'start:after-plan': ['spec', 'plan', 'work 0', 'results 0'],
      'start:after-state': ['spec', 'plan', 'state0', 'work 0', 'results 0'],
      // sent, marker not yet written
      'fanout:after-send': ['spec', 'plan', 'state0', 'work 4', 'results 0'],
      'worker:before-result': ['spec', 'plan', 'state0', 'fanout0', 'work 4', 'results 0'],
      'worker:after-result': ['spec', 'plan', 'state0', 'fanout0', 'result0/0', 'work 4', 'results 0'],
      'aggregator:before-state': ['spec', 'plan', 'state0', 'fanout0', 'result0/0', 'work 4', 'results 4'],
      'aggregator:after-state': [
        'spec',
        'plan',
        'state0',
        'fanout0',
        'result0/0',
        'state1',
        'work 4',
        'results 4',
      ],
      'finish:after-model': [
        'spec',
        'plan',
        'state0',
        'fanout0',
        'result0/0',
        'state1',
        'state2',
        'model',
        'work 8',
        'results 8',
      ],
    });
  });

  it('a start that crashes after its spec, plan or state, retried, fans out round 0 once', async () => {
    for (const point of ['start:after-spec', 'start:after-plan', 'start:after-state'] as const) {
      // Prepare
      const { store, data, outbox, deps, spec } = await setup();
      const crashing: EngineDeps = {
        ...deps,
        checkpoint: (p) => {
          if (p === point) throw new Error(`crash at ${p}`);
        },
      };
      await expect(startJob(crashing, spec, data.manifest, data.manifestKey)).rejects.toThrow(point);
      expect(outbox.work).toEqual([]);

      // Act
      await startJob(deps, spec, data.manifest, data.manifestKey);

      // Assess
      expect(outbox.work).toEqual([0, 1, 2, 3].map((s) => work(spec.jobId, 0, s)));
      expect(await store.head(keys.job.fanout(spec.jobId, 0))).toBeDefined();
    }
  });
});

describe('Function: startJob and handleWork, the plain paths', () => {
  it('plans for the queues: a stochastic job groups its steps into rounds', async () => {
    const { data, deps } = await setup();
    const sgd = seedSpec('job-sgd', data.manifest.version, { solver: 'gd', algorithm: 'sgd', epochs: 2 });
    const ctx = await startJob(deps, sgd, data.manifest, data.manifestKey);
    expect(ctx.plan.grouping).toBeDefined();
    expect(ctx.plan.config.sync).toBe('local-sgd');
  });

  it('a worker notifies the aggregator of its (job, round, shard), and again on a redelivery', async () => {
    const { data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    expect(await handleWork(deps, work(spec.jobId, 0, 2))).toBe('computed');
    expect(await handleWork(deps, work(spec.jobId, 0, 2))).toBe('resent');
    expect(outbox.results).toEqual([result(spec.jobId, 0, 2), result(spec.jobId, 0, 2)]);
  });

  it('a work message of an applied round is dropped without a notification', async () => {
    const { data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 0));
    const notified = outbox.results.length;
    expect(await handleWork(deps, work(spec.jobId, 0, 1))).toBe('stale');
    expect(outbox.results.length).toBe(notified);
  });

  it('refuses a shard the job does not have, naming both', async () => {
    const { data, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await expect(handleWork(deps, work(spec.jobId, 0, 4))).rejects.toThrow(
      new ProtocolError(`job ${spec.jobId} has 4 partitions, not shard 4`),
    );
    expect(await handleWork(deps, work(spec.jobId, 0, 3))).toBe('computed');
  });
});

describe('Function: startJob, retried after the job finished', () => {
  it('does not bring round 0 back nor fan it out again', async () => {
    // Prepare: the job ran to its end and was cleaned up (state 0 deleted)
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);
    expect(await store.head(keys.job.state(spec.jobId, 0))).toBeUndefined();
    const sent = outbox.work.length;

    // Act
    const ctx = await startJob(deps, spec, data.manifest, data.manifestKey);

    // Assess
    expect(ctx.spec).toEqual(spec);
    expect(outbox.work.length).toBe(sent);
    expect(await store.head(keys.job.state(spec.jobId, 0))).toBeUndefined();
    expect(await store.head(keys.job.fanout(spec.jobId, 0))).toBeUndefined();
  });

  it('keeps a round-0 state it did not write itself', async () => {
    // Prepare: a model is stored while state 0 still exists (a finish not yet cleaned up)
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await store.put(keys.job.model(spec.jobId), '{}');
    const state0 = (await store.get(keys.job.state(spec.jobId, 0)))!.etag;

    // Act
    await startJob(deps, spec, data.manifest, data.manifestKey);

    // Assess
    expect((await store.get(keys.job.state(spec.jobId, 0)))?.etag).toBe(state0);
    expect(outbox.work).toHaveLength(4);
  });
});

describe('Inline states', () => {
  /** The bytes of the round-0 state document this job stores (deterministic per spec). */
  async function state0Bytes(): Promise<{ bytes: number; doc: unknown }> {
    const { store, data, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const stored = (await store.get(keys.job.state(spec.jobId, 0)))!;
    return { bytes: stored.body.byteLength, doc: JSON.parse(Buffer.from(stored.body).toString('utf8')) };
  }

  it('a state of exactly the limit rides in the messages as stored; one byte more does not', async () => {
    const { bytes, doc } = await state0Bytes();
    for (const [max, inline] of [
      [bytes, true],
      [bytes - 1, false],
      [0, false],
    ] as const) {
      // Prepare
      const { data, outbox, deps, spec } = await setup({ inlineStateMaxBytes: max });

      // Act
      await startJob(deps, spec, data.manifest, data.manifestKey);

      // Assess
      expect(outbox.work).toHaveLength(4);
      for (const m of outbox.work) expect(m.state).toEqual(inline ? doc : undefined);
    }
  });

  it('the default limit is INLINE_STATE_MAX_BYTES, well above a 2-parameter state', async () => {
    // Prepare
    const { bytes, doc } = await state0Bytes();
    expect(bytes).toBeLessThan(INLINE_STATE_MAX_BYTES);
    const { data, outbox, deps, spec } = await setup();
    const { inlineStateMaxBytes: _, ...defaults } = deps;

    // Act
    await startJob(defaults, spec, data.manifest, data.manifestKey);

    // Assess
    expect(outbox.work.map((m) => m.state)).toEqual([doc, doc, doc, doc]);
  });

  it('the next round rides inline too, as the aggregator stored it', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup({ inlineStateMaxBytes: INLINE_STATE_MAX_BYTES });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);

    // Act
    await handleResult(deps, result(spec.jobId, 0, 0));

    // Assess
    const stored = await readJson(store, keys.job.state(spec.jobId, 1));
    expect(outbox.work.slice(4).map((m) => m.state)).toEqual([stored, stored, stored, stored]);
  });

  it('a job run with inline states ends with the same model as one read from the store', async () => {
    const models = [];
    for (const max of [0, INLINE_STATE_MAX_BYTES]) {
      const { store, data, outbox, deps, spec } = await setup({ inlineStateMaxBytes: max });
      await startJob(deps, spec, data.manifest, data.manifestKey);
      await pump(deps, outbox);
      models.push(await readJson(store, keys.job.model(spec.jobId)));
    }
    expect(models[1]).toEqual(models[0]);
  });
});

describe('Function: handleWork, inline states', () => {
  async function started(over: Partial<EngineDeps> = {}) {
    const s = await setup({ inlineStateMaxBytes: INLINE_STATE_MAX_BYTES, ...over });
    await startJob(s.deps, s.spec, s.data.manifest, s.data.manifestKey);
    return s;
  }

  it('refuses a state of another round than the message', async () => {
    const { outbox, deps, spec } = await started();
    const m = outbox.work[0]!;
    const wrong = { ...m, state: { ...m.state!, round: 1 } };
    await expect(handleWork(deps, wrong)).rejects.toThrow(ProtocolError);
    await expect(handleWork(deps, wrong)).rejects.toThrow(
      'work message for round 0 carries the state of round 1',
    );
    expect(await handleWork(deps, work(spec.jobId, 0, 0))).toBe('computed');
  });

  it('refuses a state that does not decode, naming the round', async () => {
    const { outbox, deps } = await started();
    const m = outbox.work[1]!;
    const corrupt = { ...m, state: { ...m.state!, params: 'not base64!' } };
    const error = await handleWork(deps, corrupt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toBe('work message for round 0 carries a state that does not decode');
    expect((error as Error).cause).toBeDefined();
  });

  it('computes from the inline state the same result as from the stored one', async () => {
    const { store, outbox, deps, spec } = await started();
    await handleWork(deps, outbox.work[2]!);
    const fromInline = await readJson(store, keys.job.result(spec.jobId, 0, 2));
    const plain = await started({ inlineStateMaxBytes: 0 });
    await handleWork(plain.deps, plain.outbox.work[2]!);
    expect(await readJson(plain.store, keys.job.result(spec.jobId, 0, 2))).toEqual(fromInline);
  });

  it('drops an inline message whose stored state is gone (the job was cleaned up), unless scratch is kept', async () => {
    // Prepare: state 0 deleted, as after the job finished
    const { store, outbox, deps, spec } = await started();
    const m = outbox.work[0]!;
    await store.delete(keys.job.state(spec.jobId, 0));

    // Act
    const dropped = await handleWork(deps, m);
    const kept = await handleWork({ ...deps, deleteScratch: false }, m);

    // Assess: with scratch kept (AWS) the look-up is skipped and the inline state is used
    expect(dropped).toBe('stale');
    expect(kept).toBe('computed');
    expect(await store.head(keys.job.result(spec.jobId, 0, 0))).toBeDefined();
  });
});

describe('Function: handleWork, stale messages', () => {
  it('drops a message whose round state is gone or already done', async () => {
    // Prepare: the job ran to its end; state 2 (done) is kept, states 0 and 1 are gone
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);
    expect((await readState(store, spec.jobId, 2))?.status.status).toBe('done');
    const { store: counted, calls } = countingStore(store);

    // Act
    const gone = await handleWork({ ...deps, store: counted }, work(spec.jobId, 0, 0));
    const done = await handleWork(deps, work(spec.jobId, 2, 0));

    // Assess: no result written for either
    expect(gone).toBe('stale');
    expect(calls).toContain(`get ${keys.job.state(spec.jobId, 0)}`);
    expect(done).toBe('stale');
    expect(await store.head(keys.job.result(spec.jobId, 0, 0))).toBeUndefined();
    expect(await store.head(keys.job.result(spec.jobId, 2, 0))).toBeUndefined();
  });

  it('a done state of the message round is not worked on', async () => {
    // Prepare: a finished state stored as round 0 (a job whose first state is already done)
    const { store, data, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const s0 = (await readState(store, spec.jobId, 0))!;
    await store.delete(keys.job.state(spec.jobId, 0));
    await store.put(
      keys.job.state(spec.jobId, 0),
      JSON.stringify({ ...s0, status: { status: 'done', reason: 'max-epochs' } }),
    );

    // Act
    const outcome = await handleWork(deps, work(spec.jobId, 0, 1));

    // Assess
    expect(outcome).toBe('stale');
    expect(await store.head(keys.job.result(spec.jobId, 0, 1))).toBeUndefined();
  });
});

describe('JobCache through the coordinator', () => {
  it('a worker loads its partition once and reuses it for the next round', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();
    const { store: counted, calls } = countingStore(store);
    const counting = { ...deps, store: counted };
    await startJob(counting, spec, data.manifest, data.manifestKey);

    // Act
    await pump(counting, outbox);

    // Assess: the 100 rows are one processed shard; each of the 4 partitions reads it once,
    // though each is used in two rounds
    const dataReads = calls.filter((c) => c.startsWith('get processed/') && !c.endsWith('manifest.json'));
    expect(dataReads).toHaveLength(4);
    // and the job's documents once (one context per process); the plan once more by the start,
    // which looks for a stored plan before making one
    expect(calls.filter((c) => c === `get ${keys.job.spec(spec.jobId)}`)).toHaveLength(1);
    expect(calls.filter((c) => c === `get ${keys.job.plan(spec.jobId)}`)).toHaveLength(2);
  });

  it('the aggregator does not read back the state it stored', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();
    const { store: counted, calls } = countingStore(store);
    const counting = { ...deps, store: counted };
    await startJob(counting, spec, data.manifest, data.manifestKey);

    // Act
    await pump(counting, outbox);

    // Assess, worked out per message: the 4 workers of a round read its state; the first
    // notification of round r reads state r unless it stored it itself, and looks for state r+1
    // (absent) only then; the 3 later ones find state r+1 in the cache. So state 0: 4 + 1, state 1:
    // 1 (looked for) + 4 (workers), state 2: none (round 1's state was stored here).
    const gets = (round: number) => calls.filter((c) => c === `get ${keys.job.state(spec.jobId, round)}`);
    expect(gets(0)).toHaveLength(5);
    expect(gets(1)).toHaveLength(5);
    expect(gets(2)).toHaveLength(0);
  });

  it('a fresh aggregator (no cache) reads what another stored and answers alike', async () => {
    // Prepare: round 0 applied by one process
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 0));
    const { store: counted, calls } = countingStore(store);

    // Act: a duplicate notification to another process
    const other = await handleResult(
      { ...deps, store: counted, cache: new JobCache() },
      result(spec.jobId, 0, 1),
    );

    // Assess: it reads state 1, finds the fan-out marker and does nothing
    expect(other).toBe('stale');
    expect(calls).toContain(`get ${keys.job.state(spec.jobId, 1)}`);
    expect(calls).toContain(`head ${keys.job.fanout(spec.jobId, 1)}`);
    expect(outbox.work).toHaveLength(8);
  });

  it('the aggregator that fanned a round out does not look its marker up again', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 0));
    const { store: counted, calls } = countingStore(store);

    // Act
    const again = await handleResult({ ...deps, store: counted }, result(spec.jobId, 0, 1));

    // Assess
    expect(again).toBe('stale');
    expect(calls).toEqual([]);
  });

  it('a notified shard is not looked up again: only the others are', async () => {
    // Prepare: results of shards 0 and 1 stored, 2 and 3 not
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await handleWork(deps, outbox.work[0]!);
    await handleWork(deps, outbox.work[1]!);
    const { store: counted, calls } = countingStore(store);
    const counting = { ...deps, store: counted };

    // Act
    const first = await handleResult(counting, result(spec.jobId, 0, 0));
    const looked = calls.splice(0).filter((c) => c.includes('/results/'));
    const second = await handleResult(counting, result(spec.jobId, 0, 1));
    const lookedAgain = calls.splice(0).filter((c) => c.includes('/results/'));

    // Assess: the first notification looks up shard 1 (found) and shard 2 (missing: stop)
    expect(first).toBe('waiting');
    expect(looked).toEqual([
      `head ${keys.job.result(spec.jobId, 0, 1)}`,
      `head ${keys.job.result(spec.jobId, 0, 2)}`,
    ]);
    // the second knows shards 0 and 1 and looks up shard 2 alone
    expect(second).toBe('waiting');
    expect(lookedAgain).toEqual([`head ${keys.job.result(spec.jobId, 0, 2)}`]);
  });

  it('a read concurrency below 1 reads one result at a time', async () => {
    // Prepare
    const { data, outbox, deps, spec } = await setup({ aggregatorReadConcurrency: 0 });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);

    // Act + Assess
    expect(await handleResult(deps, result(spec.jobId, 0, 2))).toBe('applied');
  });

  it('the look-ups of one batch of a read concurrency of 3 cover shards 1–3 then none', async () => {
    // Prepare: every result stored; the notification of shard 0 arrives first
    const { store, data, outbox, deps, spec } = await setup({ aggregatorReadConcurrency: 3 });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    const { store: counted, calls } = countingStore(store);

    // Act
    const outcome = await handleResult({ ...deps, store: counted }, result(spec.jobId, 0, 0));

    // Assess: HEAD of the 3 other shards, then GET of all 4 results (3 then 1)
    expect(outcome).toBe('applied');
    expect(calls.filter((c) => c.includes('/results/'))).toEqual([
      ...[1, 2, 3].map((s) => `head ${keys.job.result(spec.jobId, 0, s)}`),
      ...[0, 1, 2, 3].map((s) => `get ${keys.job.result(spec.jobId, 0, s)}`),
    ]);
  });

  it('a batch of look-ups with one missing result stops before any read', async () => {
    // Prepare: read concurrency 3; shards 0..2 computed, 3 not
    const { store, data, outbox, deps, spec } = await setup({ aggregatorReadConcurrency: 3 });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice(0, 3)) await handleWork(deps, m);
    const { store: counted, calls } = countingStore(store);

    // Act
    const outcome = await handleResult({ ...deps, store: counted }, result(spec.jobId, 0, 0));

    // Assess
    expect(outcome).toBe('waiting');
    expect(calls.filter((c) => c.startsWith('get') && c.includes('/results/'))).toEqual([]);
  });

  it('a result that vanishes between its look-up and its read leaves the round waiting', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    const vanishing = overrideStore(store, {
      get: async (key) => (key === keys.job.result(spec.jobId, 0, 2) ? undefined : store.get(key)),
    });

    // Act
    const outcome = await handleResult({ ...deps, store: vanishing }, result(spec.jobId, 0, 0));

    // Assess
    expect(outcome).toBe('waiting');
    expect(await store.head(keys.job.state(spec.jobId, 1))).toBeUndefined();
  });
});

describe('Function: handleResult, late duplicates', () => {
  it('a round whose state was cleaned up (scratch kept) is stale and writes nothing', async () => {
    // Prepare: the job ran to its end, results kept under scratch/
    const { store, data, outbox, deps, spec } = await setup({ deleteScratch: false });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);
    expect(await store.head(keys.job.result(spec.jobId, 0, 0))).toBeDefined();
    const sent = outbox.work.length;

    // Act: round 0's results are all there, states 0 and 1 are gone
    const outcome = await handleResult({ ...deps, cache: new JobCache() }, result(spec.jobId, 0, 0));

    // Assess
    expect(outcome).toBe('stale');
    expect(await store.head(keys.job.state(spec.jobId, 0))).toBeUndefined();
    expect(await store.head(keys.job.state(spec.jobId, 1))).toBeUndefined();
    expect(outbox.work.length).toBe(sent);
  });

  it('an aggregator that stalled past the end of the job does not bring its round back', async () => {
    // Prepare: the job finished (scratch kept); state 0 is put back, as a stalled aggregator of
    // round 0 would still find it
    const { store, data, outbox, deps, spec } = await setup({ deleteScratch: false });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const state0 = (await store.get(keys.job.state(spec.jobId, 0)))!.body;
    await pump(deps, outbox);
    await store.put(keys.job.state(spec.jobId, 0), state0);
    const sent = outbox.work.length;

    // Act
    const outcome = await handleResult({ ...deps, cache: new JobCache() }, result(spec.jobId, 0, 0));

    // Assess: it stored state 1 afresh, found the model and deleted state 1 again, sent nothing
    expect(outcome).toBe('applied');
    expect(await store.head(keys.job.state(spec.jobId, 1))).toBeUndefined();
    expect(await store.head(keys.job.fanout(spec.jobId, 1))).toBeUndefined();
    expect(outbox.work.length).toBe(sent);
  });

  it('a stalled aggregator during a clean-up cut short (marker still there) does not leave its state', async () => {
    // Prepare: the job finished (scratch kept); state 0 and the fan-out marker of round 1 are put
    // back, as a clean-up that died before deleting the marker would leave them
    const { store, data, outbox, deps, spec } = await setup({ deleteScratch: false });
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const state0 = (await store.get(keys.job.state(spec.jobId, 0)))!.body;
    await pump(deps, outbox);
    await store.put(keys.job.state(spec.jobId, 0), state0);
    await store.put(keys.job.fanout(spec.jobId, 1), '');

    // Act: it stores state 1 afresh; a fresh state is checked against the model, not the marker
    const outcome = await handleResult({ ...deps, cache: new JobCache() }, result(spec.jobId, 0, 0));

    // Assess
    expect(outcome).toBe('applied');
    expect(await store.head(keys.job.state(spec.jobId, 1))).toBeUndefined();
  });

  it('a stored state 1 without its fan-out marker, after the model, is left in place', async () => {
    // Prepare: the job finished; state 1 is stored again (not by this call) without a marker
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice(0, 4)) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 0));
    const state1 = (await store.get(keys.job.state(spec.jobId, 1)))!.body;
    await pump(deps, outbox, { work: 4, results: 4 });
    await store.put(keys.job.state(spec.jobId, 1), state1);
    const sent = outbox.work.length;

    // Act
    const outcome = await handleResult({ ...deps, cache: new JobCache() }, result(spec.jobId, 0, 3));

    // Assess
    expect(outcome).toBe('stale');
    expect(await store.head(keys.job.state(spec.jobId, 1))).toBeDefined();
    expect(outbox.work.length).toBe(sent);
  });
});

describe('Function: handleResult, a fan-out cut short', () => {
  it('a redelivered notification redoes the fan-out of the stored state: "recovered"', async () => {
    // Prepare: the aggregator of round 0 dies after storing state 1, before fanning it out
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    const crashing: EngineDeps = {
      ...deps,
      checkpoint: (p) => {
        if (p === 'aggregator:after-state') throw new Error('crash');
      },
    };
    await expect(handleResult(crashing, result(spec.jobId, 0, 2))).rejects.toThrow('crash');

    // Act
    const outcome = await handleResult({ ...deps, cache: new JobCache() }, result(spec.jobId, 0, 2));

    // Assess
    expect(outcome).toBe('recovered');
    expect(outbox.work.slice(4)).toEqual([0, 1, 2, 3].map((s) => work(spec.jobId, 1, s)));
    expect(await store.head(keys.job.metrics(spec.jobId, 0))).toBeDefined();
  });
});

describe('Function: handleResult, a finished state', () => {
  it('a redelivered last notification after a crash before the model finishes the job', async () => {
    // Prepare: the aggregator of round 1 dies after storing the final state
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);
    const { finished: f2, deps: d2, outbox: o2, store: s2, data: data2 } = await setup();
    await startJob(d2, spec, data2.manifest, data2.manifestKey);
    const crashing: EngineDeps = {
      ...d2,
      checkpoint: (p) => {
        if (p === 'aggregator:after-state') throw new Error('crash');
      },
    };
    for (const m of o2.work.slice()) await handleWork(d2, m);
    await handleResult(d2, result(spec.jobId, 0, 0));
    for (const m of o2.work.slice(4)) await handleWork(d2, m);
    await expect(handleResult(crashing, result(spec.jobId, 1, 0))).rejects.toThrow('crash');
    expect(await s2.head(keys.job.model(spec.jobId))).toBeUndefined();

    // Act
    const outcome = await handleResult(d2, result(spec.jobId, 1, 0));

    // Assess: the same model as the run without a crash, registered once
    expect(outcome).toBe('finished');
    expect(await readJson(s2, keys.job.model(spec.jobId))).toEqual(
      await readJson(store, keys.job.model(spec.jobId)),
    );
    expect(f2).toHaveLength(1);
    expect(finished).toHaveLength(1);
    // the round records of both rounds are written once
    expect((await s2.list(keys.job.metricsPrefix(spec.jobId))).map((i) => i.key)).toEqual([
      keys.job.metrics(spec.jobId, 0),
      keys.job.metrics(spec.jobId, 1),
    ]);
  });

  it('a crash after the model is written, redelivered, registers the model once', async () => {
    // Prepare
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 0));
    for (const m of outbox.work.slice(4)) await handleWork(deps, m);
    const crashing: EngineDeps = {
      ...deps,
      checkpoint: (p) => {
        if (p === 'finish:after-model') throw new Error('crash');
      },
    };
    await expect(handleResult(crashing, result(spec.jobId, 1, 3))).rejects.toThrow('crash');
    expect(await store.head(keys.job.model(spec.jobId))).toBeDefined();
    expect(await store.head(keys.job.registered(spec.jobId))).toBeUndefined();

    // Act: the model exists already, so this call is not the first to see the final state
    const outcome = await handleResult(deps, result(spec.jobId, 1, 3));

    // Assess
    expect(outcome).toBe('stale');
    expect(finished).toHaveLength(1);
    expect(await store.head(keys.job.registered(spec.jobId))).toBeDefined();
    expect(await store.head(keys.job.state(spec.jobId, 0))).toBeUndefined();
  });

  it('a diverged state is recorded once, with its round record, and registers nothing', async () => {
    // Prepare: state 1 says round 0 diverged at lr 1e308
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const s0 = (await readState(store, spec.jobId, 0))!;
    const diverged = {
      ...s0,
      round: 1,
      last: { round: 0, epoch: 0, loss: Number.POSITIVE_INFINITY, gradNorm: 3, lr: 1e308, ms: 1 },
      status: { status: 'done', reason: 'diverged' },
    } as TrainState;
    await store.put(keys.job.state(spec.jobId, 1), JSON.stringify(diverged));

    // Act
    const first = await handleResult(deps, result(spec.jobId, 0, 0));
    const second = await handleResult(deps, result(spec.jobId, 0, 1));

    // Assess
    expect(first).toBe('finished');
    expect(second).toBe('stale');
    expect(finished).toEqual([]);
    expect(await store.head(keys.job.model(spec.jobId))).toBeUndefined();
    expect(await readJson(store, keys.job.failed(spec.jobId))).toMatchObject({ round: 0, lr: 1e308 });
    expect((await store.list(keys.job.metricsPrefix(spec.jobId))).map((i) => i.key)).toEqual([
      keys.job.metrics(spec.jobId, 0),
    ]);
    expect(outbox.work).toHaveLength(4);
  });

  it('a done state whose coefficients are not finite is recorded as diverged, not registered', async () => {
    // Prepare: a final state with parameters of 1e308 on standardised data: the coefficients on
    // the raw scale (w/σx, b − w·μx/σx, times σy) overflow to ±Infinity
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const s0 = (await readState(store, spec.jobId, 0))!;
    const huge = {
      ...s0,
      round: 1,
      params: [1e308, 1e308],
      last: { round: 0, epoch: 0, loss: 1, gradNorm: 1, lr: 0.1, ms: 1 },
      status: { status: 'done', reason: 'max-epochs' },
    } as TrainState;
    await store.put(keys.job.state(spec.jobId, 1), JSON.stringify(huge));

    // Act
    const outcome = await handleResult(deps, result(spec.jobId, 0, 0));

    // Assess
    expect(outcome).toBe('finished');
    expect(finished).toEqual([]);
    expect(await store.head(keys.job.model(spec.jobId))).toBeUndefined();
    expect(await readJson(store, keys.job.failed(spec.jobId))).toMatchObject({ reason: 'diverged', lr: 0.1 });
    expect(outbox.work).toHaveLength(4);
  });
});

describe('Function: finishJob', () => {
  it('returns the stored model, without registering again, once the job is registered', async () => {
    // Prepare
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump(deps, outbox);
    const done = (await readState(store, spec.jobId, 2))!;
    const model = await readJson(store, keys.job.model(spec.jobId));

    // Act
    const again = await finishJob(deps, await loadJobContext(store, spec.jobId), done);

    // Assess
    expect(again).toEqual(model);
    expect(finished).toHaveLength(1);
  });

  it('hands onFinish the model as stored (the first write wins)', async () => {
    // Prepare: a model is already stored, with another backend name
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await pump({ ...deps, onFinish: async () => {} }, outbox);
    const done = (await readState(store, spec.jobId, 2))!;
    await store.delete(keys.job.registered(spec.jobId));

    // Act
    const returned = await finishJob(
      { ...deps, backend: 'other' },
      await loadJobContext(store, spec.jobId),
      done,
    );

    // Assess
    expect(returned.backend).toBe('test');
    expect(finished.map((f) => f.artifact.backend)).toEqual(['test']);
    expect(finished[0]!.state).toEqual(done);
  });

  it('registers without an onFinish and marks the job registered', async () => {
    const { store, data, outbox, deps, spec } = await setup();
    const { onFinish: _, ...bare } = deps;
    await startJob(bare, spec, data.manifest, data.manifestKey);
    await pump(bare, outbox);
    expect(await store.head(keys.job.registered(spec.jobId))).toBeDefined();
    expect(await store.head(keys.job.model(spec.jobId))).toBeDefined();
  });
});

describe('Function: cleanUpJob', () => {
  async function finishedJob(deleteScratch?: boolean) {
    const s = await setup(deleteScratch === undefined ? {} : { deleteScratch });
    await startJob(s.deps, s.spec, s.data.manifest, s.data.manifestKey);
    await pump(s.deps, s.outbox);
    return s;
  }

  it('removes the earlier states, the fan-out markers and the worker results', async () => {
    const { store, spec } = await finishedJob();
    expect(await store.list(keys.job.scratchPrefix(spec.jobId))).toEqual([]);
    expect(await store.list(keys.job.fanoutPrefix(spec.jobId))).toEqual([]);
    expect((await store.list(keys.job.statePrefix(spec.jobId))).map((i) => i.key)).toEqual([
      keys.job.state(spec.jobId, 2),
    ]);
    // kept: spec, plan, final state, model, marker, the two round records
    expect((await store.list(keys.job.prefix(spec.jobId))).map((i) => i.key).sort()).toEqual(
      [
        keys.job.spec(spec.jobId),
        keys.job.plan(spec.jobId),
        keys.job.state(spec.jobId, 2),
        keys.job.model(spec.jobId),
        keys.job.registered(spec.jobId),
        keys.job.metrics(spec.jobId, 0),
        keys.job.metrics(spec.jobId, 1),
      ].sort(),
    );
  });

  it('keeps the worker results when deleteScratch is false', async () => {
    const { store, spec } = await finishedJob(false);
    // 2 rounds × 4 shards
    expect(await store.list(keys.job.scratchPrefix(spec.jobId))).toHaveLength(8);
    expect(await store.list(keys.job.fanoutPrefix(spec.jobId))).toEqual([]);
  });

  it('deletes at most 32 at once, each key once; with scratch kept it counts only what it removed', async () => {
    // Prepare: 40 results, 3 states (0..2), 3 markers, deletes that take a while
    const base = new SimObjectStore();
    for (let s = 0; s < 40; s++) await base.put(keys.job.result('j', 0, s), '{}');
    for (let r = 0; r < 3; r++) {
      await base.put(keys.job.state('j', r), '{}');
      await base.put(keys.job.fanout('j', r), '');
    }
    const deleted: string[] = [];
    let inFlight = 0;
    let most = 0;
    const store = overrideStore(base, {
      delete: async (key) => {
        deleted.push(key);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        return base.delete(key);
      },
    });

    // Act
    const kept = await cleanUpJob({ store, deleteScratch: false }, 'j', 2);

    // Assess: states 0, 1 and the 3 markers; the 40 results stay
    expect(kept).toBe(5);
    expect(await base.list(keys.job.scratchPrefix('j'))).toHaveLength(40);
    deleted.length = 0;
    await base.put(keys.job.state('j', 0), '{}');
    const removed = await cleanUpJob({ store }, 'j', 2);
    expect(removed).toBe(41);
    expect(deleted).toHaveLength(41);
    expect(new Set(deleted).size).toBe(41);
    expect(most).toBe(32);
  });

  it('counts what it removed, more than 32 at a time, and nothing on a second call', async () => {
    // Prepare: 40 stray results, 3 states (0..2), 3 markers
    const store = new SimObjectStore();
    for (let s = 0; s < 40; s++) await store.put(keys.job.result('j', 0, s), '{}');
    for (let r = 0; r < 3; r++) {
      await store.put(keys.job.state('j', r), '{}');
      await store.put(keys.job.fanout('j', r), '');
    }

    // Act
    const removed = await cleanUpJob({ store }, 'j', 2);
    const again = await cleanUpJob({ store }, 'j', 2);

    // Assess: 40 + 2 + 3
    expect(removed).toBe(45);
    expect(again).toBe(0);
    expect((await store.list('')).map((i) => i.key)).toEqual([keys.job.state('j', 2)]);
  });
});

describe('Function: handleResultBatch', () => {
  async function allComputed() {
    const s = await setup();
    await startJob(s.deps, s.spec, s.data.manifest, s.data.manifestKey);
    for (const m of s.outbox.work.slice()) await handleWork(s.deps, m);
    return s;
  }

  it('notes the notifications followed by a twin and handles the last one', async () => {
    // Prepare
    const { store, deps, spec } = await allComputed();
    const { store: counted, calls } = countingStore(store);
    const seen: [number, Outcome][] = [];

    // Act
    const outcomes = await handleResultBatch(
      { ...deps, store: counted },
      [0, 1, 2, 3].map((s) => result(spec.jobId, 0, s)),
      async (m, o) => void seen.push([m.shard, o]),
    );

    // Assess: the last handles the round knowing all four shards: no result look-ups, only reads
    expect(outcomes).toEqual(['waiting', 'waiting', 'waiting', 'applied']);
    expect(seen).toEqual([
      [0, 'waiting'],
      [1, 'waiting'],
      [2, 'waiting'],
      [3, 'applied'],
    ]);
    expect(calls.filter((c) => c.startsWith('head') && c.includes('/results/'))).toEqual([]);
  });

  it('handles notifications of other jobs or rounds each', async () => {
    const { deps, spec } = await allComputed();
    const outcomes = await handleResultBatch(deps, [result(spec.jobId, 0, 0)]);
    expect(outcomes).toEqual(['applied']);
    const twice = await handleResultBatch(deps, [result(spec.jobId, 0, 1), result(spec.jobId, 1, 1)]);
    // round 0 is applied (stale), round 1 has no results yet (waiting)
    expect(twice).toEqual(['stale', 'waiting']);
  });

  it('stops at the first failure with its index, the outcomes before it and its message', async () => {
    const { deps, spec } = await allComputed();
    const error = await handleResultBatch(deps, [
      result(spec.jobId, 1, 0),
      result('no-such-job', 0, 0),
      result(spec.jobId, 0, 0),
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultBatchError);
    const batch = error as ResultBatchError;
    expect(batch.index).toBe(1);
    expect(batch.outcomes).toEqual(['waiting']);
    expect(batch.name).toBe('ResultBatchError');
    expect(batch.message).toBe('result message 1 of the batch failed: job no-such-job does not exist');
    expect(batch.cause).toBeInstanceOf(ProtocolError);
  });

  it('a failing callback stops the batch too; a non-Error cause is quoted', async () => {
    const { deps, spec } = await allComputed();
    const error = await handleResultBatch(
      deps,
      [result(spec.jobId, 0, 0), result(spec.jobId, 1, 0)],
      async () => {
        throw 'metrics down';
      },
    ).catch((e: unknown) => e);
    expect((error as ResultBatchError).index).toBe(0);
    expect((error as ResultBatchError).outcomes).toEqual([]);
    expect((error as Error).message).toBe('result message 0 of the batch failed: metrics down');
  });
});

describe('Without a cache of its own', () => {
  it('a job runs to its model on the process-wide cache', async () => {
    const { store, data, outbox, deps, spec } = await setup({}, 'job-default-cache');
    const { cache: _, ...shared } = deps;
    await startJob(shared, spec, data.manifest, data.manifestKey);
    const outcomes = await pump(shared, outbox);
    expect(outcomes.filter((o) => o === 'finished')).toHaveLength(1);
    expect(await store.head(keys.job.registered(spec.jobId))).toBeDefined();
  });
});
