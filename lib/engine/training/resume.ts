import { ProtocolError } from '../../errors.js';
import { resolveDataset } from '../datasets/uploads.js';
import { keys } from '../keys.js';
import { type EngineDeps, finishJob, handleResult, startJob } from './coordinator.js';
import { latestState, loadJobContext, readJobSpec } from './job-store.js';
import type { WorkMessage } from './protocol.js';
import { writeRoundRecord } from './round-records.js';

/**
 * Puts a job whose host died back in motion, from what is on disk: a start cut short is redone
 * (every write of `startJob` is put-if-absent); a finished state is finished; otherwise the work
 * messages of the current round whose results are missing are sent again (a redelivered work
 * message is harmless: results are deterministic and applied rounds are dropped).
 * Returns the number of work messages sent.
 */
export async function resumeJob(deps: EngineDeps, jobId: string): Promise<number> {
  const spec = await readJobSpec(deps.store, jobId, () => new ProtocolError(`job ${jobId} does not exist`));
  const state = await latestState(deps.store, jobId);
  if (state === undefined) {
    const { manifest, manifestKey } = await resolveDataset(
      deps.store,
      spec.dataset.name,
      spec.dataset.version,
    );
    const ctx = await startJob(deps, spec, manifest, manifestKey);
    return ctx.plan.partitions.length;
  }
  const ctx = await loadJobContext(deps.store, jobId);
  if (state.status.status === 'done') {
    await finishJob(deps, ctx, state);
    return 0;
  }
  // A crash between storing the state and its round record leaves the record to write.
  await writeRoundRecord(deps.store, jobId, state);
  const missing: WorkMessage[] = [];
  for (let shard = 0; shard < ctx.plan.partitions.length; shard++) {
    if ((await deps.store.head(keys.job.result(jobId, state.round, shard))) === undefined) {
      missing.push({ v: 1, type: 'work', jobId, round: state.round, shard });
    }
  }
  if (missing.length > 0) await deps.outbox.sendWork(missing);
  // Every result is stored but the notifications may be gone with the queue: aggregate now
  // (a re-sent notification could be dropped by FIFO deduplication).
  else await handleResult(deps, { v: 1, type: 'result', jobId, round: state.round, shard: 0 });
  await deps.store.putIfAbsent(keys.job.fanout(jobId, state.round), '');
  return missing.length;
}
