import { describe, expect, it } from 'vitest';
import { loadRows } from '../../../lib/data/index.js';
import { keys } from '../../../lib/engine/keys.js';
import {
  DEFAULT_CHECKPOINT_POLICY,
  runCheckpointed,
} from '../../../lib/engine/training/checkpointed-runner.js';
import type { FinishedJob } from '../../../lib/engine/training/coordinator.js';
import { runInProcess } from '../../../lib/engine/training/in-process-runner.js';
import { readState } from '../../../lib/engine/training/job-store.js';
import { readRoundRecords } from '../../../lib/engine/training/round-records.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { seedDataset, seedSpec } from '../../support/engine-fixtures.js';

/**
 * The seed example (100 rows, y ~ x) by plain batch GD with tol 0 and a small step (0.001: the
 * gradient-norm test never stops it early): exactly `epochs` rounds, one
 * per epoch, on one partition.
 */
async function seedJob(jobId: string, epochs: number, workers = 1) {
  const store = new SimObjectStore();
  const data = await seedDataset(store);
  const spec = seedSpec(jobId, data.manifest.version, { epochs, tol: 0, lr: 0.001 }, { workers });
  const finished: FinishedJob[] = [];
  const deps = {
    store,
    kernel: new TypedArrayKernel(),
    backend: 'test',
    onFinish: async (job: FinishedJob) => void finished.push(job),
  };
  return { store, data, spec, deps, finished };
}

describe('Function: runCheckpointed, the default policy', () => {
  it('is every 50 rounds or 60 s', () => {
    expect(DEFAULT_CHECKPOINT_POLICY).toEqual({ everyRounds: 50, everySeconds: 60 });
  });

  it('saves every 50 rounds when the clock stands still, and the final state', async () => {
    // Prepare: 120 rounds
    const { store, data, spec, deps } = await seedJob('ck-rounds', 120);
    const saves: number[] = [];

    // Act: everySeconds left at its default
    const run = await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 50 },
      clock: () => 0,
      onCheckpoint: (r) => saves.push(r),
    });
    const defaults = await seedJob('ck-rounds-d', 120);
    const savesD: number[] = [];
    await runCheckpointed(defaults.deps, defaults.spec, defaults.data.manifest, defaults.data.manifestKey, {
      clock: () => 0,
      onCheckpoint: (r) => savesD.push(r),
    });

    // Assess
    expect(run.state.round).toBe(120);
    expect(saves).toEqual([50, 100, 120]);
    expect(savesD).toEqual([50, 100, 120]);
    expect(run.checkpoints).toBe(3);
    expect(run.resumedFrom).toBe(0);
    // round 0's state is stored at the start, and each save's; the clean-up keeps the final one
    expect((await store.list(keys.job.statePrefix(spec.jobId))).map((i) => i.key)).toEqual([
      keys.job.state(spec.jobId, 120),
    ]);
  });

  it('saves when 60 s passed since the last save, by default', async () => {
    // Prepare: a clock 20 s further at each reading; rounds never due
    const { data, spec, deps } = await seedJob('ck-seconds', 10);
    let t = 0;
    const saves: number[] = [];

    // Act
    await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 1e9 },
      clock: () => (t += 20_000),
      onCheckpoint: (r) => saves.push(r),
    });

    // Assess: savedAt 20 s; rounds read 40, 60, 80 s → due after round 3 (80 − 20 = 60); the save
    // reads 100 s; rounds 120, 140, 160 → after round 6; then after 9; and the final state (10)
    expect(saves).toEqual([3, 6, 9, 10]);
  });
});

describe('Function: runCheckpointed, records', () => {
  it('writes one record per round with the time between two rounds', async () => {
    // Prepare: a clock 1 s further at each reading, a save every 2 rounds
    const { store, data, spec, deps } = await seedJob('ck-records', 70);
    let t = 0;

    // Act
    await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 2, everySeconds: 1e9 },
      clock: () => (t += 1000),
    });

    // Assess: lastAt starts at the first reading; a round reads once; a save reads once more,
    // so the round after a save spans two readings: 1 s, 1 s, 2 s, 1 s, 2 s, …
    const records = await readRoundRecords(store, spec.jobId);
    expect(records.map((r) => r.round)).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect(records.slice(0, 5).map((r) => r.roundMs)).toEqual([1000, 1000, 2000, 1000, 2000]);
    expect(records.at(-1)?.stop).toBe('max-epochs');
  });
});

describe('Function: runCheckpointed, a finished job run again', () => {
  it('trains nothing and returns the stored model', async () => {
    // Prepare
    const { data, spec, deps, finished } = await seedJob('ck-again', 5);
    const first = await runCheckpointed(deps, spec, data.manifest, data.manifestKey);
    let rounds = 0;

    // Act
    const again = await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      onRound: () => void rounds++,
    });

    // Assess
    expect(rounds).toBe(0);
    expect(again.resumedFrom).toBe(5);
    expect(again.checkpoints).toBe(0);
    expect(again.artifact).toEqual(first.artifact);
    expect(finished).toHaveLength(1);
  });
});

describe('Function: runCheckpointed, without a clock of its own', () => {
  it('stores round 0 before the first round, and times the rounds with the process clock', async () => {
    // Prepare
    const { store, data, spec, deps } = await seedJob('ck-clock', 3);
    const before: boolean[] = [];
    const t0 = performance.now();

    // Act
    await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      onRound: () => void store.head(keys.job.state(spec.jobId, 0)).then((i) => before.push(i !== undefined)),
    });
    const t1 = performance.now();

    // Assess: state 0 was there when round 1 was applied (a crash then resumes from it)
    expect(before[0]).toBe(true);
    const records = await readRoundRecords(store, spec.jobId);
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(typeof r.roundMs).toBe('number');
      expect(r.roundMs).toBeGreaterThanOrEqual(0);
      expect(r.roundMs).toBeLessThanOrEqual(t1 - t0);
    }
  });
});

describe('Function: runInProcess', () => {
  it('records every round, hands onRound the epoch cap, stores the final state and registers once', async () => {
    // Prepare: 70 rounds (more than one batch of 64 record writes)
    const { store, data, spec, deps, finished } = await seedJob('ip-records', 70, 2);
    const seen: { round: number; maxEpochs: number }[] = [];

    // Act
    const t0 = performance.now();
    const run = await runInProcess(deps, spec, data.manifest, data.manifestKey, (r) =>
      seen.push({ round: r.round, maxEpochs: r.maxEpochs }),
    );

    const t1 = performance.now();

    // Assess
    expect(seen).toEqual(Array.from({ length: 70 }, (_, i) => ({ round: i, maxEpochs: 70 })));
    const records = await readRoundRecords(store, spec.jobId);
    expect(records.map((r) => r.round)).toEqual(Array.from({ length: 70 }, (_, i) => i));
    for (const r of records) {
      expect(r.roundMs).toBeGreaterThanOrEqual(0);
      expect(r.roundMs).toBeLessThanOrEqual(t1 - t0);
    }
    expect((await readState(store, spec.jobId, 70))?.params).toEqual(run.state.params);
    expect(finished.map((f) => f.artifact)).toEqual([run.artifact]);
    expect(await store.head(keys.job.registered(spec.jobId))).toBeDefined();
  });

  it('reads the rows from the given source instead of the shards, to the same model', async () => {
    // Prepare
    const { store, data, spec, deps } = await seedJob('ip-rows', 3, 2);
    const ranges: [number, number][] = [];
    const rows = (s: number, e: number) => {
      ranges.push([s, e]);
      return loadRows(store, data.manifest, s, e);
    };
    const plain = await seedJob('ip-rows', 3, 2);

    // Act
    const fromSource = await runInProcess({ ...deps, rows }, spec, data.manifest, data.manifestKey);
    const fromShards = await runInProcess(
      plain.deps,
      plain.spec,
      plain.data.manifest,
      plain.data.manifestKey,
    );

    // Assess: two partitions of 50 rows
    expect(ranges).toEqual([
      [0, 50],
      [50, 100],
    ]);
    expect(fromSource.state.params).toEqual(fromShards.state.params);
  });

  it("an mlp's alpha is chosen on the rows of the given source too", async () => {
    // Prepare: an mlp on the 100 seed rows in 2 partitions (alpha selection loads both)
    const { store, data, deps } = await seedJob('ip-mlp', 2, 2);
    const spec = seedSpec(
      'ip-mlp',
      data.manifest.version,
      { epochs: 2, hidden: [2] },
      { model: 'mlp', workers: 2 },
    );
    let asked = 0;
    const rows = (s: number, e: number) => {
      asked++;
      return loadRows(store, data.manifest, s, e);
    };

    // Act
    const run = await runInProcess({ ...deps, rows }, spec, data.manifest, data.manifestKey);

    // Assess: 2 partitions for the selection, 2 for training
    expect(run.ctx.plan.alphaSelection).toBeDefined();
    expect(asked).toBe(4);
  });
});
