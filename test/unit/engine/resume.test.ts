import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type EngineDeps,
  handleResult,
  handleWork,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache, readState } from '../../../lib/engine/training/job-store.js';
import { resumeJob } from '../../../lib/engine/training/resume.js';
import { ProtocolError } from '../../../lib/errors.js';
import { seedJob } from '../../support/engine-fixtures.js';

/** The seed job (4 partitions, 2 epochs of batch GD) whose host died at some point. */
const setup = () => seedJob('job-resume');

describe('Function: resumeJob', () => {
  it('refuses a job that does not exist', async () => {
    const { deps } = await setup();
    await expect(resumeJob(deps, 'job-none')).rejects.toThrow(
      new ProtocolError('job job-none does not exist'),
    );
  });

  it('redoes a start cut short before its first state: every partition is sent', async () => {
    // Prepare: only the spec was written
    const { store, outbox, deps, spec } = await setup();
    await store.put(keys.job.spec(spec.jobId), JSON.stringify(spec));

    // Act
    const sent = await resumeJob(deps, spec.jobId);

    // Assess
    expect(sent).toBe(4);
    expect(outbox.work.map((m) => [m.round, m.shard])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
    expect((await readState(store, spec.jobId, 0))?.round).toBe(0);
  });

  it('sends again the work of the current round whose results are missing, and marks the fan-out', async () => {
    // Prepare: round 0 fanned out, shards 1 and 3 computed, the queue lost; the marker lost too
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    await handleWork(deps, outbox.work[1]!);
    await handleWork(deps, outbox.work[3]!);
    await store.delete(keys.job.fanout(spec.jobId, 0));
    outbox.work.length = 0;

    // Act
    const sent = await resumeJob(deps, spec.jobId);

    // Assess
    expect(sent).toBe(2);
    expect(outbox.work).toEqual([
      { v: 1, type: 'work', jobId: spec.jobId, round: 0, shard: 0 },
      { v: 1, type: 'work', jobId: spec.jobId, round: 0, shard: 2 },
    ]);
    expect(await store.head(keys.job.fanout(spec.jobId, 0))).toBeDefined();
  });

  it('aggregates a round whose results are all in (the notifications went with the queue)', async () => {
    // Prepare: every result of round 0 stored, no notification handled
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    outbox.work.length = 0;

    // Act
    const sent = await resumeJob({ ...deps, cache: new JobCache() }, spec.jobId);

    // Assess: nothing re-sent for round 0; round 1 applied and fanned out by the aggregation
    expect(sent).toBe(0);
    expect((await readState(store, spec.jobId, 1))?.round).toBe(1);
    expect(outbox.work.map((m) => [m.round, m.shard])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
  });

  it('writes the round record a crash left out, once', async () => {
    // Prepare: round 0 applied, then its record deleted (the crash fell between state and record)
    const { store, data, outbox, deps, spec } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, { v: 1, type: 'result', jobId: spec.jobId, round: 0, shard: 0 });
    await store.delete(keys.job.metrics(spec.jobId, 0));

    // Act
    await resumeJob(deps, spec.jobId);

    // Assess
    expect(await store.head(keys.job.metrics(spec.jobId, 0))).toBeDefined();
  });

  it('finishes a job whose final state is stored, sending nothing', async () => {
    // Prepare: the final state stored, the model not yet (the host died in between)
    const { store, data, outbox, deps, spec, finished } = await setup();
    await startJob(deps, spec, data.manifest, data.manifestKey);
    const crashing: EngineDeps = {
      ...deps,
      checkpoint: (p) => {
        if (p === 'aggregator:after-state') throw new Error('crash');
      },
    };
    for (const m of outbox.work.slice()) await handleWork(deps, m);
    await handleResult(deps, { v: 1, type: 'result', jobId: spec.jobId, round: 0, shard: 0 });
    for (const m of outbox.work.slice(4)) await handleWork(deps, m);
    await expect(
      handleResult(crashing, { v: 1, type: 'result', jobId: spec.jobId, round: 1, shard: 0 }),
    ).rejects.toThrow('crash');
    const sentBefore = outbox.work.length;

    // Act
    const sent = await resumeJob(deps, spec.jobId);

    // Assess
    expect(sent).toBe(0);
    expect(outbox.work.length).toBe(sentBefore);
    expect(await store.head(keys.job.model(spec.jobId))).toBeDefined();
    expect(finished).toHaveLength(1);
  });
});
