import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import { type EngineDeps, startJob } from '../../../lib/engine/training/coordinator.js';
import {
  encodeState,
  JobCache,
  type JobContext,
  latestState,
  loadJobContext,
  readJobSpec,
  readState,
  writeJsonIfAbsent,
  writeState,
} from '../../../lib/engine/training/job-store.js';
import { loadPartition } from '../../../lib/engine/training/partition-data.js';
import { NotFoundError, ProtocolError } from '../../../lib/errors.js';
import type { ShardResult, TrainState } from '../../../lib/optim/index.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { overrideStore } from '../../../lib/simulation/memory-object-store.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { recordingOutbox, seedDataset, seedSpec } from '../../support/engine-fixtures.js';

/** A store that records the keys it was asked to GET. */
function countingGets(base: ObjectStore) {
  const gets: string[] = [];
  const store = overrideStore(base, {
    get: (key) => {
      gets.push(key);
      return base.get(key);
    },
  });
  return { store, gets };
}

/** A started job (seed example, `workers` partitions of the 100 rows) and its context. */
async function started(workers = 4, jobId = 'job-store') {
  const store = new SimObjectStore();
  const data = await seedDataset(store);
  const deps: EngineDeps = {
    store,
    outbox: recordingOutbox(),
    kernel: new TypedArrayKernel(),
    backend: 'test',
    cache: new JobCache(),
  };
  const spec = seedSpec(jobId, data.manifest.version, { epochs: 2 }, { workers });
  const ctx = await startJob(deps, spec, data.manifest, data.manifestKey);
  return { store, ctx, spec, data };
}

const fakeState = (round: number, tag = 0): TrainState => ({ round, tag }) as unknown as TrainState;

describe('Class: JobCache, states', () => {
  it('answers the remembered state only for its job and round', () => {
    const cache = new JobCache();
    const s = fakeState(3);
    cache.rememberState('a', s);
    expect(cache.state('a', 3)).toBe(s);
    expect(cache.state('a', 2)).toBeUndefined();
    expect(cache.state('a', 4)).toBeUndefined();
    expect(cache.state('b', 3)).toBeUndefined();
  });

  it('keeps one state per job: the newest', () => {
    const cache = new JobCache();
    cache.rememberState('a', fakeState(3));
    cache.rememberState('a', fakeState(4));
    expect(cache.state('a', 3)).toBeUndefined();
    expect(cache.state('a', 4)?.round).toBe(4);
  });

  it('keeps 64 jobs; the 65th pushes out the one remembered least recently', () => {
    const cache = new JobCache();
    for (let j = 0; j < 64; j++) cache.rememberState(`j${j}`, fakeState(1));
    expect(cache.state('j0', 1)).toBeDefined();
    // j0 remembered again: now the most recent, so j1 is the oldest
    cache.rememberState('j0', fakeState(2));
    cache.rememberState('j64', fakeState(1));
    expect(cache.state('j0', 2)).toBeDefined();
    expect(cache.state('j1', 1)).toBeUndefined();
    expect(cache.state('j2', 1)).toBeDefined();
    expect(cache.state('j64', 1)).toBeDefined();
  });
});

describe('Class: JobCache, notified results', () => {
  it('collects the shards of one round, and starts over for another round', () => {
    const cache = new JobCache();
    expect([...cache.noteResult('a', 0, 2)]).toEqual([2]);
    expect([...cache.noteResult('a', 0, 0)].sort()).toEqual([0, 2]);
    expect([...cache.noteResult('b', 0, 1)]).toEqual([1]);
    expect([...cache.noteResult('a', 1, 3)]).toEqual([3]);
    expect([...cache.noteResult('a', 1, 3)]).toEqual([3]);
  });

  it('remembers stored results of the noted round only: another round of the job forgets them, other jobs keep theirs', () => {
    const cache = new JobCache();
    const r = (partition: number): ShardResult => ({
      v: 1,
      kind: 'gradient',
      round: 4,
      partition,
      step: 0,
      steps: 1,
      stepsPerEpoch: 1,
      lossSum: partition,
      rows: 1,
      gradSum: [partition],
    });
    cache.noteResult('a', 4, 0);
    cache.rememberResults(
      'a',
      4,
      new Map([
        [0, r(0)],
        [1, r(1)],
      ]),
    );
    cache.rememberResults('b', 4, new Map([[2, r(2)]]));
    expect(cache.storedResult('a', 4, 1)).toEqual(r(1));
    expect(cache.storedResult('a', 4, 2)).toBeUndefined();
    expect(cache.storedResult('a', 3, 0)).toBeUndefined();
    expect(cache.storedResult('b', 4, 2)).toEqual(r(2));
    expect(cache.storedResult('c', 4, 0)).toBeUndefined();
    // Round 5 of job a starts: its notes and stored results of round 4 are dropped together
    expect([...cache.noteResult('a', 5, 3)]).toEqual([3]);
    expect(cache.storedResult('a', 4, 0)).toBeUndefined();
    expect(cache.storedResult('b', 4, 2)).toEqual(r(2));
  });

  it('keeps 64 jobs; the 65th pushes out the one whose round started least recently', () => {
    const cache = new JobCache();
    for (let j = 0; j < 64; j++) cache.noteResult(`j${j}`, 0, 0);
    expect([...cache.noteResult('j0', 0, 1)].sort()).toEqual([0, 1]);
    // j0 moves to round 1: now the newest entry, so j1 is the oldest
    cache.noteResult('j0', 1, 0);
    cache.noteResult('j64', 0, 0);
    expect([...cache.noteResult('j1', 0, 1)]).toEqual([1]);
    expect([...cache.noteResult('j0', 1, 1)].sort()).toEqual([0, 1]);
    expect([...cache.noteResult('j3', 0, 1)].sort()).toEqual([0, 1]);
  });
});

describe('Class: JobCache, fan-outs', () => {
  it('knows the last round it fanned out per job', () => {
    const cache = new JobCache();
    expect(cache.fannedOut('a', 0)).toBe(false);
    cache.rememberFanOut('a', 0);
    cache.rememberFanOut('a', 1);
    expect(cache.fannedOut('a', 0)).toBe(false);
    expect(cache.fannedOut('a', 1)).toBe(true);
    expect(cache.fannedOut('b', 1)).toBe(false);
  });

  it('keeps 64 jobs; the 65th pushes out the one remembered least recently', () => {
    const cache = new JobCache();
    for (let j = 0; j < 64; j++) cache.rememberFanOut(`j${j}`, 0);
    expect(cache.fannedOut('j0', 0)).toBe(true);
    cache.rememberFanOut('j0', 1);
    cache.rememberFanOut('j64', 0);
    expect(cache.fannedOut('j0', 1)).toBe(true);
    expect(cache.fannedOut('j1', 0)).toBe(false);
    expect(cache.fannedOut('j2', 0)).toBe(true);
    expect(cache.fannedOut('j64', 0)).toBe(true);
  });
});

describe('Class: JobCache, contexts', () => {
  it('loads a job context once and keeps 64 jobs', async () => {
    // Prepare: 65 jobs sharing one spec and plan document
    const { store, spec } = await started();
    const specBytes = (await store.get(keys.job.spec(spec.jobId)))!.body;
    const planBytes = (await store.get(keys.job.plan(spec.jobId)))!.body;
    for (let j = 0; j <= 64; j++) {
      await store.put(keys.job.spec(`j${j}`), specBytes);
      await store.put(keys.job.plan(`j${j}`), planBytes);
    }
    const { store: counted, gets } = countingGets(store);
    const cache = new JobCache();
    const specReads = (id: string) => gets.filter((k) => k === keys.job.spec(id)).length;

    // Act + Assess
    const first = await cache.context(counted, 'j0');
    expect(await cache.context(counted, 'j0')).toBe(first);
    expect(specReads('j0')).toBe(1);
    for (let j = 1; j < 64; j++) await cache.context(counted, `j${j}`);
    await cache.context(counted, 'j0');
    expect(specReads('j0')).toBe(1); // 64 jobs: all kept
    await cache.context(counted, 'j64');
    // the 65th pushed out one of the two oldest (j0 or j1, whether or not a hit counts as a
    // use): asking for both again reads exactly one of them
    await cache.context(counted, 'j1');
    await cache.context(counted, 'j0');
    expect(specReads('j0') + specReads('j1')).toBe(3);
    expect(first.plan.partitions).toHaveLength(4);
  });
});

describe('Class: JobCache, partitions', () => {
  async function tenPartitions() {
    const s = await started(10, 'job-ten');
    const { store: counted, gets } = countingGets(s.store);
    const reads = () => gets.filter((k) => k.startsWith('processed/') && !k.endsWith('manifest.json')).length;
    return { ...s, counted, reads };
  }

  it('gives each shard its own rows, loaded once', async () => {
    const { store, counted, ctx, reads } = await tenPartitions();
    const cache = new JobCache();
    const p0 = await cache.partition(counted, ctx, 0);
    const p1 = await cache.partition(counted, ctx, 1);
    expect(await cache.partition(counted, ctx, 0)).toBe(p0);
    expect(reads()).toBe(2);
    expect(p1).toEqual(await loadPartition(store, ctx.manifest, ctx.spec, ctx.plan, 1));
    expect(p0).toEqual(await loadPartition(store, ctx.manifest, ctx.spec, ctx.plan, 0));
    expect(p0).not.toEqual(p1);
  });

  it('keeps 8 partitions by default, least recently used out', async () => {
    const { counted, ctx, reads } = await tenPartitions();
    const cache = new JobCache();
    for (let p = 0; p < 8; p++) await cache.partition(counted, ctx, p);
    expect(reads()).toBe(8);
    await cache.partition(counted, ctx, 0); // a hit: 0 becomes the most recent
    expect(reads()).toBe(8);
    await cache.partition(counted, ctx, 8); // pushes out 1, the least recent
    expect(reads()).toBe(9);
    await cache.partition(counted, ctx, 0);
    await cache.partition(counted, ctx, 2);
    expect(reads()).toBe(9);
    await cache.partition(counted, ctx, 1);
    expect(reads()).toBe(10);
  });

  it('keeps as many as it is told', async () => {
    const { counted, ctx, reads } = await tenPartitions();
    const cache = new JobCache(2);
    await cache.partition(counted, ctx, 0);
    await cache.partition(counted, ctx, 1);
    await cache.partition(counted, ctx, 2); // pushes out 0
    await cache.partition(counted, ctx, 1);
    expect(reads()).toBe(3);
    await cache.partition(counted, ctx, 0);
    expect(reads()).toBe(4);
  });

  it('keys partitions by job as well as shard', async () => {
    const { counted, ctx, reads } = await tenPartitions();
    const other: JobContext = { ...ctx, spec: { ...ctx.spec, jobId: 'another' } };
    const cache = new JobCache();
    await cache.partition(counted, ctx, 0);
    await cache.partition(counted, other, 0);
    expect(reads()).toBe(2);
  });
});

describe('Function: loadJobContext', () => {
  it('names what is missing: the job, its plan, its dataset manifest', async () => {
    const { store, spec } = await started();
    const s = new SimObjectStore();
    await expect(loadJobContext(s, 'x')).rejects.toThrow(new ProtocolError('job x does not exist'));
    await s.put(keys.job.spec('x'), (await store.get(keys.job.spec(spec.jobId)))!.body);
    await expect(loadJobContext(s, 'x')).rejects.toThrow(new ProtocolError('job x has no plan yet'));
    await s.put(keys.job.plan('x'), (await store.get(keys.job.plan(spec.jobId)))!.body);
    const error = await loadJobContext(s, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(
      `dataset manifest ${keys.manifest('seed', spec.dataset.version)} of job x is missing`,
    );
  });

  it('loads spec, plan and manifest as stored', async () => {
    const { store, ctx, data } = await started();
    const loaded = await loadJobContext(store, ctx.spec.jobId);
    expect(loaded.spec).toEqual(ctx.spec);
    expect(loaded.plan).toEqual(ctx.plan);
    expect(loaded.manifest).toEqual(data.manifest);
  });
});

describe('Function: readJobSpec', () => {
  it('a missing job is a NotFoundError that points at `shardtrain jobs`', async () => {
    const error = await readJobSpec(new SimObjectStore(), 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe('no job "nope" (see: shardtrain jobs)');
  });
});

describe('Round states', () => {
  it('writeState stores once; a second write reports it was not fresh and changes nothing', async () => {
    const { store, spec } = await started();
    const s0 = (await readState(store, spec.jobId, 0))!;
    const next = { ...s0, round: 1 };
    const first = await writeState(store, spec.jobId, next);
    const second = await writeState(store, spec.jobId, { ...next, epoch: 7 });
    expect(first.fresh).toBe(true);
    expect(second.fresh).toBe(false);
    expect(first.json).toBe(encodeState(next).json);
    expect(Buffer.from((await store.get(keys.job.state(spec.jobId, 1)))!.body).toString('utf8')).toBe(
      first.json,
    );
    expect((await readState(store, spec.jobId, 1))?.epoch).toBe(s0.epoch);
  });

  it('latestState is the highest round stored, or undefined', async () => {
    const { store, spec } = await started();
    expect(await latestState(store, 'none')).toBeUndefined();
    const s0 = (await readState(store, spec.jobId, 0))!;
    await writeState(store, spec.jobId, { ...s0, round: 1 });
    await writeState(store, spec.jobId, { ...s0, round: 2 });
    expect((await latestState(store, spec.jobId))?.round).toBe(2);
  });

  it('writeJsonIfAbsent writes JSON once', async () => {
    const store = new SimObjectStore();
    expect(await writeJsonIfAbsent(store, 'k', { a: 1 })).toBe(true);
    expect(await writeJsonIfAbsent(store, 'k', { a: 2 })).toBe(false);
    expect(Buffer.from((await store.get('k'))!.body).toString('utf8')).toBe('{"a":1}');
  });
});
