import { z } from 'zod';
import { histogramCdf, histogramQuantile } from '../../data/index.js';
import { NotFoundError } from '../../errors.js';
import type { EventSink } from '../../ports.js';
import {
  type DistributionView,
  type DriftReport,
  decidePromotion,
  defaultGateMetric,
  driftReport,
  type ModelRegistry,
  type ModelVersion,
} from '../../registry/index.js';
import { resolveDataset } from '../datasets/uploads.js';
import { holdoutMetrics } from '../evaluation/holdout-eval.js';
import { type ModelArtifact, parseModelArtifact } from '../serving/model-artifact.js';
import type { EngineDeps, FinishedJob } from '../training/coordinator.js';
import { type JobSpec, jobSpecSchema, MODEL_KINDS, trainOptionsSchema } from '../training/job-spec.js';
import { readJson } from '../training/job-store.js';
import { type PlaceJobDeps, startPlacedJob } from '../training/place-job.js';

/** A saved training definition: what to train, when, and the gate a new model must pass. */
export const pipelineSchema = z.object({
  v: z.literal(1),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  dataset: z.string(),
  target: z.string(),
  model: z.enum(MODEL_KINDS),
  /** Registry model name; defaults to the pipeline name. */
  modelName: z.string(),
  features: z.array(z.string()).optional(),
  options: trainOptionsSchema.default({}),
  workers: z.number().int().min(1).default(1),
  holdoutFraction: z.number().min(0.05).max(0.5).default(0.2),
  /** EventBridge schedule expression, e.g. `cron(0 3 * * ? *)` or `rate(1 day)`. */
  schedule: z.string().regex(/^(cron|rate)\(.+\)$/),
  gate: z
    .object({
      metric: z.string().optional(),
      margin: z.number().min(0).default(0),
      mode: z.enum(['absolute', 'relative']).default('absolute'),
    })
    .default({ margin: 0, mode: 'absolute' }),
  trainOnUpload: z.boolean().default(false),
  retrainOnDrift: z.boolean().default(false),
  driftThreshold: z.number().positive().default(0.2),
  createdAt: z.string(),
});
export type Pipeline = z.infer<typeof pipelineSchema>;

export const pipelineKeys = {
  definition: (name: string) => `pipelines/${name}/definition.json`,
  prefix: 'pipelines/',
  run: (name: string, jobId: string) => `pipelines/${name}/runs/${jobId}.json`,
  runsPrefix: (name: string) => `pipelines/${name}/runs/`,
  skip: (name: string, at: string) => `pipelines/${name}/runs/skip-${at.replace(/[:.]/g, '')}.json`,
  drift: (name: string, version: string) => `pipelines/${name}/drift/${version}.json`,
} as const;

/** What a pipeline run decided, stored under `pipelines/<name>/runs/`. */
export type PipelineDecision =
  | {
      readonly v: 1;
      readonly kind: 'skipped';
      readonly pipeline: string;
      readonly at: string;
      readonly reason: string;
    }
  | {
      readonly v: 1;
      readonly kind: 'gate';
      readonly pipeline: string;
      readonly at: string;
      readonly jobId: string;
      readonly challenger: number;
      readonly champion: number | null;
      readonly promote: boolean;
      readonly reason: string;
      readonly metric: string;
      readonly challengerMetrics: Record<string, number>;
      readonly championMetrics: Record<string, number> | null;
    };

/** Everything a pipeline step needs: the engine (to start jobs), the registry, events. */
export interface PipelineDeps extends PlaceJobDeps {
  readonly engine: EngineDeps;
  readonly registry: ModelRegistry;
  readonly events: EventSink;
  readonly now?: () => Date;
}

const nowIso = (deps: PipelineDeps) => (deps.now ?? (() => new Date()))().toISOString();

export async function savePipeline(deps: PipelineDeps, pipeline: Pipeline): Promise<void> {
  await deps.engine.store.put(
    pipelineKeys.definition(pipeline.name),
    JSON.stringify(pipelineSchema.parse(pipeline)),
  );
}

export async function loadPipeline(deps: PipelineDeps, name: string): Promise<Pipeline> {
  const raw = await readJson(deps.engine.store, pipelineKeys.definition(name));
  if (raw === undefined) throw new NotFoundError(`no pipeline "${name}" (see: shardtrain pipelines list)`);
  return pipelineSchema.parse(raw);
}

export async function listPipelines(deps: PipelineDeps): Promise<Pipeline[]> {
  const infos = (await deps.engine.store.list(pipelineKeys.prefix)).filter((i) =>
    i.key.endsWith('/definition.json'),
  );
  const out: Pipeline[] = [];
  for (const i of infos) out.push(pipelineSchema.parse(await readJson(deps.engine.store, i.key)));
  return out;
}

/** Decisions recorded for a pipeline, oldest first. */
export async function pipelineRuns(deps: PipelineDeps, name: string): Promise<PipelineDecision[]> {
  const out: PipelineDecision[] = [];
  for (const i of await deps.engine.store.list(pipelineKeys.runsPrefix(name))) {
    const d = await readJson<PipelineDecision>(deps.engine.store, i.key);
    if (d !== undefined) out.push(d);
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * One scheduled (or forced) run: trains on the newest dataset version, unless the champion was
 * trained on exactly that version already (then the skip and its reason are recorded). The gate
 * runs when the job finishes ({@link onPipelineJobFinished}), wherever it runs.
 */
export async function runPipeline(
  deps: PipelineDeps,
  name: string,
  options: { force?: boolean; reason?: string } = {},
): Promise<{ kind: 'started'; jobId: string } | { kind: 'skipped'; reason: string }> {
  const p = await loadPipeline(deps, name);
  const { manifest, manifestKey } = await resolveDataset(deps.engine.store, p.dataset);
  const championVersion = await deps.registry.getAlias(p.modelName, 'champion');
  if (championVersion !== undefined && options.force !== true) {
    const champion = await deps.registry.getVersion(p.modelName, championVersion);
    if (champion.lineage.datasetVersion === manifest.version) {
      const at = nowIso(deps);
      const reason = `data unchanged: champion ${p.modelName}@${championVersion} was trained on ${p.dataset}@${manifest.version}, the newest version`;
      await deps.engine.store.put(
        pipelineKeys.skip(name, at),
        JSON.stringify({ v: 1, kind: 'skipped', pipeline: name, at, reason } satisfies PipelineDecision),
      );
      return { kind: 'skipped', reason };
    }
  }
  const at = nowIso(deps);
  const spec: JobSpec = jobSpecSchema.parse({
    v: 1,
    jobId: `${name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}-${at.replace(/[-:TZ.]/g, '').slice(0, 14)}-${manifest.version.slice(0, 6)}`,
    createdAt: at,
    modelName: p.modelName,
    dataset: { name: p.dataset, version: manifest.version },
    target: p.target,
    features:
      p.features ??
      manifest.columns.filter((c) => c.name !== p.target && c.type === 'numeric').map((c) => c.name),
    model: p.model,
    workers: p.workers,
    options: p.options,
    holdoutFraction: p.holdoutFraction,
    pipeline: name,
  });
  // Placed by the planner, as `train --placement auto` (Batch when a launcher is wired).
  await startPlacedJob(deps, spec, manifest, manifestKey);
  return { kind: 'started', jobId: spec.jobId };
}

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
  const existing = await readJson<PipelineDecision>(store, pipelineKeys.run(name, job.spec.jobId));
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
  await store.putIfAbsent(pipelineKeys.run(name, job.spec.jobId), JSON.stringify(record));
  await deps.events.publish({ type: 'PromotionDecided', time: record.at, detail: { ...record } });
  return record;
}

/** A histogram of the data pipeline, seen as a CDF/quantile view for PSI. */
function view(h: Parameters<typeof histogramCdf>[0]): DistributionView {
  return { cdf: (x) => histogramCdf(h, x), quantile: (q) => histogramQuantile(h, q) };
}

/**
 * After a new dataset version is ready: for each pipeline on that dataset, compares the new
 * data's feature distributions with the champion's training data (PSI per feature from the
 * mergeable histograms), records drift, and retrains when the pipeline asks for it (on drift,
 * or on every upload). What happened is stored at `pipelines/<name>/drift/<version>.json`.
 */
export async function onDatasetReady(
  deps: PipelineDeps,
  dataset: string,
  version: string,
): Promise<UploadEffect[]> {
  const out: UploadEffect[] = [];
  for (const p of (await listPipelines(deps)).filter((x) => x.dataset === dataset)) {
    const at = nowIso(deps);
    const championVersion = await deps.registry.getAlias(p.modelName, 'champion');
    const champion =
      championVersion === undefined
        ? undefined
        : await deps.registry.getVersion(p.modelName, championVersion);
    // The champion saw this very version: nothing drifted and nothing new to train on.
    if (champion?.lineage.datasetVersion === version) {
      out.push({ pipeline: p.name });
      continue;
    }
    const drift =
      champion === undefined ? undefined : await driftFromChampion(deps, p, champion, dataset, version);
    if (drift?.drifted === true) {
      await deps.events.publish({
        type: 'DriftDetected',
        time: at,
        detail: { pipeline: p.name, dataset, version, maxPsi: drift.maxPsi, features: drift.features },
      });
    }
    let started: string | undefined;
    if ((drift?.drifted === true && p.retrainOnDrift) || p.trainOnUpload) {
      const run = await runPipeline(deps, p.name, { reason: drift?.drifted === true ? 'drift' : 'upload' });
      if (run.kind === 'started') started = run.jobId;
    }
    await deps.engine.store.put(
      pipelineKeys.drift(p.name, version),
      JSON.stringify({
        v: 1,
        pipeline: p.name,
        dataset,
        version,
        at,
        ...(champion !== undefined ? { reference: champion.lineage.datasetVersion } : {}),
        ...(drift !== undefined ? { report: drift } : {}),
        ...(started !== undefined ? { startedJob: started } : {}),
      }),
    );
    out.push({
      pipeline: p.name,
      ...(drift !== undefined ? { drift } : {}),
      ...(started !== undefined ? { started } : {}),
    });
  }
  return out;
}

/** What a new dataset version did to one pipeline. */
export interface UploadEffect {
  readonly pipeline: string;
  readonly drift?: DriftReport;
  readonly started?: string;
}

/** PSI of the champion's features between its training data and the new version. */
async function driftFromChampion(
  deps: PipelineDeps,
  p: Pipeline,
  champion: ModelVersion,
  dataset: string,
  version: string,
): Promise<DriftReport> {
  const [ref, cur] = await Promise.all([
    resolveDataset(deps.engine.store, champion.lineage.dataset, champion.lineage.datasetVersion),
    resolveDataset(deps.engine.store, dataset, version),
  ]);
  const features = (champion.artifact.features as string[] | undefined) ?? [];
  const hist = (m: typeof ref.manifest) =>
    Object.fromEntries(
      features.flatMap((f) => {
        const h = m.columns.find((c) => c.name === f)?.histogram;
        return h === undefined ? [] : [[f, view(h)]];
      }),
    );
  return driftReport(hist(ref.manifest), hist(cur.manifest), { threshold: p.driftThreshold });
}
