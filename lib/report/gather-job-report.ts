import type { DatasetManifest } from '../data/index.js';
import { datasetManifestSchema } from '../data/index.js';
import { readDocument, requireDocument } from '../documents.js';
import { keys } from '../engine/keys.js';
import { type PipelineDecision, pipelineDecisionSchema } from '../engine/pipelines/index.js';
import { type ModelArtifact, modelArtifactSchema } from '../engine/serving/model-artifact.js';
import { readJobFailure } from '../engine/training/diverged.js';
import type { JobPlan } from '../engine/training/job-plan.js';
import type { JobSpec } from '../engine/training/job-spec.js';
import { jobPlanDocument, latestState, readJobSpec } from '../engine/training/job-store.js';
import { findJobVersion } from '../engine/training/register-model.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import type { AliasMove, ModelRegistry, ModelVersion } from '../registry/index.js';
import { type DatasetSummary, datasetSummary } from './dataset-charts.js';
import type { EvaluationCharts } from './evaluation-charts.js';
import { evaluationCharts, holdoutRows } from './evaluation-data.js';
import { type RoundHistory, type RoundPoint, readRoundHistory } from './round-history.js';

/** Everything the report of one job shows; plain JSON, rendered by `renderJobReport`. */
export interface JobReport {
  readonly jobId: string;
  readonly generatedAt: string;
  readonly status: 'starting' | 'running' | 'done' | 'failed';
  readonly stopReason: string | null;
  readonly round: number;
  readonly maxEpochs: number | null;
  readonly spec: JobSpec;
  readonly plan: PlanSummary | null;
  readonly history: RoundHistory;
  readonly model: ModelSummary | null;
  readonly evaluation: {
    readonly on: string;
    readonly charts: EvaluationCharts;
    readonly skipped: number;
  } | null;
  readonly dataset: DatasetSummary | null;
  readonly version: VersionSummary | null;
  /** Problems met while gathering (each shown in an error box): a missing document, a bad record. */
  readonly errors: string[];
}

/** The resolved training configuration and, when the planner recorded one, the solver and why. */
export interface PlanSummary {
  readonly algorithm: string;
  readonly optimizer: string;
  readonly schedule: string;
  readonly lr: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly sync: string;
  readonly workers: number;
  readonly trainRows: number;
  readonly solver: { readonly name: string; readonly reason: string } | null;
}

export interface ModelSummary {
  readonly kind: string;
  readonly features: string[];
  /** One bar series per class (one, named after the target, for linear/logistic). */
  readonly coefficients: { readonly label: string; readonly values: number[]; readonly intercept: number }[];
  readonly components: {
    readonly kind: string;
    readonly k: number;
    readonly matrix: number[][];
    readonly explainedVarianceRatio: number[] | null;
  } | null;
  readonly metrics: Record<string, number>;
  /**
   * mlp only: units per layer (input first), activation and head, parameter count, and each
   * feature's first-layer weight norm ‖W₁[:, j]‖ in original units (how much the net reads it).
   */
  readonly network?: {
    readonly sizes: number[];
    readonly activation: string;
    readonly head: string;
    readonly parameters: number;
    readonly inputWeightNorms: number[];
  };
}

export interface VersionSummary {
  readonly name: string;
  readonly version: number;
  readonly createdAt: string;
  readonly lineage: ModelVersion['lineage'];
  readonly metrics: ModelVersion['metrics'];
  readonly aliases: string[];
  /** Alias moves to or from this version, and pipeline gate decisions about it, oldest first. */
  readonly events: { readonly at: string; readonly kind: string; readonly text: string }[];
  /** The champion when this version was trained (from a gate decision), if any. */
  readonly parent: number | null;
}

/** What to score the model on: the job's holdout (default), or a dataset the caller prepared. */
export interface ReportOptions {
  readonly evaluateOn?: {
    readonly store: ObjectStore;
    readonly manifest: DatasetManifest;
    readonly label: string;
  };
  readonly now?: () => Date;
}

/**
 * The job a report reference names: a job id, or a registered `name@version` / `name@alias`
 * (through its lineage). `NotFoundError` (exit 2 on the CLI, 404 in the dashboard) otherwise.
 */
export async function resolveReportJob(
  store: ObjectStore,
  registry: ModelRegistry,
  ref: string,
): Promise<string> {
  if (/^[a-z0-9][a-z0-9-]{2,80}$/.test(ref) && (await store.head(keys.job.spec(ref))) !== undefined)
    return ref;
  if (ref.includes('@')) {
    const version = await registry.resolve(ref).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    if (version?.lineage.jobId !== undefined) return version.lineage.jobId;
  }
  throw new NotFoundError(`no job or model version "${ref}" (see: shardtrain jobs, shardtrain models list)`);
}

/**
 * What the live job view polls: status, round and the round history, without the evaluation
 * and registry reads of the full report. `cache` keeps the metrics records already read.
 */
export async function jobProgress(
  store: ObjectStore,
  jobId: string,
  cache?: Map<string, RoundPoint>,
): Promise<Pick<JobReport, 'status' | 'round' | 'history' | 'maxEpochs' | 'errors'>> {
  if ((await store.head(keys.job.spec(jobId))) === undefined) {
    throw new NotFoundError(`no job "${jobId}" (see: shardtrain jobs)`);
  }
  const [model, failed, state, plan, history] = await Promise.all([
    store.head(keys.job.model(jobId)),
    store.head(keys.job.failed(jobId)),
    latestState(store, jobId).catch(() => undefined),
    readDocument(store, keys.job.plan(jobId), jobPlanDocument).catch(() => undefined),
    readRoundHistory(store, jobId, cache),
  ]);
  return {
    status: jobStatus(model, failed, state),
    round: state?.round ?? history.rounds.at(-1)?.round ?? 0,
    maxEpochs: plan?.config.maxEpochs ?? null,
    history,
    errors: history.errors,
  };
}

/** Gathers a job's report from the store and the registry; `NotFoundError` for an unknown job. */
export async function gatherJobReport(
  store: ObjectStore,
  registry: ModelRegistry,
  jobId: string,
  options: ReportOptions = {},
): Promise<JobReport> {
  const errors: string[] = [];
  const spec = await readJobSpec(store, jobId);
  const soft = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  const plan = await soft('plan', () => readDocument(store, keys.job.plan(jobId), jobPlanDocument));
  const state = await soft('training state', () => latestState(store, jobId));
  const history = (await soft('round history', () => readRoundHistory(store, jobId))) ?? {
    rounds: [],
    epochs: [],
    source: 'none' as const,
    errors: [],
  };
  const artifact = await soft('model', () => readDocument(store, keys.job.model(jobId), modelArtifactSchema));
  const failed = await soft('failure record', () => readJobFailure(store, jobId));
  let manifest: DatasetManifest | undefined;
  if (plan !== undefined) {
    manifest = await soft('dataset manifest', () =>
      requireDocument(
        store,
        plan.manifestKey,
        datasetManifestSchema,
        () => new NotFoundError(`${plan.manifestKey} is missing`),
      ),
    );
  }
  let evaluation: JobReport['evaluation'] = null;
  if (artifact !== undefined) {
    const on = options.evaluateOn;
    const model = artifact;
    const result = await soft('evaluation', async () => {
      if (on !== undefined)
        return { on: on.label, r: await evaluationCharts(on.store, on.manifest, model, () => true) };
      if (manifest === undefined) return undefined;
      const f = spec.holdoutFraction;
      return f > 0
        ? {
            on: `the holdout (${Math.round(f * 100)} % of rows)`,
            r: await evaluationCharts(store, manifest, model, holdoutRows(f)),
          }
        : {
            on: 'the training rows (no holdout was set)',
            r: await evaluationCharts(store, manifest, model, () => true),
          };
    });
    if (result?.r !== undefined)
      evaluation = { on: result.on, charts: result.r.charts, skipped: result.r.skipped };
  }
  const versionDoc = await soft('registry', () => findJobVersion(registry, spec.modelName, jobId));
  const version =
    versionDoc === undefined
      ? null
      : await soft('registry history', () => versionSummary(store, registry, versionDoc));
  errors.push(...history.errors);
  return {
    jobId,
    generatedAt: (options.now ?? (() => new Date()))().toISOString(),
    status: jobStatus(artifact, failed, state),
    stopReason: state?.status.status === 'done' ? state.status.reason : (failed?.reason ?? null),
    round: state?.round ?? history.rounds.at(-1)?.round ?? 0,
    maxEpochs: plan?.config.maxEpochs ?? null,
    spec,
    plan: plan === undefined ? null : planSummary(spec, plan),
    history,
    model: artifact === undefined ? null : modelSummary(artifact, plan),
    evaluation,
    dataset: manifest === undefined ? null : datasetSummary(manifest),
    version: version ?? null,
    errors,
  };
}

/** A job is done once its model is written, failed once its failure is, else starting or running. */
function jobStatus(
  model: unknown,
  failed: unknown,
  state: unknown,
): 'done' | 'failed' | 'starting' | 'running' {
  if (model !== undefined) return 'done';
  if (failed !== undefined) return 'failed';
  return state === undefined ? 'starting' : 'running';
}

function planSummary(spec: JobSpec, plan: JobPlan): PlanSummary {
  const c = plan.config;
  // Plans stored before the solvers existed carry no solver: they ran gradient descent.
  const { solver, solverReason } = c as Partial<Pick<typeof c, 'solver' | 'solverReason'>>;
  return {
    algorithm: c.algorithm,
    optimizer: c.optimizer.kind,
    schedule: c.schedule.kind,
    lr: c.schedule.lr,
    batchSize: c.batchSize,
    maxEpochs: c.maxEpochs,
    sync: c.sync,
    workers: spec.workers,
    trainRows: plan.partitions.reduce((s, p) => s + p.rows, 0),
    solver: solver === undefined ? null : { name: solver, reason: solverReason ?? '' },
  };
}

function modelSummary(a: ModelArtifact, plan: JobPlan | undefined): ModelSummary {
  const layers = a.layers;
  const perClass =
    layers !== undefined
      ? []
      : a.kind === 'softmax'
        ? (a.classes ?? []).map((c) => ({
            label: c,
            values: a.features.map(
              (f) => (a.coefficients as Record<string, Record<string, number>>)[c]?.[f] ?? 0,
            ),
            intercept: (a.intercept as Record<string, number>)[c] ?? 0,
          }))
        : [
            {
              label: a.kind === 'logistic' ? `P(${a.target} = ${a.classes?.[1] ?? '1'})` : a.target,
              values: a.features.map((f) => (a.coefficients as Record<string, number>)[f] ?? 0),
              intercept: a.intercept as number,
            },
          ];
  const p = plan?.transform.projection;
  const network =
    layers === undefined
      ? {}
      : {
          network: {
            sizes: [a.features.length, ...layers.dense.map((l) => l.bias.length)],
            activation: layers.activation,
            head: layers.head,
            parameters: layers.dense.reduce((s, l) => s + l.bias.length * (l.weights[0]!.length + 1), 0),
            inputWeightNorms: a.features.map((_, j) =>
              Math.sqrt(layers.dense[0]!.weights.reduce((s, row) => s + row[j]! ** 2, 0)),
            ),
          },
        };
  return {
    ...network,
    kind: a.kind,
    features: a.features,
    coefficients: perClass,
    components:
      p === undefined
        ? null
        : {
            kind: p.kind,
            k: p.k,
            matrix: p.matrix,
            explainedVarianceRatio: p.explainedVarianceRatio ?? null,
          },
    metrics: a.metrics,
  };
}

async function versionSummary(
  store: ObjectStore,
  registry: ModelRegistry,
  v: ModelVersion,
): Promise<VersionSummary> {
  const [moves, aliases, decisions] = await Promise.all([
    registry.history(v.name),
    registry.getAliases(v.name),
    gateDecisions(store, v.lineage.jobId),
  ]);
  const mine = moves.filter((m: AliasMove) => m.to === v.version || m.from === v.version);
  const events = [
    {
      at: v.createdAt,
      kind: 'created',
      text: `version ${v.version} registered from job ${v.lineage.jobId ?? '-'}`,
    },
    ...mine.map((m) => ({
      at: m.at,
      kind: m.to === v.version ? 'alias set' : 'alias moved away',
      text: `${m.alias}: ${m.from ?? '∅'} → ${m.to ?? '∅'} (${m.reason})`,
    })),
    ...decisions
      .filter((d) => d.kind === 'gate' && d.challenger === v.version)
      .map((d) => ({
        at: d.at,
        kind: d.kind === 'gate' && d.promote ? 'gate: promote' : 'gate: keep champion',
        text: `pipeline ${d.pipeline}: ${d.reason}`,
      })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const gate = decisions.find((d) => d.kind === 'gate' && d.challenger === v.version);
  return {
    name: v.name,
    version: v.version,
    createdAt: v.createdAt,
    lineage: v.lineage,
    metrics: v.metrics,
    aliases: Object.entries(aliases)
      .filter(([, n]) => n === v.version)
      .map(([a]) => a),
    events,
    parent: gate?.kind === 'gate' ? gate.champion : null,
  };
}

/** The gate decision of the pipeline that started `jobId`, if it was one (read from every pipeline's runs). */
async function gateDecisions(store: ObjectStore, jobId: string | undefined): Promise<PipelineDecision[]> {
  if (jobId === undefined) return [];
  const out: PipelineDecision[] = [];
  for (const info of await store.list(keys.pipelinesPrefix)) {
    if (!info.key.endsWith(`/runs/${jobId}.json`)) continue;
    const d = await readDocument(store, info.key, pipelineDecisionSchema);
    if (d !== undefined) out.push(d);
  }
  return out;
}
