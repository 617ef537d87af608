import { describe, expect, it } from 'vitest';
import {
  type EngineDeps,
  handleResult,
  handleWork,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache, latestState } from '../../../lib/engine/training/job-store.js';
import { resumeJob } from '../../../lib/engine/training/resume.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  bitDifferences,
  recordingOutbox,
  referenceRun,
  seedDataset,
  seedSpec,
  simulatedRun,
} from '../../support/engine-fixtures.js';
import { simulate } from '../../support/simulation/simulator.js';

describe('Function: simulate', () => {
  describe('Method: kill the whole cloud', () => {
    it('finishes bit-identically from the store and the durable queues alone, wherever the kill falls', async () => {
      // Prepare
      const spec = seedSpec('job-k', (await seedDataset(new SimObjectStore())).manifest.version);
      const baseline = await simulatedRun(spec, seedDataset, { seed: 2 });
      const span = baseline.report.virtualMs;
      let dropped = 0;

      for (let k = 1; k <= 9; k++) {
        // Act: three kills in a row; every running handler and every cache is lost each time
        const atMs = Math.floor((span * k) / 10);
        const run = await simulatedRun(spec, seedDataset, {
          seed: 2,
          faults: { seed: k, faults: [0, 7, 400].map((d) => ({ kind: 'kill' as const, atMs: atMs + d })) },
        });

        // Assess
        dropped += run.report.killedExecutions;
        expect(run.report.injected.kill).toBe(3);
        expect(run.state?.status.status).toBe('done');
        expect(bitDifferences(run.state!.params, baseline.state!.params)).toEqual([]);
        expect(run.report.registrations).toEqual([spec.jobId]);
      }
      expect(dropped).toBeGreaterThan(0);
    });
  });

  describe('Method: region lost (queues too), then resumeJob', () => {
    it('finishes bit-identically from the store alone', async () => {
      // Prepare
      const spec = seedSpec('job-r', (await seedDataset(new SimObjectStore())).manifest.version);
      const reference = await referenceRun(spec, seedDataset);
      const baseline = await simulatedRun(spec, seedDataset, { seed: 4 });
      const stalled: number[] = [];

      for (let k = 1; k <= 12; k++) {
        const store = new SimObjectStore();
        const data = await seedDataset(store);
        const stopAtMs = Math.floor((baseline.report.virtualMs * k) / 13);
        await simulate({ seed: 4, store, jobs: [{ spec, ...data }], stopAtMs });

        // Act: a new region with empty queues; only the store survived
        await simulate({ seed: 5, store, jobs: [{ spec, ...data, resume: true }] });

        // Assess
        const state = await latestState(store, spec.jobId);
        if (
          state?.status.status !== 'done' ||
          bitDifferences(state.params, reference.state.params).length > 0
        ) {
          stalled.push(stopAtMs);
        }
      }
      expect(stalled).toEqual([]);
    });

    // Regression: resumeJob re-sends only the work of MISSING results; when every result of the round
    // is stored and the notifications went with the lost queue, nothing ever aggregates the round.
    it('applies a round whose results are all stored but whose notifications were lost', async () => {
      // Prepare: round 0 fully computed, the aggregate queue (with its 4 notifications) lost
      const store = new SimObjectStore();
      const data = await seedDataset(store);
      const spec = seedSpec('job-lost', data.manifest.version, { epochs: 3 });
      const reference = await referenceRun(spec, seedDataset);
      const before = recordingOutbox();
      const deps = (outbox = before): EngineDeps => ({
        store,
        outbox,
        kernel: new TypedArrayKernel(),
        backend: 'simulated',
        cache: new JobCache(),
      });
      await startJob(deps(), spec, data.manifest, data.manifestKey);
      for (const m of before.work) await handleWork(deps(), m);

      // Act: resume, then deliver whatever it and the handlers send until nothing is left
      const after = recordingOutbox();
      await resumeJob(deps(after), spec.jobId);
      for (let steps = 0; steps < 1_000 && after.work.length + after.results.length > 0; steps++) {
        const w = after.work.shift();
        if (w !== undefined) await handleWork(deps(after), w);
        const r = after.results.shift();
        if (r !== undefined) await handleResult(deps(after), r);
      }

      // Assess: 3 epochs of batch GD = 3 rounds
      const state = await latestState(store, spec.jobId);
      expect(state?.round).toBe(3);
      expect(bitDifferences(state!.params, reference.state.params)).toEqual([]);
    });
  });
});
