import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  latestRoundRecord,
  noteFanOut,
  readRoundRecords,
  roundRecordOf,
  writeRoundRecord,
} from '../../../lib/engine/training/round-records.js';
import type { TrainState } from '../../../lib/optim/index.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { overrideStore } from '../../../lib/simulation/memory-object-store.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';

/** The fields of a state a round record reads (the rest does not matter here). */
function state(over: {
  last?: { round: number; epoch: number; loss: number; gradNorm: number; lr: number } | null;
  lastEpoch?: { epoch: number; loss: number } | null;
  done?: string;
}): TrainState {
  return {
    round: (over.last?.round ?? -1) + 1,
    last: over.last === undefined ? { round: 4, epoch: 2, loss: 0.5, gradNorm: 0.25, lr: 0.1 } : over.last,
    lastEpoch: over.lastEpoch ?? null,
    status: over.done === undefined ? { status: 'running' } : { status: 'done', reason: over.done },
  } as unknown as TrainState;
}

describe('Function: roundRecordOf', () => {
  it('is null before round 0 is applied', () => {
    expect(roundRecordOf('rr-a', state({ last: null }))).toBeNull();
  });

  it("copies the last round's numbers; epoch loss only when that round closed its epoch", () => {
    const closed = roundRecordOf('rr-b', state({ lastEpoch: { epoch: 2, loss: 0.75 } }))!;
    expect(closed).toMatchObject({
      jobId: 'rr-b',
      round: 4,
      epoch: 2,
      loss: 0.5,
      gradNorm: 0.25,
      lr: 0.1,
      epochLoss: 0.75,
      stop: null,
    });
    expect(roundRecordOf('rr-b', state({ lastEpoch: { epoch: 1, loss: 0.75 } }))!.epochLoss).toBeNull();
    expect(roundRecordOf('rr-b', state({}))!.epochLoss).toBeNull();
  });

  it('names the stop reason of a finished state', () => {
    expect(roundRecordOf('rr-c', state({ done: 'max-epochs' }))!.stop).toBe('max-epochs');
  });

  it('stamps the record with the time now, as ISO text and as milliseconds', () => {
    const before = Date.now();
    const r = roundRecordOf('rr-d', state({}))!;
    const after = Date.now();
    const at = Date.parse(r.at);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(Math.abs(r.atMs - at)).toBeLessThan(50);
  });

  it('has a round time only when this process fanned that round out', () => {
    expect(roundRecordOf('rr-e', state({}))!.roundMs).toBeNull();
    noteFanOut('rr-e', 3);
    expect(roundRecordOf('rr-e', state({}))!.roundMs).toBeNull();
    const t0 = performance.now();
    noteFanOut('rr-e', 4);
    const ms = roundRecordOf('rr-e', state({}))!.roundMs;
    const t1 = performance.now();
    // the time from the fan-out to the record: within what the test saw pass around both
    expect(typeof ms).toBe('number');
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(t1 - t0);
  });

  it('remembers the fan-outs of 256 jobs; the 257th pushes out the oldest', () => {
    for (let j = 0; j < 256; j++) noteFanOut(`rr-f${j}`, 4);
    expect(roundRecordOf('rr-f0', state({}))!.roundMs).not.toBeNull();
    for (let j = 256; j < 512; j++) noteFanOut(`rr-f${j}`, 4);
    expect(roundRecordOf('rr-f255', state({}))!.roundMs).toBeNull();
    expect(roundRecordOf('rr-f256', state({}))!.roundMs).not.toBeNull();
  });
});

describe('Function: writeRoundRecord', () => {
  it('stores the record once, and nothing before round 0', async () => {
    const store = new SimObjectStore();
    expect(await writeRoundRecord(store, 'j', state({ last: null }))).toBeUndefined();
    expect(await store.list('')).toEqual([]);
    const first = await writeRoundRecord(store, 'j', state({}));
    expect(first?.round).toBe(4);
    expect(await writeRoundRecord(store, 'j', state({}))).toBeUndefined();
    expect((await store.list('')).map((i) => i.key)).toEqual([keys.job.metrics('j', 4)]);
    expect(JSON.parse(Buffer.from((await store.get(keys.job.metrics('j', 4)))!.body).toString())).toEqual(
      first,
    );
  });
});

async function recorded(rounds: number): Promise<SimObjectStore> {
  const store = new SimObjectStore();
  for (let r = 0; r < rounds; r++)
    await writeRoundRecord(
      store,
      'j',
      state({ last: { round: r, epoch: r, loss: 1 / (r + 1), gradNorm: 1, lr: 1 } }),
    );
  return store;
}

describe('Function: readRoundRecords', () => {
  it('reads every record from a round on, in round order', async () => {
    const store = await recorded(12);
    expect((await readRoundRecords(store, 'j')).map((r) => r.round)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect((await readRoundRecords(store, 'j', 10)).map((r) => r.round)).toEqual([10, 11]);
    expect(await readRoundRecords(store, 'j', 12)).toEqual([]);
    expect(await readRoundRecords(store, 'other')).toEqual([]);
  });

  it('skips a record that is gone between the listing and its read', async () => {
    const base = await recorded(3);
    const store = overrideStore(base, {
      get: async (key) => (key === keys.job.metrics('j', 1) ? undefined : base.get(key)),
    });
    expect((await readRoundRecords(store, 'j')).map((r) => r.round)).toEqual([0, 2]);
  });
});

describe('Function: latestRoundRecord', () => {
  function counting(base: ObjectStore) {
    const heads: number[] = [];
    const store = overrideStore(base, {
      head: (key) => {
        heads.push(Number(key.slice(key.lastIndexOf('/') + 1, -'.json'.length)));
        return base.head(key);
      },
    });
    return { store, heads };
  }

  it('finds the newest of 1 to 20 records from any hint', async () => {
    for (let n = 0; n <= 20; n++) {
      const store = await recorded(n);
      for (const hint of [0, 1, n - 1, n, n + 3, -2]) {
        const found = await latestRoundRecord(store, 'j', hint);
        expect(found?.round).toBe(n === 0 ? undefined : n - 1);
      }
    }
  });

  it('with no record, one look-up of round 0 answers', async () => {
    const { store, heads } = counting(await recorded(0));
    expect(await latestRoundRecord(store, 'j')).toBeUndefined();
    expect(heads).toEqual([0]);
  });

  it('gallops then bisects: 10 records from hint 0 take 8 look-ups', async () => {
    const { store, heads } = counting(await recorded(10));
    expect((await latestRoundRecord(store, 'j'))?.round).toBe(9);
    // 0 ✓, then 1 ✓ 3 ✓ 7 ✓ 15 ✗ (steps 1, 2, 4, 8), then 11 ✗ 9 ✓ 10 ✗
    expect(heads).toEqual([0, 1, 3, 7, 15, 11, 9, 10]);
  });

  it('from a right hint it takes 2 look-ups; from a hint past the end it starts over at 0', async () => {
    const right = counting(await recorded(10));
    expect((await latestRoundRecord(right.store, 'j', 9))?.round).toBe(9);
    expect(right.heads).toEqual([9, 10]);
    const past = counting(await recorded(10));
    expect((await latestRoundRecord(past.store, 'j', 12))?.round).toBe(9);
    expect(past.heads).toEqual([12, 0, 1, 3, 7, 15, 11, 9, 10]);
    const negative = counting(await recorded(10));
    expect((await latestRoundRecord(negative.store, 'j', -5))?.round).toBe(9);
    expect(negative.heads).toEqual([0, 1, 3, 7, 15, 11, 9, 10]);
  });
});
