import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type EngineDeps,
  finishJob,
  handleResult,
  handleWork,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { TrainingDivergedError } from '../../../lib/engine/training/diverged.js';
import { readState } from '../../../lib/engine/training/job-store.js';
import { INLINE_STATE_MAX_BYTES } from '../../../lib/engine/training/protocol.js';
import type { TrainState } from '../../../lib/optim/index.js';
import { seedJob } from '../../support/engine-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/** States ride in the messages up to the engine's default limit. */
const setup = (jobId = 'job-guard') => seedJob(jobId, { inlineStateMaxBytes: INLINE_STATE_MAX_BYTES });

describe('Function: handleResult, issue 11', () => {
  it('never overwrites a round state another aggregator stored first (put-if-absent)', async () => {
    // Prepare: every result of round 0 is in; a rival writes state 1 just before this one does.
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    const s0 = (await readState(store, spec.jobId, 0))!;
    const rival: TrainState = { ...s0, round: 1, params: s0.params.map(() => 42) };
    const racing: EngineDeps = {
      ...deps,
      checkpoint: async (point) => {
        if (point === 'aggregator:before-state')
          await store.put(keys.job.state(spec.jobId, 1), JSON.stringify(rival));
      },
    };

    // Act
    await handleResult(racing, { v: 1, type: 'result', jobId: spec.jobId, round: 0, shard: 3 });

    // Assess: the rival's state stands.
    expect((await readState(store, spec.jobId, 1))?.params).toEqual(rival.params);
  });
});

describe('Function: finishJob, issue 11', () => {
  it('registers nothing for a diverged state and records the step size that caused it', async () => {
    // Prepare: a finished state whose last round (lr 1e308) made the loss non-finite.
    const { store, data, deps, spec, finished } = await setup();
    const ctx = await startJob(deps, spec, data.manifest, data.manifestKey);
    const s0 = (await readState(store, spec.jobId, 0))!;
    const diverged: TrainState = {
      ...s0,
      round: 1,
      last: { round: 0, epoch: 0, loss: Number.POSITIVE_INFINITY, gradNorm: Number.NaN, lr: 1e308 },
      status: { status: 'done', reason: 'diverged' },
    };

    // Act
    const error = await finishJob(deps, ctx, diverged).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/diverged at round 0 with step size 1e\+308/);
    expect(finished).toEqual([]);
    expect(await store.head(keys.job.model(spec.jobId))).toBeUndefined();
    expect(await store.head(keys.job.registered(spec.jobId))).toBeUndefined();
    expect(await readJson(store, keys.job.failed(spec.jobId))).toMatchObject({
      reason: 'diverged',
      round: 0,
      lr: 1e308,
    });
  });
});
