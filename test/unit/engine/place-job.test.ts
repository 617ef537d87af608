import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import { startPlacedJob } from '../../../lib/engine/training/place-job.js';
import { InfrastructureError } from '../../../lib/errors.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import {
  DEFAULT_COST_MODEL,
  type PlacementDecisionSummary,
  type Workload,
  withCostModel,
} from '../../../lib/planner/index.js';
import type { JobLauncher, LaunchRequest } from '../../../lib/ports.js';
import { blobsDataset, blobsSpec, recordingOutbox } from '../../support/engine-fixtures.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

/** A cost model in which a Batch instance starts at once and costs nothing: Batch always wins. */
const freeGpu = withCostModel({
  batchStartSeconds: 0,
  batchInstances: DEFAULT_COST_MODEL.batchInstances.map((i) => ({
    ...i,
    onDemandUsdPerHour: 0,
    spotUsdPerHour: 0,
  })),
});

function recordingLauncher(): JobLauncher & { requests: LaunchRequest[] } {
  const requests: LaunchRequest[] = [];
  return {
    requests,
    async submit(request) {
      requests.push(request);
      return { launchId: 'launch-1' };
    },
    async describe() {
      return { status: 'running' };
    },
  };
}

describe('Function: startPlacedJob', () => {
  it("submits the planner's Batch choice through the launcher with the spec key", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const outbox = recordingOutbox();
    const launcher = recordingLauncher();
    const draft = blobsSpec('placed-job', data.manifest.version);

    // Act
    const { spec, launchId } = await startPlacedJob(
      {
        engine: { store, outbox, kernel: new TypedArrayKernel(), backend: 'test' },
        launcher,
        costModel: freeGpu,
      },
      draft,
      data.manifest,
      data.manifestKey,
    );

    // Assess: stored first, submitted with its key; nothing fanned out on the queues.
    expect(launchId).toBe('launch-1');
    expect(spec.placement).toMatchObject({ requested: 'auto', placement: 'batch' });
    expect(spec.placement!.planned).toMatch(/^batch-gpu /);
    expect(launcher.requests).toEqual([
      {
        jobId: 'placed-job',
        jobName: 'train-placed-job',
        command: ['placed-job'],
        environment: { SHARDTRAIN_SPEC_KEY: 'jobs/placed-job/spec.json' },
      },
    ]);
    const stored = JSON.parse(new TextDecoder().decode((await store.get(keys.job.spec('placed-job')))!.body));
    expect(stored.placement).toEqual(spec.placement);
    expect(outbox.work).toEqual([]);
  });

  it('runs on the queues when there is no launcher, keeping what the planner said', async () => {
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const outbox = recordingOutbox();
    const { spec } = await startPlacedJob(
      { engine: { store, outbox, kernel: new TypedArrayKernel(), backend: 'test' }, costModel: freeGpu },
      blobsSpec('queued-job', data.manifest.version, {}, 2),
      data.manifest,
      data.manifestKey,
    );
    expect(spec.placement).toMatchObject({
      placement: 'lambda',
      planned: expect.stringMatching(/^batch-gpu /),
    });
    expect(outbox.work.map((m) => m.shard)).toEqual([0, 1]); // round 0 fanned out to 2 workers
    const plan = JSON.parse(new TextDecoder().decode((await store.get(keys.job.plan('queued-job')))!.body));
    expect(plan.placement).toEqual(spec.placement);
  });

  /** A planner that answers `summary` whatever it is asked, and records what it was asked. */
  function fixedPlanner(placement: PlacementDecisionSummary['placement']) {
    const calls: { workload: Workload; workers: number }[] = [];
    const summary: PlacementDecisionSummary = {
      placement,
      label: `planned-${placement}`,
      reason: 'Cheapest in time.',
      seconds: 12,
      dollars: 0.5,
      rounds: 7,
      workers: 1,
    };
    return {
      calls,
      planner: (workload: Workload, workers: number) => {
        calls.push({ workload, workers });
        return { summary };
      },
    };
  }

  async function place(
    jobId: string,
    over: { launcher?: JobLauncher; planner?: ReturnType<typeof fixedPlanner>['planner'] },
    requested?: 'auto' | 'batch' | 'lambda' | 'inprocess',
  ) {
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const outbox = recordingOutbox();
    const run = startPlacedJob(
      { engine: { store, outbox, kernel: new TypedArrayKernel(), backend: 'test' }, ...over },
      blobsSpec(jobId, data.manifest.version, {}, 2),
      data.manifest,
      data.manifestKey,
      requested,
    );
    return { store, data, outbox, run };
  }

  it('refuses --placement batch without a launcher before storing or sending anything', async () => {
    const { store, outbox, run } = await place(
      'batch-no-launcher',
      { planner: fixedPlanner('batch').planner },
      'batch',
    );
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message).toMatch(
      /^job batch-no-launcher asks for Batch, but this runtime has no job launcher/,
    );
    expect(await store.get(keys.job.spec('batch-no-launcher'))).toBeUndefined();
    expect(await store.get(keys.job.plan('batch-no-launcher'))).toBeUndefined();
    expect(outbox.work).toEqual([]);
  });

  it("asks the injected planner with the queued plan's workload, and stores its summary whole", async () => {
    // The planner wants Batch, no launcher is wired: it runs queued and the reason says why.
    const fixed = fixedPlanner('batch');
    const { store, data, outbox, run } = await place('planned-queued', { planner: fixed.planner });
    const { spec, launchId } = await run;
    expect(launchId).toBeUndefined();
    expect(spec.placement).toEqual({
      requested: 'auto',
      placement: 'lambda',
      planned: 'planned-batch',
      reason: 'Cheapest in time. No job launcher is wired, so it runs queued.',
      seconds: 12,
      dollars: 0.5,
      rounds: 7,
    });
    // Asked once, for the job's 2 workers, with the blobs data: 3 features, one output, the
    // manifest's shard bytes, and all 400 rows (no holdout by default).
    expect(fixed.calls).toHaveLength(1);
    expect(fixed.calls[0]!.workers).toBe(2);
    expect(fixed.calls[0]!.workload).toMatchObject({
      rows: 400,
      features: 3,
      classes: 1,
      datasetBytes: data.manifest.shardBytes,
    });
    expect(fixed.calls[0]!.workload).not.toHaveProperty('why');
    expect(outbox.work.map((m) => m.shard)).toEqual([0, 1]);
    const plan = JSON.parse(
      new TextDecoder().decode((await store.get(keys.job.plan('planned-queued')))!.body),
    );
    expect(plan.placement).toEqual(spec.placement);
  });

  it('prices the plan as the queues run it: SGD steps grouped into rounds of local steps', async () => {
    // Plain SGD, one step per row: run queued, the steps are grouped (local-SGD, several steps a
    // round), and the planner must be asked about those rounds, not one step per round.
    const store = new MemoryObjectStore();
    const data = await blobsDataset(store);
    const fixed = fixedPlanner('lambda');
    await startPlacedJob(
      {
        engine: { store, outbox: recordingOutbox(), kernel: new TypedArrayKernel(), backend: 'test' },
        planner: fixed.planner,
      },
      blobsSpec('sgd-job', data.manifest.version, { algorithm: 'sgd', epochs: 2 }, 2),
      data.manifest,
      data.manifestKey,
    );
    const plan = JSON.parse(new TextDecoder().decode((await store.get(keys.job.plan('sgd-job')))!.body));
    expect(plan.grouping.stepsPerRound).toBeGreaterThan(1);
    expect(fixed.calls[0]!.workload).toMatchObject({
      algorithm: 'sgd',
      localSteps: plan.grouping.stepsPerRound,
    });
  });

  it("keeps a queued choice on the queues even with a launcher, the planner's reason unchanged", async () => {
    const launcher = recordingLauncher();
    const { outbox, run } = await place('planned-lambda', {
      launcher,
      planner: fixedPlanner('lambda').planner,
    });
    const { spec, launchId } = await run;
    expect(launchId).toBeUndefined();
    expect(spec.placement).toMatchObject({ placement: 'lambda', reason: 'Cheapest in time.' });
    expect(launcher.requests).toEqual([]);
    expect(outbox.work.map((m) => m.shard)).toEqual([0, 1]);
  });

  it('a placement asked for wins over the planner both ways', async () => {
    // Asked lambda while the planner says Batch (a launcher is there): queued, no "no launcher" note.
    const launcher = recordingLauncher();
    const queued = await place(
      'forced-lambda',
      { launcher, planner: fixedPlanner('batch').planner },
      'lambda',
    );
    const forced = await queued.run;
    expect(forced.spec.placement).toMatchObject({
      requested: 'lambda',
      placement: 'lambda',
      planned: 'planned-batch',
      reason: 'Cheapest in time.',
    });
    expect(launcher.requests).toEqual([]);

    // Asked batch while the planner says Lambda: submitted.
    const batch = await place('forced-batch', { launcher, planner: fixedPlanner('lambda').planner }, 'batch');
    const submitted = await batch.run;
    expect(submitted.launchId).toBe('launch-1');
    expect(submitted.spec.placement).toMatchObject({
      requested: 'batch',
      placement: 'batch',
      planned: 'planned-lambda',
    });
    expect(launcher.requests.map((r) => r.jobId)).toEqual(['forced-batch']);
    expect(batch.outbox.work).toEqual([]);
  });
});
