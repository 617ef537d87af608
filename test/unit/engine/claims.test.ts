import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type ClaimRequest,
  claimOrder,
  claimShards,
  claimsFor,
} from '../../../lib/engine/training/claims.js';
import {
  type EngineDeps,
  handleResult,
  handleWork,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache, loadJobContext, readState } from '../../../lib/engine/training/job-store.js';
import type { WorkMessage } from '../../../lib/engine/training/protocol.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../../../lib/ports.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  bitDifferences,
  recordingOutbox,
  referenceRun,
  seedDataset,
  seedSpec,
  simulatedRun,
} from '../../support/engine-fixtures.js';

const JOB = 'job-claims';

/** A store that counts conditional puts and lists, and can lose the answer of chosen puts. */
class CountingStore extends SimObjectStore {
  public conditionalPuts: string[] = [];
  public lists = 0;
  /** Keys whose put-if-absent writes but answers false (the SDK retried and read 412). */
  public readonly lostAnswers = new Set<string>();

  public override async putIfAbsent(key: string, body: ObjectBody): Promise<boolean> {
    this.conditionalPuts.push(key);
    const wrote = await super.putIfAbsent(key, body);
    return wrote && !this.lostAnswers.has(key);
  }

  public override async list(prefix: string): Promise<ObjectInfo[]> {
    this.lists++;
    return super.list(prefix);
  }
}

const request = (store: ObjectStore, over: Partial<ClaimRequest> = {}): ClaimRequest => ({
  store,
  jobId: JOB,
  round: 3,
  slot: 2,
  workers: 6,
  cached: [],
  redelivered: false,
  ...over,
});

const claimed = async (store: ObjectStore, round = 3): Promise<Record<number, string>> => {
  const prefix = keys.job.claimsPrefix(JOB, round);
  const out: Record<number, string> = {};
  for (const info of await store.list(prefix)) {
    out[Number(info.key.slice(prefix.length))] = Buffer.from((await store.get(info.key))!.body).toString();
  }
  return out;
};

describe('Function: claimsFor', () => {
  it('turns claims on only when W exceeds the partitions a worker caches', () => {
    expect(claimsFor(9, 8)).toBe(true);
    expect(claimsFor(8, 8)).toBe(false);
    expect(claimsFor(1, 8)).toBe(false);
  });
});

describe('Function: claimOrder', () => {
  it('tries cached shards (most recent first), then the slot, then the rest from the slot on', () => {
    // W = 6, slot 4, cached [1, 5]: 1, 5, then 4, then 0, 2, 3 (5 and 1 already listed).
    expect(claimOrder(4, 6, [1, 5])).toEqual([1, 5, 4, 0, 2, 3]);
    expect(claimOrder(0, 3, [])).toEqual([0, 1, 2]);
  });

  it('ignores cached entries that are not shards of this job', () => {
    expect(claimOrder(1, 3, [7, -1, 0.5, 2, 2])).toEqual([2, 1, 0]);
  });
});

describe('Function: claimShards', () => {
  it('claims a cached shard before the slot, writing the slot as the body', async () => {
    const store = new CountingStore();
    const held = await claimShards(request(store, { cached: [5, 0] }));
    expect(held).toEqual([{ shard: 5, fresh: true }]);
    expect(await claimed(store)).toEqual({ 5: '2' });
  });

  it('claims the slot when nothing is cached, and the next free shard from the slot when it is taken', async () => {
    const store = new CountingStore();
    expect(await claimShards(request(store))).toEqual([{ shard: 2, fresh: true }]);
    // Slot 2 again (a twin): shard 2 is its own claim, so it is held (not fresh: a result may exist).
    expect(await claimShards(request(store))).toEqual([{ shard: 2, fresh: false }]);
    // Slot 1 takes 1; slot 5 holding 2 and 1 finds both taken by other slots and takes 5.
    expect(await claimShards(request(store, { slot: 1 }))).toEqual([{ shard: 1, fresh: true }]);
    expect(await claimShards(request(store, { slot: 5, cached: [2, 1] }))).toEqual([
      { shard: 5, fresh: true },
    ]);
    // Shard 0 taken by slot 4's twin: slot 0 goes on from 0 past 1 and 2 (taken) to 3.
    await store.putIfAbsent(keys.job.claim(JOB, 3, 0), '4');
    expect(await claimShards(request(store, { slot: 0 }))).toEqual([{ shard: 3, fresh: true }]);
    expect(await claimed(store)).toEqual({ 0: '4', 1: '1', 2: '2', 3: '0', 5: '5' });
  });

  it('acks a duplicate when every shard is taken, trying only what the LIST did not show', async () => {
    // Prepare: W = 6, every shard claimed by its own slot but shard 2, which a twin of slot 3 took.
    const store = new CountingStore();
    for (let s = 0; s < 6; s++) await store.putIfAbsent(keys.job.claim(JOB, 3, s), String(s === 2 ? 3 : s));
    store.conditionalPuts = [];

    // Act: a delivery of slot 2 holding shard 4.
    const held = await claimShards(request(store, { cached: [4] }));

    // Assess: tried 4 and 2 (bodies 4 and 3), one LIST, no further PUT.
    expect(held).toEqual([]);
    expect(store.conditionalPuts).toEqual([keys.job.claim(JOB, 3, 4), keys.job.claim(JOB, 3, 2)]);
    expect(store.lists).toBe(1);
  });

  it('holds a claim whose PUT succeeded but whose answer was lost', async () => {
    const store = new CountingStore();
    store.lostAnswers.add(keys.job.claim(JOB, 3, 2));
    expect(await claimShards(request(store))).toEqual([{ shard: 2, fresh: false }]);
    expect(await claimed(store)).toEqual({ 2: '2' });
  });

  it('does not take a claim whose body is not a slot number', async () => {
    const store = new CountingStore();
    await store.put(keys.job.claim(JOB, 3, 2), 'garbage');
    await store.put(keys.job.claim(JOB, 3, 3), '2x');
    expect(await claimShards(request(store))).toEqual([{ shard: 4, fresh: true }]);
    expect(await claimShards(request(store, { slot: 5, redelivered: true }))).toEqual([
      { shard: 5, fresh: true },
    ]);
  });

  it('reads a claim body as its slot only when it is all decimal digits', async () => {
    // Number() would read each of these as 7, but none is the body `String(7)` a slot writes.
    for (const body of ['+7', ' 7', '0x7', '7 ', '7.0', '7e0', '7\n']) {
      const store = new CountingStore();
      await store.put(keys.job.claim(JOB, 3, 7), body);
      // Slot 7 of W = 10: its own shard is taken by junk, so it takes the next one, 8.
      expect(await claimShards(request(store, { slot: 7, workers: 10 })), JSON.stringify(body)).toEqual([
        { shard: 8, fresh: true },
      ]);
      // A redelivery of slot 7 finds its claim of 8 only, not the junk on 7.
      expect(await claimShards(request(store, { slot: 7, workers: 10, redelivered: true }))).toEqual([
        { shard: 8, fresh: false },
      ]);
    }
    // Several digits are one slot: slot 12's body "12" (and "012") holds shard 12 of W = 16.
    for (const body of ['12', '012']) {
      const store = new CountingStore();
      await store.put(keys.job.claim(JOB, 3, 12), body);
      expect(await claimShards(request(store, { slot: 12, workers: 16 }))).toEqual([
        { shard: 12, fresh: false },
      ]);
      expect(await claimShards(request(store, { slot: 12, workers: 16, redelivered: true }))).toEqual([
        { shard: 12, fresh: false },
      ]);
    }
  });

  it('on a redelivery, returns every claim of its slot in the round and claims nothing new', async () => {
    // Prepare: slot 2 holds shards 4 and 1 (twins), slot 3 holds 2; round 4 has a claim of slot 2 too.
    const store = new CountingStore();
    await store.putIfAbsent(keys.job.claim(JOB, 3, 4), '2');
    await store.putIfAbsent(keys.job.claim(JOB, 3, 1), '2');
    await store.putIfAbsent(keys.job.claim(JOB, 3, 2), '3');
    await store.putIfAbsent(keys.job.claim(JOB, 4, 0), '2');
    store.conditionalPuts = [];

    // Act
    const held = await claimShards(request(store, { redelivered: true, cached: [5] }));

    // Assess
    expect(held).toEqual([
      { shard: 1, fresh: false },
      { shard: 4, fresh: false },
    ]);
    expect(store.conditionalPuts).toEqual([]);
  });

  it('on a redelivery whose slot holds nothing yet (it crashed before claiming), claims as a first delivery', async () => {
    const store = new CountingStore();
    await store.putIfAbsent(keys.job.claim(JOB, 3, 5), '0');
    expect(await claimShards(request(store, { redelivered: true, cached: [5, 3] }))).toEqual([
      { shard: 3, fresh: true },
    ]);
  });

  it('reads more claims than it has in flight at once on a redelivery (W = 70)', async () => {
    const store = new CountingStore();
    for (let s = 0; s < 70; s++) await store.putIfAbsent(keys.job.claim(JOB, 3, s), String(69 - s));
    const held = await claimShards(request(store, { workers: 70, slot: 2, redelivered: true }));
    expect(held).toEqual([{ shard: 67, fresh: false }]);
  });
});

describe('Function: handleWork (partition claims)', () => {
  /** A W = 12 job (above the cache's 8, so claims are on) started on a fresh store. */
  async function setup() {
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const outbox = recordingOutbox();
    const spec = seedSpec(JOB, data.manifest.version, { epochs: 3 }, { workers: 12 });
    const deps = (cache = new JobCache(), over: Partial<EngineDeps> = {}): EngineDeps => ({
      store,
      outbox,
      kernel: new TypedArrayKernel(),
      backend: 'test',
      cache,
      inlineStateMaxBytes: 0,
      ...over,
    });
    await startJob(deps(), spec, data.manifest, data.manifestKey);
    const ctx = await loadJobContext(store, JOB);
    /** A cache that holds `shards`' partitions, as an instance that computed them. */
    const cacheWith = async (...shards: number[]): Promise<JobCache> => {
      const cache = new JobCache();
      for (const s of shards) await cache.partition(store, ctx, s);
      return cache;
    };
    const slot = (shard: number): WorkMessage => ({ v: 1, type: 'work', jobId: JOB, round: 0, shard });
    return { store, outbox, spec, data, deps, cacheWith, slot, ctx };
  }

  it('stores the decision in the plan: on for W = 12 > 8, off for W = 8 or when the host says so', async () => {
    const { ctx } = await setup();
    expect(ctx.plan.claims).toBe(true);
    for (const [workers, over] of [
      [8, {}],
      [12, { partitionClaims: false }],
    ] as const) {
      const store = new SimObjectStore();
      const data = await seedDataset(store);
      const spec = seedSpec('job-off', data.manifest.version, {}, { workers });
      const deps: EngineDeps = {
        store,
        outbox: recordingOutbox(),
        kernel: new TypedArrayKernel(),
        backend: 'test',
        ...over,
      };
      await startJob(deps, spec, data.manifest, data.manifestKey);
      expect((await loadJobContext(store, 'job-off')).plan.claims).toBeUndefined();
    }
  });

  it('a worker holding shard q computes q whatever slot it is handed', async () => {
    const { store, outbox, deps, cacheWith, slot } = await setup();
    const outcome = await handleWork(deps(await cacheWith(3, 7)), slot(2), { receiveCount: 1 });
    expect(outcome).toBe('computed');
    expect(outbox.results.map((r) => r.shard)).toEqual([7]);
    expect(await store.head(keys.job.result(JOB, 0, 7))).toBeDefined();
    expect(await store.head(keys.job.result(JOB, 0, 2))).toBeUndefined();
  });

  it('a redelivery after a crash between claim and result continues the same shard, and the round completes once', async () => {
    // Prepare: instance A holds 7, claims it for slot 2 and crashes before storing the result.
    const { store, outbox, deps, cacheWith, slot } = await setup();
    const crashing = deps(await cacheWith(7), {
      checkpoint: (point) => {
        if (point === 'worker:before-result') throw new Error('crash');
      },
    });
    await expect(handleWork(crashing, slot(2), { receiveCount: 1 })).rejects.toThrow('crash');
    expect(outbox.results).toEqual([]);

    // Act: the message comes back (receive count 2) to instance B, which holds 9.
    const outcome = await handleWork(deps(await cacheWith(9)), slot(2), { receiveCount: 2 });

    // Assess: B computed 7 (slot 2's claim), not 9 nor 2, and claimed nothing new.
    expect(outcome).toBe('computed');
    expect(outbox.results.map((r) => r.shard)).toEqual([7]);
    expect(await claimed(store, 0)).toEqual({ 7: '2' });
    // The other 11 slots, each on a fresh instance, claim the 11 other shards: every shard once.
    for (let s = 0; s < 12; s++)
      if (s !== 2) expect(await handleWork(deps(), slot(s), { receiveCount: 1 })).toBe('computed');
    expect(outbox.results.map((r) => r.shard).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    // Late duplicates. Slot 7 (which took 8: slot 2 had 7) finds 7 and then every shard taken: it
    // acks without work. Slot 5 finds its own slot's claim on 5, done: it notifies again (FIFO
    // deduplication drops that), as a redelivery would.
    expect(await handleWork(deps(), slot(7), { receiveCount: 1 })).toBe('taken');
    expect(outbox.results.length).toBe(12);
    expect(await handleWork(deps(), slot(5), { receiveCount: 1 })).toBe('resent');
    expect(outbox.results.map((r) => r.shard).slice(12)).toEqual([5]);
    for (const r of outbox.results) await handleResult(deps(), r);
    expect(await readState(store, JOB, 1)).toBeDefined();
  });

  it('a redelivery after a crash between result and notification sends the notification again', async () => {
    const { outbox, deps, cacheWith, slot } = await setup();
    const crashing = deps(await cacheWith(4), {
      checkpoint: (point) => {
        if (point === 'worker:after-result') throw new Error('crash');
      },
    });
    await expect(handleWork(crashing, slot(0), { receiveCount: 1 })).rejects.toThrow('crash');
    expect(await handleWork(deps(), slot(0), {})).toBe('resent');
    expect(outbox.results.map((r) => r.shard)).toEqual([4]);
  });
});

describe('Function: simulate (partition claims, W = 12)', () => {
  it('ends on the bits of the run without claims and of the in-process runner', async () => {
    // W = 12 above the cache's 8: claims on by default; the same job with them off.
    const version = (await seedDataset(new SimObjectStore())).manifest.version;
    const spec = seedSpec('job-cl', version, { epochs: 8 }, { workers: 12 });
    const on = await simulatedRun(spec, seedDataset, { seed: 3, workConsumers: 4 });
    const off = await simulatedRun(spec, seedDataset, { seed: 3, workConsumers: 4, partitionClaims: false });
    const reference = await referenceRun(spec, seedDataset);
    expect(on.state?.round).toBe(8);
    expect(bitDifferences(on.state!.params, off.state!.params)).toEqual([]);
    expect(bitDifferences(on.state!.params, reference.state.params)).toEqual([]);
    expect(on.report.outcomes.taken).toBe(0);
    // Fault-free: each of the 8 rounds' 12 messages computes exactly one shard.
    expect(on.report.outcomes.computed).toBe(8 * 12);
  });
});
