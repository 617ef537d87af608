import type { DatasetManifest } from '../../data/index.js';
import type { RoundRecord, TrainState } from '../../optim/index.js';
import { fit as fitModel } from '../../optim/index.js';
import { keys } from '../keys.js';
import type { ModelArtifact } from '../serving/model-artifact.js';
import { type EngineDeps, finishJob } from './coordinator.js';
import type { JobSpec } from './job-spec.js';
import { type JobContext, writeJsonIfAbsent, writeState } from './job-store.js';
import { loadPartition, type RowSource } from './partition-data.js';
import { planJob } from './plan-job.js';
import { type RoundMetrics, roundRecordOf } from './round-records.js';

/** Progress of a run, one call per applied round. */
export type RoundListener = (record: RoundRecord & { readonly maxEpochs: number }) => void;

/**
 * The in-process runner: the same plan, partitions and round functions as the distributed
 * engine, in one loop with no queue. With W partitions it is synchronous data-parallel GD in one
 * process (W gradients, summed at the "server", one update), bit-identical to the queued run.
 */
export async function runInProcess(
  deps: Pick<EngineDeps, 'store' | 'kernel' | 'backend' | 'onFinish'> & {
    /** The dataset version's rows already in memory (a fresh in-process upload); else the shards. */
    readonly rows?: RowSource;
  },
  spec: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
  onRound?: RoundListener,
): Promise<{ artifact: ModelArtifact; state: TrainState; ctx: JobContext }> {
  const plan = await planJob(
    deps.store,
    spec,
    manifest,
    manifestKey,
    deps.rows === undefined ? {} : { rows: deps.rows },
  );
  await writeJsonIfAbsent(deps.store, keys.job.spec(spec.jobId), spec);
  await writeJsonIfAbsent(deps.store, keys.job.plan(spec.jobId), plan);
  const ctx: JobContext = { spec, plan, manifest };
  const partitions = [];
  for (let p = 0; p < plan.partitions.length; p++) {
    partitions.push(await loadPartition(deps.store, manifest, spec, plan, p, deps.rows));
  }
  // The same per-round records the aggregator writes, so status and reports read one history
  // whichever runner trained the job; roundMs here is pure compute (there is no coordination).
  const records: RoundMetrics[] = [];
  let lastAt = performance.now();
  const { state } = fitModel(plan.config, partitions, {
    kernel: deps.kernel,
    onRound: (r) => {
      const now = performance.now();
      const record = roundRecordOf(spec.jobId, r.state);
      if (record !== null) records.push({ ...record, roundMs: now - lastAt });
      lastAt = now;
      onRound?.({ ...r, maxEpochs: plan.config.maxEpochs });
    },
  });
  for (let i = 0; i < records.length; i += 64) {
    await Promise.all(
      records
        .slice(i, i + 64)
        .map((m) => deps.store.putIfAbsent(keys.job.metrics(spec.jobId, m.round), JSON.stringify(m))),
    );
  }
  await writeState(deps.store, spec.jobId, state);
  const artifact = await finishJob(
    { ...deps, outbox: { sendWork: async () => {}, sendResult: async () => {} } },
    ctx,
    state,
  );
  return { artifact, state, ctx };
}
