import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import { latestState } from '../../../lib/engine/training/job-store.js';
import type { RoundMetrics } from '../../../lib/engine/training/round-records.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  bitDifferences,
  blobsDataset,
  blobsSpec,
  type DatasetMaker,
  referenceRun,
  seedDataset,
  seedSpec,
  simulatedRun,
} from '../../support/engine-fixtures.js';
import { simulate } from '../../support/simulation/simulator.js';
import { readJson } from '../../support/stored-json.js';

/** Content hashes of the two fixture datasets (the version is a pure function of the CSV bytes). */
const versions = async () => ({
  seed: (await seedDataset(new SimObjectStore())).manifest.version,
  blobs: (await blobsDataset(new SimObjectStore())).manifest.version,
});

interface Case {
  readonly name: string;
  readonly spec: (v: { seed: string; blobs: string }) => JobSpec;
  readonly dataset: DatasetMaker;
  /** Rounds, worked out from the geometry (see each case). */
  readonly rounds: number;
}

const CASES: readonly Case[] = [
  // batch: one round per epoch → 20 rounds
  {
    name: 'sync GD, batch, W=1',
    spec: (v) => seedSpec('job-sim', v.seed, {}, { workers: 1 }),
    dataset: seedDataset,
    rounds: 20,
  },
  { name: 'sync GD, batch, W=4', spec: (v) => seedSpec('job-sim', v.seed), dataset: seedDataset, rounds: 20 },
  // minibatch B=20: W=1 → 100 rows / 20 = 5 steps per epoch; W=4 → 25 rows / ⌈20/4⌉ = 5 steps; 6 epochs → 30
  {
    name: 'sync GD, minibatch, W=1',
    spec: (v) =>
      seedSpec('job-sim', v.seed, { algorithm: 'minibatch', batchSize: 20, epochs: 6 }, { workers: 1 }),
    dataset: seedDataset,
    rounds: 30,
  },
  {
    name: 'sync GD, minibatch, W=4',
    spec: (v) => seedSpec('job-sim', v.seed, { algorithm: 'minibatch', batchSize: 20, epochs: 6 }),
    dataset: seedDataset,
    rounds: 30,
  },
  // local-sgd, batch: K=4 full-batch local steps per round, one round per epoch → 15
  {
    name: 'local-sgd K=4, batch, W=4',
    spec: (v) => seedSpec('job-sim', v.seed, { sync: 'local-sgd', localSteps: 4, epochs: 15 }),
    dataset: seedDataset,
    rounds: 15,
  },
  // local-sgd, minibatch B=40 on 400 rows, W=4: 100 rows / 10 = 10 steps per epoch in rounds of 4, 4, 2
  // → 3 rounds per epoch, 8 epochs → 24
  {
    name: 'local-sgd K=4, minibatch, logistic, W=4',
    spec: (v) =>
      blobsSpec('job-sim', v.blobs, {
        sync: 'local-sgd',
        localSteps: 4,
        algorithm: 'minibatch',
        batchSize: 40,
        epochs: 8,
      }),
    dataset: blobsDataset,
    rounds: 24,
  },
];

describe('Function: simulate', () => {
  describe('Method: fault-free run', () => {
    for (const c of CASES) {
      it(`matches runInProcess bit for bit: ${c.name}`, async () => {
        // Prepare
        const spec = c.spec(await versions());
        const reference = await referenceRun(spec, c.dataset);

        // Act
        const run = await simulatedRun(spec, c.dataset, { seed: 11 });

        // Assess
        const w = spec.workers;
        expect(reference.state.round).toBe(c.rounds);
        expect(run.state?.status.status).toBe('done');
        expect(bitDifferences(run.state!.params, reference.state.params)).toEqual([]);
        expect(run.state).toEqual(reference.state);
        expect(run.model).toEqual(reference.model);
        const coefficients = (m: typeof run.model) =>
          Object.values(m!.coefficients as Record<string, number>);
        expect(bitDifferences(coefficients(run.model), coefficients(reference.model))).toEqual([]);
        expect(Object.is(run.model!.intercept, reference.model.intercept)).toBe(true);
        // No duplicate work without faults: W work messages and W notifications per round.
        expect(run.report.invocations).toEqual({
          work: w * c.rounds,
          aggregate: w * c.rounds,
          total: 2 * w * c.rounds,
        });
        expect(run.report.profile.workSends).toBe(w * c.rounds);
        expect(run.report.outcomes.recovered).toBe(0);
        expect(run.report.registrations).toEqual([spec.jobId]);
        expect(run.report.deadLetters).toEqual([]);
      });
    }

    it('is deterministic: the same seed gives the same run', async () => {
      // Prepare
      const spec = CASES[3]!.spec(await versions());

      // Act
      const a = await simulatedRun(spec, seedDataset, { seed: 5 });
      const b = await simulatedRun(spec, seedDataset, { seed: 5 });

      // Assess
      expect(b.report).toEqual(a.report);
      // (dataset shard keys carry a random upload id; the job's keys must match)
      const jobKeys = (k: string) => k.startsWith('jobs/') || k.startsWith('scratch/');
      expect(b.store.keys().filter(jobKeys)).toEqual(a.store.keys().filter(jobKeys));
    });
  });

  describe('Method: two jobs at once', () => {
    it("each job writes exactly the keys and bytes it writes alone, and nothing of the other's", async () => {
      // Prepare
      const v = await versions();
      const a = seedSpec('job-alpha', v.seed);
      const b = blobsSpec('job-beta', v.blobs, {
        sync: 'local-sgd',
        algorithm: 'minibatch',
        batchSize: 40,
        epochs: 4,
      });
      const aloneA = await simulatedRun(a, seedDataset, { seed: 3 });
      const aloneB = await simulatedRun(b, blobsDataset, { seed: 4 });
      const store = new SimObjectStore();
      const dataA = await seedDataset(store);
      const dataB = await blobsDataset(store);

      // Act
      const report = await simulate({
        seed: 9,
        store,
        jobs: [
          { spec: a, ...dataA },
          { spec: b, ...dataB, startAtMs: 700 },
        ],
      });

      // Assess
      const jobKeys = (s: SimObjectStore, id: string) =>
        s.keys().filter((k) => k.startsWith(`jobs/${id}/`) || k.startsWith(`scratch/jobs/${id}/`));
      for (const [id, alone] of [
        ['job-alpha', aloneA],
        ['job-beta', aloneB],
      ] as const) {
        const mine = jobKeys(store, id);
        expect(mine).toEqual(jobKeys(alone.store, id));
        for (const key of mine) {
          // Round records carry wall-clock timings by design: compare them without those.
          if (key.includes('/metrics/')) {
            const untimed = async (s: SimObjectStore) => {
              const { at, atMs, roundMs, ...rest } = (await readJson<RoundMetrics>(s, key))!;
              return rest;
            };
            expect(await untimed(store)).toEqual(await untimed(alone.store));
          } else if (key.endsWith('.json'))
            expect((await store.get(key))!.body).toEqual((await alone.store.get(key))!.body);
        }
        expect(bitDifferences((await latestState(store, id))!.params, alone.state!.params)).toEqual([]);
      }
      const stray = store
        .keys()
        .filter((k) => k.startsWith('jobs/') || k.startsWith('scratch/'))
        .filter((k) => !/^(scratch\/)?jobs\/job-(alpha|beta)\//.test(k));
      expect(stray).toEqual([]);
      expect([...report.registrations].sort()).toEqual(['job-alpha', 'job-beta']);
      expect([...report.finished].sort()).toEqual(['job-alpha', 'job-beta']);
    });
  });
});
