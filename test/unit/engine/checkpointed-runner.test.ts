import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import { runCheckpointed } from '../../../lib/engine/training/checkpointed-runner.js';
import { runInProcess } from '../../../lib/engine/training/in-process-runner.js';
import { latestState } from '../../../lib/engine/training/job-store.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import { bitDifferences, blobsDataset, blobsSpec } from '../../support/engine-fixtures.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

/** What a Spot reclaim does to the process: it stops between two instructions, here after a round. */
class Interrupted extends Error {}

describe('Function: runCheckpointed', () => {
  it('resumes after a simulated interruption and ends on the uninterrupted bits', async () => {
    // Prepare: logistic regression by mini-batch GD (many rounds) on 400 rows in 4 partitions.
    const options = { algorithm: 'minibatch' as const, batchSize: 32, epochs: 6, seed: 7 };
    const kernel = new TypedArrayKernel();
    const reference = new MemoryObjectStore();
    const refData = await blobsDataset(reference);
    const uninterrupted = await runInProcess(
      { store: reference, kernel, backend: 'test' },
      blobsSpec('ref-job', refData.manifest.version, options),
      refData.manifest,
      refData.manifestKey,
    );
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const spec = blobsSpec('spot-job', data.manifest.version, options);
    const deps = { store, kernel, backend: 'test' };

    // Act: checkpoints every 10 rounds; the process dies after round 37 (7 rounds after the last save).
    let rounds = 0;
    const first = runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 10, everySeconds: 1e9 },
      onRound: () => {
        if (++rounds === 37) throw new Interrupted('reclaimed');
      },
    });
    await expect(first).rejects.toBeInstanceOf(Interrupted);
    const saved = await latestState(store, spec.jobId);
    const second = await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 10, everySeconds: 1e9 },
    });

    // Assess: the newest checkpoint is the state at the start of round 30 (saved after 30 rounds);
    // the second attempt starts there and ends where the uninterrupted run ended.
    expect(saved?.round).toBe(30);
    expect(second.resumedFrom).toBe(30);
    expect(uninterrupted.state.round).toBeGreaterThan(37);
    expect(second.state.round).toBe(uninterrupted.state.round);
    expect(bitDifferences(second.state.params, uninterrupted.state.params)).toEqual([]);
    expect(second.artifact.coefficients).toEqual(uninterrupted.artifact.coefficients);
    // Every round's record is there once, the 7 lost rounds recomputed.
    const records = await store.list(keys.job.metricsPrefix(spec.jobId));
    expect(records).toHaveLength(uninterrupted.state.round);
  });

  it('resumes an L-BFGS MLP from its encoded state (memory pairs as base64) on the uninterrupted bits', async () => {
    // Prepare: a 3-8-1 MLP by L-BFGS (round states carry the direction, gradient and memory pairs)
    const options = { solver: 'lbfgs' as const, hidden: [8], epochs: 40, seed: 3 };
    const mlp = (id: string, version: string) => ({
      ...blobsSpec(id, version, options),
      model: 'mlp' as const,
    });
    const kernel = new TypedArrayKernel();
    const reference = new MemoryObjectStore();
    const refData = await blobsDataset(reference);
    const uninterrupted = await runInProcess(
      { store: reference, kernel, backend: 'test' },
      mlp('ref-mlp', refData.manifest.version),
      refData.manifest,
      refData.manifestKey,
    );
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const spec = mlp('spot-mlp', data.manifest.version);
    const deps = { store, kernel, backend: 'test' };

    // Act: checkpoints every 4 rounds; the process dies after round 10 (2 rounds after the last save).
    let rounds = 0;
    const first = runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 4, everySeconds: 1e9 },
      onRound: () => {
        if (++rounds === 10) throw new Interrupted('reclaimed');
      },
    });
    await expect(first).rejects.toBeInstanceOf(Interrupted);
    const stored = JSON.parse(
      new TextDecoder().decode((await store.get(keys.job.state(spec.jobId, 8)))!.body),
    ) as { v: number; solver: { kind: string; memS: unknown[] } };
    const second = await runCheckpointed(deps, spec, data.manifest, data.manifestKey, {
      checkpoint: { everyRounds: 4, everySeconds: 1e9 },
    });

    // Assess: the checkpoint of round 8 holds L-BFGS memory as strings; the resumed run ends on the
    // uninterrupted run's bits.
    expect(stored.v).toBe(2);
    expect(stored.solver.kind).toBe('lbfgs');
    expect(stored.solver.memS.length).toBeGreaterThan(0);
    expect(stored.solver.memS.every((m) => typeof m === 'string')).toBe(true);
    expect(second.resumedFrom).toBe(8);
    expect(uninterrupted.state.round).toBeGreaterThan(10);
    expect(second.state.round).toBe(uninterrupted.state.round);
    expect(bitDifferences(second.state.params, uninterrupted.state.params)).toEqual([]);
  });

  it('saves when the time since the last save passes everySeconds', async () => {
    // Prepare: a clock that advances 1 s per reading; save every 3 s, never by rounds.
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const spec = blobsSpec('timed-job', data.manifest.version, { epochs: 20, seed: 1 }, 1);
    let t = 0;
    const saves: number[] = [];

    // Act
    const run = await runCheckpointed(
      { store, kernel: new TypedArrayKernel(), backend: 'test' },
      spec,
      data.manifest,
      data.manifestKey,
      {
        checkpoint: { everyRounds: 1e9, everySeconds: 3 },
        clock: () => (t += 1000),
        onCheckpoint: (round) => saves.push(round),
      },
    );

    // Assess: readings: start at 1 s (savedAt), then one per round at 2, 3, 4 s … → a save when
    // now − savedAt ≥ 3 s: after round 3 (4 − 1), then each save reads the clock again (savedAt
    // = 5 s), so the next after round 6 (8 − 5) … and always one for the final state.
    expect(saves.slice(0, 2)).toEqual([3, 6]);
    expect(saves.at(-1)).toBe(run.state.round);
  });
});
