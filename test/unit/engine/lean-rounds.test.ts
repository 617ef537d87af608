import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type EngineDeps,
  handleResult,
  handleWork,
  type Outcome,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { makeJobPlan } from '../../../lib/engine/training/job-plan.js';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import { JobCache, latestState } from '../../../lib/engine/training/job-store.js';
import type { ResultMessage, WorkMessage } from '../../../lib/engine/training/protocol.js';
import type { RoundMetrics } from '../../../lib/engine/training/round-records.js';
import { readRoundRecords } from '../../../lib/engine/training/round-records.js';
import {
  type Batch,
  fit as fitModel,
  groupingFor,
  resolveTrainConfig,
  type TrainState,
  TypedArrayKernel,
} from '../../../lib/optim/index.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  bitDifferences,
  type DatasetMaker,
  recordingOutbox,
  referenceRun,
  seedDataset,
  seedSpec,
} from '../../support/engine-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/**
 * Runs a job through the coordinator with a synchronous "queue": every work message, then every
 * result notification, until nothing is left. Returns the store, the deps and the outcomes.
 */
async function pumpedRun(spec: JobSpec, dataset: DatasetMaker, inlineStateMaxBytes?: number) {
  const store = new SimObjectStore();
  const data = await dataset(store);
  const outbox = recordingOutbox();
  const deps: EngineDeps = {
    store,
    outbox,
    kernel: new TypedArrayKernel(),
    backend: 'simulated',
    cache: new JobCache(),
    ...(inlineStateMaxBytes !== undefined ? { inlineStateMaxBytes } : {}),
  };
  await startJob(deps, spec, data.manifest, data.manifestKey);
  const outcomes: Outcome[] = [];
  const sentWork: WorkMessage[] = [];
  for (;;) {
    const work = outbox.work.splice(0);
    const results = outbox.results.splice(0);
    if (work.length === 0 && results.length === 0) break;
    sentWork.push(...work);
    for (const m of work) outcomes.push(await handleWork(deps, m));
    for (const m of results) outcomes.push(await handleResult(deps, m));
  }
  return { store, deps, data, outcomes, sentWork };
}

/** The JSON of a state with every number replaced by one character: its shape, not its digits. */
const shapeOf = (s: TrainState): string => JSON.stringify(s).replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, '0');

describe('Lean rounds', () => {
  it('the stored state does not grow with the round number', () => {
    // Prepare: full-batch plain GD on y = 2x + 1 that never stops early (tol 0, gradTol 0)
    const xs = Array.from({ length: 40 }, (_, i) => i / 20 - 1);
    const batch: Batch = {
      x: Float32Array.from(xs),
      y: Float32Array.from(xs.map((x) => 2 * x + 1)),
      rows: xs.length,
      d: 1,
    };
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, solver: 'gd', maxEpochs: 600, tol: 0, gradTol: 0 },
      { rows: batch.rows },
    );
    const at = new Map<number, TrainState>();
    // Act
    fitModel(config, [batch], {
      onRound: ({ state }) => {
        if (state.round === 10 || state.round === 500) at.set(state.round, state);
      },
    });
    // Assess: same keys and arrays; lengths differ only by the digits of the numbers in it
    const early = at.get(10)!;
    const late = at.get(500)!;
    expect(shapeOf(late)).toBe(shapeOf(early));
    const numbers = (JSON.stringify(early).match(/-?\d+(\.\d+)?(e[-+]?\d+)?/g) ?? []).length;
    const bytes = (s: TrainState) => Buffer.byteLength(JSON.stringify(s));
    expect(Math.abs(bytes(late) - bytes(early))).toBeLessThanOrEqual(numbers * 24);
    expect(late.last).toMatchObject({ round: 499 });
  });

  it('records every applied round in order, and a finished job keeps only what status, resume and the registry need', async () => {
    // Prepare
    const spec = seedSpec('job-lean', 'unused', { epochs: 12 });
    const version = (await seedDataset(new SimObjectStore())).manifest.version;
    const job = { ...spec, dataset: { ...spec.dataset, version } };
    const reference: { round: number; loss: number }[] = [];
    const store0 = new SimObjectStore();
    const d0 = await seedDataset(store0);
    const { runInProcess } = await import('../../../lib/engine/training/in-process-runner.js');
    await runInProcess(
      { store: store0, kernel: new TypedArrayKernel(), backend: 'test' },
      job,
      d0.manifest,
      d0.manifestKey,
      (r) => reference.push({ round: r.round, loss: r.loss }),
    );

    // Act
    const { store } = await pumpedRun(job, seedDataset);

    // Assess: one record per round, 0..R-1, with the in-process runner's losses bit for bit
    const records = await readRoundRecords(store, job.jobId);
    expect(records.map((r) => r.round)).toEqual(reference.map((r) => r.round));
    expect(
      bitDifferences(
        records.map((r) => r.loss),
        reference.map((r) => r.loss),
      ),
    ).toEqual([]);
    expect(records.at(-1)!.stop).not.toBeNull();
    expect(records.slice(0, -1).every((r: RoundMetrics) => r.stop === null)).toBe(true);
    const final = (await latestState(store, job.jobId))!;
    const rounds = reference.length;
    expect(final.round).toBe(rounds);
    const pad = (n: number) => String(n).padStart(6, '0');
    expect(
      store.keys().filter((k) => k.startsWith(`jobs/${job.jobId}/`) || k.startsWith('scratch/')),
    ).toEqual(
      [
        `jobs/${job.jobId}/metrics/`,
        ...Array.from({ length: rounds }, (_, r) => `jobs/${job.jobId}/metrics/${pad(r)}.json`),
      ]
        .slice(1)
        .concat([
          `jobs/${job.jobId}/model.json`,
          `jobs/${job.jobId}/plan.json`,
          `jobs/${job.jobId}/registered.json`,
          `jobs/${job.jobId}/spec.json`,
          `jobs/${job.jobId}/state/${pad(rounds)}.json`,
        ])
        .sort(),
    );
  });

  it('drops late duplicates of a cleaned-up job and does not restart it', async () => {
    // Prepare
    const version = (await seedDataset(new SimObjectStore())).manifest.version;
    const spec = seedSpec('job-late', version, { epochs: 5 });
    const { store, deps, data, sentWork } = await pumpedRun(spec, seedDataset);
    const before = store.keys();
    const outbox = deps.outbox as ReturnType<typeof recordingOutbox>;
    const result: ResultMessage = { v: 1, type: 'result', jobId: spec.jobId, round: 1, shard: 2 };

    // Act: a redelivered work message of round 1 (state inline), its notification, and a retried start
    const outcomes = [
      await handleWork(deps, sentWork.find((m) => m.round === 1)!),
      await handleResult(deps, result),
    ];
    await startJob(deps, spec, data.manifest, data.manifestKey);

    // Assess
    expect(outcomes).toEqual(['stale', 'waiting']);
    expect(outbox.work).toEqual([]);
    expect(store.keys()).toEqual(before);
  });

  it('gives the same bits whether the state rides inline in the work message or is read from the store', async () => {
    // Prepare
    const version = (await seedDataset(new SimObjectStore())).manifest.version;
    const spec = seedSpec('job-inline', version, { epochs: 8 });
    // Act
    const inline = await pumpedRun(spec, seedDataset);
    const stored = await pumpedRun(spec, seedDataset, 0);
    const reference = await referenceRun(spec, seedDataset);
    // Assess
    expect(inline.sentWork.every((m) => m.state !== undefined)).toBe(true);
    expect(stored.sentWork.every((m) => m.state === undefined)).toBe(true);
    const a = (await latestState(inline.store, spec.jobId))!.params;
    const b = (await latestState(stored.store, spec.jobId))!.params;
    expect(bitDifferences(a, b)).toEqual([]);
    expect(bitDifferences(a, reference.state.params)).toEqual([]);
    expect(await readJson(inline.store, keys.job.model(spec.jobId))).toEqual(reference.model);
  });
});

describe('Grouped mini-batch rounds (local SGD)', () => {
  it('averages K local SGD steps per worker, as computed by hand', () => {
    // Prepare: linear, loss ½r², lr 0.5, plain; W = 2 partitions of 2 identical rows each (so
    // their order does not matter), global batch 2 → 1 row per worker per step, K = 2.
    // Partition 0 (x=1, y=2): θ=[0,0] r=−2 → θ=[1,1]; r=0 → θ=[1,1]. Δ₀=[1,1], loss ½·4+0 = 2.
    // Partition 1 (x=2, y=1): r=−1, g=[−1,−2] → θ=[.5,1]; r=.5+2−1=1.5, g=[1.5,3] → θ=[−.25,−.5].
    //   Δ₁=[−.25,−.5], loss ½·1 + ½·2.25 = 1.625.
    // Server: Δ̄ = (2·[1,1] + 2·[−.25,−.5])/4 = [.375,.25]; θ₁ = [.375, .25]; loss (2+1.625)/4 = .90625.
    const part = (x: number, y: number): Batch => ({
      x: Float32Array.of(x, x),
      y: Float32Array.of(y, y),
      rows: 2,
      d: 1,
    });
    const config = resolveTrainConfig(
      {
        spec: { kind: 'linear', numFeatures: 1 },
        algorithm: 'minibatch',
        batchSize: 2,
        sync: 'local-sgd',
        localSteps: 2,
        learningRate: 0.5,
        optimizer: { kind: 'plain' },
        maxEpochs: 1,
      },
      { rows: 4, partitions: 2 },
    );
    // Act
    const r = fitModel(config, [part(1, 2), part(2, 1)]);
    // Assess
    expect(r.rounds).toBe(1);
    expect(r.state.params).toEqual([0.375, 0.25]);
    expect(r.state.last).toMatchObject({ round: 0, epoch: 0, loss: 0.90625 });
  });

  it('takes K from the round budget: 60 000 rows, 4 workers, batch 64 → 118 steps, 8 rounds per epoch', () => {
    // ⌈64/4⌉ = 16 rows per worker per step; ⌈15 000/16⌉ = 938 steps per epoch; ⌈938/8⌉ = 118.
    const config = resolveTrainConfig(
      { spec: { kind: 'logistic', numFeatures: 24 }, algorithm: 'minibatch', batchSize: 64 },
      { rows: 60_000, partitions: 4 },
    );
    expect(groupingFor(config, [15_000, 15_000, 15_000, 15_000])).toEqual({
      stepsPerRound: 118,
      stepsPerEpoch: 938,
      roundsPerEpoch: 8,
    });
    // An epoch of at most 8 steps keeps one step per round; full batch is never grouped.
    expect(groupingFor(config, [100, 100, 100, 100])).toBeNull();
    expect(groupingFor({ ...config, algorithm: 'batch' }, [15_000, 15_000, 15_000, 15_000])).toBeNull();
  });

  it('groups only on the queued runners, and never when --sync was given', async () => {
    // 100 rows, 4 workers of 25, batch 4 → 1 row per worker per step, 25 steps per epoch → K = 4
    const { manifest, manifestKey } = await seedDataset(new SimObjectStore());
    const spec = seedSpec('job-group', manifest.version, { algorithm: 'minibatch', batchSize: 4 });
    const queued = makeJobPlan(spec, manifest, manifestKey, { queued: true });
    expect(queued.config).toMatchObject({ sync: 'local-sgd', localSteps: 4 });
    expect(queued.grouping).toEqual({ stepsPerRound: 4, stepsPerEpoch: 25, roundsPerEpoch: 7 });
    expect(makeJobPlan(spec, manifest, manifestKey).config).toMatchObject({ sync: 'gd', localSteps: 1 });
    const perStep = { ...spec, options: { ...spec.options, sync: 'gd' as const } };
    expect(makeJobPlan(perStep, manifest, manifestKey, { queued: true }).config.sync).toBe('gd');
  });
});
