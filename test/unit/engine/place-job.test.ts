import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import { startPlacedJob } from '../../../lib/engine/training/place-job.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import { DEFAULT_COST_MODEL, withCostModel } from '../../../lib/planner/index.js';
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
});
