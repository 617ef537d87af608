import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/local/index.js';
import { keys } from '../../../lib/engine/keys.js';
import { readRoundHistory } from '../../../lib/report/round-history.js';

const record = (round: number, loss: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    jobId: 'j-1',
    round,
    epoch: round,
    loss,
    gradNorm: loss * 2,
    lr: 0.1,
    roundMs: 40,
    at: 'now',
    ...extra,
  });
const key = (round: number) => `jobs/j-1/metrics/${String(round).padStart(6, '0')}.json`;

describe('Function: readRoundHistory', () => {
  let dir: string;
  let store: FsObjectStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'round-history-'));
    store = new FsObjectStore({ root: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every per-round record in round order, with the compute time when recorded', async () => {
    // Prepare: written out of order; round 1 has a compute time.
    await store.put(key(2), record(2, 0.25));
    await store.put(key(0), record(0, 1));
    await store.put(key(1), record(1, 0.5, { computeMs: 30 }));

    // Act
    const h = await readRoundHistory(store, 'j-1');

    // Assess
    expect(h.source).toBe('metrics');
    expect(h.errors).toEqual([]);
    expect(h.rounds.map((r) => r.loss)).toEqual([1, 0.5, 0.25]);
    expect(h.rounds[1]).toMatchObject({ gradNorm: 1, roundMs: 40, computeMs: 30 });
    // No state: epochs are the per-epoch means of the rounds (one round per epoch here).
    expect(h.epochs).toEqual([
      { epoch: 0, loss: 1 },
      { epoch: 1, loss: 0.5 },
      { epoch: 2, loss: 0.25 },
    ]);
  });

  it('names a corrupt record and the gap it leaves instead of failing the whole history', async () => {
    await store.put(key(0), record(0, 1));
    await store.put(key(1), '{"jobId": "j-1", "round": 1, "lo');
    await store.put(key(2), JSON.stringify({ jobId: 'j-1', round: 2 }));
    await store.put(key(3), record(3, 0.1));

    const h = await readRoundHistory(store, 'j-1');

    expect(h.rounds.map((r) => r.round)).toEqual([0, 3]);
    expect(h.errors).toEqual([
      `${key(1)}: the metrics record is not valid JSON`,
      `${key(2)}: the metrics record is invalid at epoch`,
      'rounds 1–2 have no metrics record',
    ]);
  });

  it('falls back to the newest training state’s history when there are no records (in-process runs)', async () => {
    const state = {
      round: 2,
      history: [
        { round: 0, epoch: 0, loss: 2, gradNorm: 3, lr: 0.5 },
        { round: 1, epoch: 1, loss: 1, gradNorm: 2, lr: 0.5 },
      ],
      epochs: [
        { epoch: 0, loss: 2 },
        { epoch: 1, loss: 1 },
      ],
    };
    await store.put(keys.job.state('j-1', 2), JSON.stringify(state));

    const h = await readRoundHistory(store, 'j-1');

    expect(h.source).toBe('state');
    expect(h.rounds.map((r) => [r.round, r.loss, r.roundMs])).toEqual([
      [0, 2, null],
      [1, 1, null],
    ]);
    expect(h.epochs).toEqual(state.epochs);
  });

  it('with a cache, reads each record once however often it is polled', async () => {
    await store.put(key(0), record(0, 1));
    const gets: string[] = [];
    const counting = Object.assign(Object.create(store) as FsObjectStore, {
      get: (k: string) => {
        gets.push(k);
        return store.get(k);
      },
    });
    const cache = new Map();
    await readRoundHistory(counting, 'j-1', cache);
    await store.put(key(1), record(1, 0.5));
    const second = await readRoundHistory(counting, 'j-1', cache);
    expect(second.rounds.map((r) => r.round)).toEqual([0, 1]);
    expect(gets.filter((k) => k.includes('/metrics/'))).toEqual([key(0), key(1)]);
  });

  it('reports no history for a job that has not run a round', async () => {
    expect(await readRoundHistory(store, 'j-1')).toEqual({
      rounds: [],
      epochs: [],
      source: 'none',
      errors: [],
    });
  });
});
