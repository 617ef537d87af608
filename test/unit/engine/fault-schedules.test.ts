import { afterAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  bitDifferences,
  blobsDataset,
  blobsSpec,
  type DatasetMaker,
  seedDataset,
  seedSpec,
  simulatedRun,
} from '../../support/engine-fixtures.js';
import { FAULT_KINDS, type FaultKind, randomFaultPlan } from '../../support/simulation/fault-plan.js';

/**
 * Exactly-once effect under at-least-once delivery: every seeded fault schedule (crashes at every
 * checkpoint, duplicate deliveries, reordering, stragglers past the visibility timeout, whole-cloud
 * kills) must end with the bit-identical parameters of the fault-free run, one registration, and
 * a bounded number of extra handler invocations.
 *
 * The bound. Without faults a round costs exactly W work and W aggregate invocations (I₀ = 2·W·R).
 * A fault adds at most 2W + 2 invocations:
 * - a handler that fails (crash, straggler past the timeout, twin delivery) is delivered once more
 *   (+1), and that delivery sends at most one notification that the FIFO deduplication did not
 *   drop (+1);
 * - the worst place to fail is between the fan-out's sends and its `fanout` marker: the retry
 *   fans out again, W duplicate work messages (+W), each sending at most one more notification (+W).
 * A kill acts as one such failure per handler execution it drops, plus one for a start it cuts short.
 * Reordering adds nothing. So: invocations ≤ I₀ + (2W + 2)·(crashes + duplicates + stragglers + kills
 * + executions dropped by kills).
 */

const VISIBILITY_MS = 30_000;

interface Suite {
  readonly name: string;
  readonly spec: JobSpec;
  readonly dataset: DatasetMaker;
  readonly schedules: number;
}

const totals: Record<FaultKind, number> & { schedules: number; dropped: number; maxExtraPerFault: number } = {
  ...(Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>),
  schedules: 0,
  dropped: 0,
  maxExtraPerFault: 0,
};

async function suites(): Promise<Suite[]> {
  const seed = (await seedDataset(new SimObjectStore())).manifest.version;
  const blobs = (await blobsDataset(new SimObjectStore())).manifest.version;
  return [
    { name: 'sync GD, batch, W=4', spec: seedSpec('job-f', seed), dataset: seedDataset, schedules: 50 },
    {
      name: 'sync GD, minibatch, W=4',
      spec: seedSpec('job-f', seed, { algorithm: 'minibatch', batchSize: 20, epochs: 5 }),
      dataset: seedDataset,
      schedules: 40,
    },
    {
      name: 'sync GD, batch, W=1',
      spec: seedSpec('job-f', seed, { epochs: 15 }, { workers: 1 }),
      dataset: seedDataset,
      schedules: 20,
    },
    {
      name: 'local-sgd K=4, minibatch, logistic, W=4',
      spec: blobsSpec('job-f', blobs, {
        sync: 'local-sgd',
        localSteps: 4,
        algorithm: 'minibatch',
        batchSize: 40,
        epochs: 6,
      }),
      dataset: blobsDataset,
      schedules: 60,
    },
    {
      name: 'local-sgd K=4, batch, W=4',
      spec: seedSpec('job-f', seed, { sync: 'local-sgd', localSteps: 4, epochs: 15 }),
      dataset: seedDataset,
      schedules: 40,
    },
    // The solvers' round protocols (statistics; trial points with Hessians; L-BFGS's four trials):
    // 210 schedules between them.
    {
      name: 'normal equations, linear, W=4',
      spec: seedSpec('job-f', seed, { solver: 'normal' }),
      dataset: seedDataset,
      schedules: 60,
    },
    {
      name: 'newton, logistic, W=4',
      spec: blobsSpec('job-f', blobs, { solver: 'newton', l2: 0.01 }),
      dataset: blobsDataset,
      schedules: 60,
    },
    {
      name: 'lbfgs, logistic, W=4',
      spec: blobsSpec('job-f', blobs, { solver: 'lbfgs', l2: 0.01 }),
      dataset: blobsDataset,
      schedules: 60,
    },
    // W = 12 above a worker's cache of 8: partition claims on (deliveries take any free shard,
    // redeliveries finish their slot's claims), on 3 work consumers.
    {
      name: 'sync GD with partition claims, W=12',
      spec: seedSpec('job-f', seed, { epochs: 8 }, { workers: 12 }),
      dataset: seedDataset,
      schedules: 40,
    },
    {
      name: 'lbfgs, linear, W=3',
      spec: seedSpec('job-f', seed, { solver: 'lbfgs' }, { workers: 3 }),
      dataset: seedDataset,
      schedules: 30,
    },
  ];
}

describe('Function: simulate', () => {
  describe('Method: seeded fault schedules', async () => {
    for (const [index, suite] of (await suites()).entries()) {
      it(`ends bit-identical to the fault-free run, registers once, bounded invocations: ${suite.name}`, async () => {
        // Prepare
        const baseline = await simulatedRun(suite.spec, suite.dataset, { seed: 1 });
        const w = suite.spec.workers;
        const perFault = 2 * w + 2;
        const problems: string[] = [];

        for (let i = 0; i < suite.schedules; i++) {
          const plan = randomFaultPlan(10_000 * (index + 1) + i, baseline.report.profile, {
            visibilityTimeoutMs: VISIBILITY_MS,
            minFaults: 3,
            maxFaults: 10,
          });

          // Act
          const run = await simulatedRun(suite.spec, suite.dataset, {
            seed: 500 + i,
            faults: plan,
            visibilityTimeoutMs: VISIBILITY_MS,
          });

          // Assess (collected, so one failure names its reproducible plan)
          const r = run.report;
          const faults = r.injected.crash + r.injected.duplicate + r.injected.straggler + r.injected.kill;
          const budget = perFault * (faults + r.killedExecutions);
          const extra = r.invocations.total - baseline.report.invocations.total;
          const where = `schedule ${i} (sim seed ${500 + i}, plan ${JSON.stringify(plan)})`;
          if (run.state?.status.status !== 'done')
            problems.push(`${where}: did not finish (round ${run.state?.round})`);
          else if (bitDifferences(run.state.params, baseline.state!.params).length > 0)
            problems.push(`${where}: params differ`);
          else if (JSON.stringify(run.model) !== JSON.stringify(baseline.model))
            problems.push(`${where}: model differs`);
          // counts, not a Set's size: a second registration of the same job is a failure too
          if (r.registrations.length !== 1 || r.finished.length !== 1)
            problems.push(`${where}: registrations ${JSON.stringify(r.registrations)}`);
          if (extra > budget) problems.push(`${where}: ${extra} extra invocations > bound ${budget}`);
          if (r.deadLetters.length > 0)
            problems.push(`${where}: dead letters ${JSON.stringify(r.deadLetters)}`);
          for (const k of FAULT_KINDS) totals[k] += r.injected[k];
          totals.schedules++;
          totals.dropped += r.killedExecutions;
          if (faults > 0)
            totals.maxExtraPerFault = Math.max(
              totals.maxExtraPerFault,
              extra / (faults + r.killedExecutions),
            );
        }

        expect(baseline.report.invocations.total % (2 * w)).toBe(0);
        expect(problems).toEqual([]);
      });
    }
  });
});

afterAll(() => {
  // Every fault kind must really have fired, many times (not just been planned).
  console.log(
    `fault schedules: ${totals.schedules}; injected: ${FAULT_KINDS.map((k) => `${k} ${totals[k]}`).join(', ')}; ` +
      `executions dropped by kills ${totals.dropped}; most extra invocations per fault ${totals.maxExtraPerFault.toFixed(2)}`,
  );
  expect(totals.schedules).toBeGreaterThanOrEqual(410);
  for (const k of FAULT_KINDS) expect(totals[k]).toBeGreaterThanOrEqual(50);
});
