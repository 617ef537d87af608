import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type EngineDeps,
  finishJob,
  handleResult,
  handleWork,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache, loadJobContext, readState } from '../../../lib/engine/training/job-store.js';
import {
  parseMessage,
  resultMessageSchema,
  workMessageSchema,
} from '../../../lib/engine/training/protocol.js';
import { ProtocolError } from '../../../lib/errors.js';
import { seedExample } from '../../../lib/examples/generators.js';
import type { ShardResult } from '../../../lib/optim/index.js';
import { overrideStore } from '../../../lib/simulation/memory-object-store.js';
import {
  bitDifferences,
  resultMessage as result,
  seedJob,
  workMessage as work,
} from '../../support/engine-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/** `inlineStateMaxBytes` 0: states stay in the store (the messages are the bare ids below). */
const setup = (jobId = 'job-unit', inlineStateMaxBytes = 0) => seedJob(jobId, { inlineStateMaxBytes });

describe('Function: startJob', () => {
  it('writes spec, plan and the round-0 state and sends one work message per partition', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();

    // Act
    const ctx = await startJob(deps, spec, data.manifest, data.manifestKey);

    // Assess: 100 rows in 4 contiguous partitions of 25
    expect(ctx.plan.partitions.map((p) => p.rows)).toEqual([25, 25, 25, 25]);
    expect(await readJson(store, keys.job.spec(spec.jobId))).toEqual(spec);
    expect(await readJson(store, keys.job.plan(spec.jobId))).toEqual(ctx.plan);
    const state0 = await readState(store, spec.jobId, 0);
    expect(state0?.round).toBe(0);
    expect(state0?.params).toEqual([0, 0]);
    expect(outbox.work).toEqual([0, 1, 2, 3].map((s) => work(spec.jobId, 0, s)));
    expect(await store.head(keys.job.fanout(spec.jobId, 0))).toBeDefined();
  });

  it('is harmless when called again: no document changes', async () => {
    // Prepare
    const { store, data, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const before = (await store.get(keys.job.state(spec.jobId, 0)))!.etag;

    // Act
    await startJob(deps, spec, data.manifest, data.manifestKey);

    // Assess
    expect((await store.get(keys.job.state(spec.jobId, 0)))!.etag).toBe(before);
  });
});

describe('Function: handleWork', () => {
  it('computes the round-0 gradient sums of the partitions and notifies the aggregator', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);

    // Act
    const outcomes = [];
    for (const m of outbox.work.slice()) outcomes.push(await handleWork(deps, m));

    // Assess: at θ = 0 with standardised x and y (population std), per row r = ŷ − y = −y_std, so
    // Σ loss = ½ Σ y_std² = n/2 = 50, Σ ∂/∂b = Σ −y_std = 0, Σ ∂/∂w = −Σ x_std·y_std = −n·corr(x, y).
    expect(outcomes).toEqual(['computed', 'computed', 'computed', 'computed']);
    expect(outbox.results).toEqual([0, 1, 2, 3].map((s) => result(spec.jobId, 0, s)));
    const results: ShardResult[] = [];
    for (let s = 0; s < 4; s++)
      results.push((await readJson<ShardResult>(store, keys.job.result(spec.jobId, 0, s)))!);
    const sum = (f: (r: ShardResult & { kind: 'gradient' }) => number) =>
      results.reduce((acc, r) => acc + f(r as ShardResult & { kind: 'gradient' }), 0);
    const rows = seedExample().rows;
    const xs = rows.map((r) => Number(r[0]));
    const ys = rows.map((r) => Number(r[1]));
    const n = xs.length;
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / n;
    const mx = mean(xs);
    const my = mean(ys);
    const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const syy = ys.reduce((a, y) => a + (y - my) ** 2, 0);
    const corr = sxy / Math.sqrt(sxx * syy);
    expect(sum((r) => r.rows)).toBe(100);
    expect(sum((r) => r.lossSum)).toBeCloseTo(50, 3);
    expect(sum((r) => r.gradSum[0]!)).toBeCloseTo(0, 3);
    expect(sum((r) => r.gradSum[1]!)).toBeCloseTo(-n * corr, 3);
  });

  it('resends the notification when the result is already stored (a redelivery)', async () => {
    // Prepare
    const { data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await handleWork(deps, work(spec.jobId, 0, 2));

    // Act
    const outcome = await handleWork(deps, work(spec.jobId, 0, 2));

    // Assess
    expect(outcome).toBe('resent');
    expect(outbox.results).toEqual([result(spec.jobId, 0, 2), result(spec.jobId, 0, 2)]);
  });

  it('drops a message of a round that is already applied, without work or messages', async () => {
    // Prepare
    const { data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 3));
    const sent = { work: outbox.work.length, results: outbox.results.length };

    // Act
    const outcome = await handleWork(deps, work(spec.jobId, 0, 1));

    // Assess
    expect(outcome).toBe('stale');
    expect({ work: outbox.work.length, results: outbox.results.length }).toEqual(sent);
  });

  it('rejects a job that does not exist and a shard the job does not have', async () => {
    // Prepare
    const { data, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);

    // Act + Assess
    await expect(handleWork(deps, work('no-such-job', 0, 0))).rejects.toThrow(ProtocolError);
    await expect(handleWork(deps, work('no-such-job', 0, 0))).rejects.toThrow(/does not exist/);
    await expect(handleWork(deps, work(spec.jobId, 0, 4))).rejects.toThrow(/4 partitions, not shard 4/);
  });
});

describe('Function: handleResult', () => {
  it('waits until every partition has a result, then applies the round and fans out the next', async () => {
    // Prepare
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice(0, 3)) await handleWork(deps, m);

    // Act
    const early = await handleResult(deps, result(spec.jobId, 0, 0));
    await handleWork(deps, outbox.work[3]!);
    const last = await handleResult(deps, result(spec.jobId, 0, 3));

    // Assess
    expect(early).toBe('waiting');
    expect(last).toBe('applied');
    expect((await readState(store, spec.jobId, 1))?.round).toBe(1);
    expect(outbox.work.slice(4)).toEqual([0, 1, 2, 3].map((s) => work(spec.jobId, 1, s)));
  });

  it('does not fan out again for a duplicate notification', async () => {
    // Prepare
    const { data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, result(spec.jobId, 0, 3));
    const sent = outbox.work.length;

    // Act
    const again = [];
    for (let s = 0; s < 4; s++) again.push(await handleResult(deps, result(spec.jobId, 0, s)));

    // Assess: 4 work messages of round 0 and 4 of round 1, no more
    expect(sent).toBe(8);
    expect(again).toEqual(['stale', 'stale', 'stale', 'stale']);
    expect(outbox.work.length).toBe(8);
  });

  it('redoes a fan-out that a crash cut short (state written, marker missing)', async () => {
    // Prepare: the aggregator dies right after writing state 1
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    const crashing: EngineDeps = {
      ...deps,
      checkpoint: (point) => {
        if (point === 'aggregator:after-state') throw new Error('crash');
      },
    };
    await expect(handleResult(crashing, result(spec.jobId, 0, 3))).rejects.toThrow('crash');
    expect(outbox.work.length).toBe(4);

    // Act
    const outcome = await handleResult(deps, result(spec.jobId, 0, 3));

    // Assess
    expect(outcome).toBe('recovered');
    expect(outbox.work.slice(4)).toEqual([0, 1, 2, 3].map((s) => work(spec.jobId, 1, s)));
    expect(await store.head(keys.job.fanout(spec.jobId, 1))).toBeDefined();
  });

  it('rejects a job that does not exist', async () => {
    // Prepare
    const { deps } = await setup();

    // Act + Assess
    await expect(handleResult(deps, result('no-such-job', 0, 0))).rejects.toThrow(ProtocolError);
  });
});

describe('Function: finishJob', () => {
  it('writes the model once and registers it once, however often it is called', async () => {
    // Prepare: run the 2-epoch job (batch GD: one round per epoch) to its end
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (let round = 0; round < 2; round++) {
      for (const m of outbox.work.filter((w) => w.round === round)) await handleWork(deps, m);
      await handleResult(deps, result(spec.jobId, round, 0));
    }
    const done = (await readState(store, spec.jobId, 2))!;
    const modelEtag = (await store.get(keys.job.model(spec.jobId)))!.etag;

    // Act
    await finishJob(deps, await loadJobContext(store, spec.jobId), done);
    await handleResult(deps, result(spec.jobId, 1, 2));

    // Assess
    expect(done.status).toEqual({ status: 'done', reason: 'max-epochs' });
    expect(finished.map((f) => f.spec.jobId)).toEqual([spec.jobId]);
    expect((await store.get(keys.job.model(spec.jobId)))!.etag).toBe(modelEtag);
    expect(await store.head(keys.job.registered(spec.jobId))).toBeDefined();
  });
});

describe('Function: handleResult, at the end of a job', () => {
  it('answers "finished" for the last round, then "stale" to its duplicates, and keeps only the final state', async () => {
    // Prepare: the 2-epoch job (batch GD, one round per epoch), round 0 applied
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.filter((w) => w.round === 0)) await handleWork(deps, m);
    const applied = await handleResult(deps, result(spec.jobId, 0, 0));
    for (const m of outbox.work.filter((w) => w.round === 1)) await handleWork(deps, m);

    // Act
    const last = await handleResult(deps, result(spec.jobId, 1, 0));
    const duplicate = await handleResult(deps, result(spec.jobId, 1, 3));

    // Assess
    expect(applied).toBe('applied');
    expect(last).toBe('finished');
    expect(duplicate).toBe('stale');
    expect(finished).toHaveLength(1);
    // Cleaned up: round states 0 and 1 and the fan-out markers are gone, the final state (2) stays.
    expect(await readState(store, spec.jobId, 0)).toBeUndefined();
    expect(await readState(store, spec.jobId, 1)).toBeUndefined();
    expect((await readState(store, spec.jobId, 2))?.round).toBe(2);
    expect(await store.head(keys.job.fanout(spec.jobId, 0))).toBeUndefined();
    expect(await store.head(keys.job.registered(spec.jobId))).toBeDefined();
  });
});

describe('Function: parseMessage', () => {
  it('rejects a body that breaks the schema, naming the field', () => {
    expect(() =>
      parseMessage(workMessageSchema, '{"v":1,"type":"work","jobId":"j","round":-1,"shard":0}'),
    ).toThrow(/schema at round/);
    expect(() => parseMessage(resultMessageSchema, 'not json')).toThrow(ProtocolError);
  });

  it('rejects an unknown protocol version with its own message', () => {
    expect(() =>
      parseMessage(workMessageSchema, '{"v":2,"type":"work","jobId":"j","round":0,"shard":0}'),
    ).toThrow(/protocol version 2; this handler understands v1/);
  });
});

describe('Function: handleResult, reading a round 32 results at a time', () => {
  /**
   * Gradient sums where the order of addition shows: in partition order
   * ((1e16 + 1) − 1e16) + 1 = 0 + 1 = 1 (1e16 + 1 rounds to 1e16, the spacing there is 2), while
   * in reverse (1 − 1e16) + 1 + 1e16 = 0. The reads complete in reverse order (later shards answer
   * first); the sum must not follow them.
   */
  const sums = [1e16, 1, -1e16, 1];

  it('sums the stored results in partition order, bit for bit as one at a time', async () => {
    const expected = sums.reduce((a, v) => a + v, 0);
    expect(expected).toBe(1);
    expect([...sums].reverse().reduce((a, v) => a + v, 0)).toBe(0);
    const states = [];
    for (const concurrency of [1, 32]) {
      const { store, data, outbox, deps, spec } = await setup('job-fan-in');
      await startJob(deps, spec, data.manifest, data.manifestKey);
      for (const m of outbox.work.slice()) await handleWork(deps, m);
      for (let s = 0; s < 4; s++) {
        const key = keys.job.result(spec.jobId, 0, s);
        const r = (await readJson<ShardResult & { kind: 'gradient' }>(store, key))!;
        await store.put(key, JSON.stringify({ ...r, gradSum: [0, sums[s]!] }));
      }
      // Later shards answer first; count the reads in flight at once.
      let inFlight = 0;
      let most = 0;
      const slow: EngineDeps = {
        ...deps,
        cache: new JobCache(),
        aggregatorReadConcurrency: concurrency,
        store: overrideStore(store, {
          get: async (key) => {
            const shard = [0, 1, 2, 3].findIndex((s) => key === keys.job.result(spec.jobId, 0, s));
            if (shard < 0) return store.get(key);
            inFlight++;
            most = Math.max(most, inFlight);
            await new Promise((r) => setTimeout(r, 4 * (4 - shard)));
            inFlight--;
            return store.get(key);
          },
        }),
      };
      expect(await handleResult(slow, result(spec.jobId, 0, 3))).toBe('applied');
      expect(most).toBe(concurrency === 1 ? 1 : 4);
      states.push((await readState(store, spec.jobId, 1))!);
    }
    const [one, many] = states;
    // θ₀ = 0, so the gradient is the mean of the sums alone: [0, 1/100] over the 100 rows.
    expect(one!.gradNorm0).toBe(Math.hypot(0, expected / 100));
    expect(bitDifferences(many!.params, one!.params)).toEqual([]);
    expect(many!.gradNorm0).toBe(one!.gradNorm0);
  });
});
