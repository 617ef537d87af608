import { readDocument } from '../../documents.js';
import { decidePromotion, defaultGateMetric, type ModelVersion } from '../../registry/index.js';
import { holdoutMetrics } from '../evaluation/holdout-eval.js';
import { keys } from '../keys.js';
import { type ModelArtifact, parseModelArtifact } from '../serving/model-artifact.js';
import type { FinishedJob } from '../training/coordinator.js';
import { loadPipeline } from './pipeline-store.js';
import { nowIso, type PipelineDecision, type PipelineDeps, pipelineDecisionSchema } from './schema.js';

/**
 * The promotion gate, after a pipeline's job has registered `version`: scores challenger and
 * champion on the same holdout rows of the new data, moves `champion` only if the challenger is
 * better by the margin (compare-and-set against the champion it was compared with), and records
 * the decision with its reasons either way. Idempotent per job.
 */
export async function onPipelineJobFinished(
  deps: PipelineDeps,
  job: FinishedJob,
  version: ModelVersion,
): Promise<PipelineDecision | undefined> {
  const name = job.spec.pipeline;
  if (name === undefined) return undefined;
  const store = deps.engine.store;
  const existing = await readDocument(store, keys.pipeline.run(name, job.spec.jobId), pipelineDecisionSchema);
  if (existing !== undefined) return existing;
  const p = await loadPipeline(deps, name);
  let championVersion = (await deps.registry.getAlias(p.modelName, 'champion')) ?? null;
  // A crash after the alias moved and before the record: the champion is this version already.
  const alreadyPromoted = championVersion === version.version;
  if (alreadyPromoted) {
    const history = await deps.registry.history(p.modelName, { alias: 'champion' });
    championVersion = history.at(-1)?.from ?? null;
  }
  const models: ModelArtifact[] = [job.artifact];
  if (championVersion !== null) {
    const champion = await deps.registry.getVersion(p.modelName, championVersion);
    models.push(parseModelArtifact(champion.artifact, `${p.modelName}@${championVersion}`));
  }
  const [challengerMetrics, championMetrics] = await holdoutMetrics(
    store,
    job.ctx.manifest,
    p.holdoutFraction,
    models,
  );
  const gate =
    p.gate.metric !== undefined
      ? { metric: p.gate.metric, higherIsBetter: ['accuracy', 'auc', 'r2'].includes(p.gate.metric) }
      : defaultGateMetric(p.model);
  const decision = decidePromotion({
    metric: gate.metric,
    higherIsBetter: gate.higherIsBetter,
    margin: p.gate.margin,
    mode: p.gate.mode,
    challenger: challengerMetrics!,
    ...(championMetrics !== undefined ? { champion: championMetrics } : {}),
  });
  await deps.registry.setAlias(p.modelName, 'challenger', version.version, {
    reason: `pipeline ${name} job ${job.spec.jobId}`,
  });
  if (decision.promote && !alreadyPromoted) {
    await deps.registry.setAlias(p.modelName, 'champion', version.version, {
      reason: `pipeline ${name}: ${decision.reason}`,
      expectedVersion: championVersion,
    });
  }
  const record: PipelineDecision = {
    v: 1,
    kind: 'gate',
    pipeline: name,
    at: nowIso(deps),
    jobId: job.spec.jobId,
    challenger: version.version,
    champion: championVersion,
    promote: decision.promote || alreadyPromoted,
    reason: decision.reason,
    metric: gate.metric,
    challengerMetrics: challengerMetrics!,
    championMetrics: championMetrics ?? null,
  };
  await store.putIfAbsent(keys.pipeline.run(name, job.spec.jobId), JSON.stringify(record));
  await deps.events.publish({ type: 'PromotionDecided', time: record.at, detail: { ...record } });
  return record;
}
