import { randomBytes } from 'node:crypto';
import { backendLabel } from '../../functions/shared/runtime.js';
import type { DatasetManifest } from '../../lib/data/index.js';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import { keys } from '../../lib/engine/keys.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { startJob } from '../../lib/engine/training/coordinator.js';
import { runInProcess } from '../../lib/engine/training/in-process-runner.js';
import { makeJobPlan } from '../../lib/engine/training/job-plan.js';
import {
  type JobSpec,
  jobSpecSchema,
  type TrainOptions,
  trainOptionsSchema,
} from '../../lib/engine/training/job-spec.js';
import { latestState, readJson } from '../../lib/engine/training/job-store.js';
import { findJobVersion, registerJobModel } from '../../lib/engine/training/register-model.js';
import { DatasetError, UsageError } from '../../lib/errors.js';
import { selectBackend } from '../../lib/optim/index.js';
import type { PlacementChoice } from '../../lib/planner/index.js';
import type { ModelRegistry } from '../../lib/registry/index.js';
import { assertModelName } from '../../lib/registry/names.js';
import {
  assertColumnName,
  assertDatasetName,
  assertFeatureList,
  MAX_SEED,
  MAX_WORKERS,
} from '../../lib/validation/inputs.js';
import { type Io, progressBar } from '../output.js';
import { datasetNameFor, type Session } from '../session.js';
import { printTrainResult, solverSummary, type TrainResult, waitForJob } from './job-progress.js';
import { jobPlacement, planPlacement, runOnBatch } from './placement.js';
import { roundPlanLine, summarizeRoundPlan } from './plan-line.js';

export interface TrainArgs {
  readonly dataset?: string;
  readonly data?: string;
  readonly target: string;
  readonly model: 'linear' | 'logistic' | 'softmax';
  readonly features?: string[];
  readonly name?: string;
  readonly workers: number;
  readonly runner: 'local' | 'inprocess';
  /** `--runner` was given on the command line (not its default). */
  readonly runnerExplicit?: boolean;
  /** `--placement`; absent: `auto` on AWS, the local cloud (as `--runner local`) on a local home. */
  readonly placement?: PlacementChoice;
  readonly pca?: number;
  readonly holdout?: number;
  readonly options: TrainOptions;
  readonly json: boolean;
}

/** Numeric columns other than the target, in file order: the default features. */
export function defaultFeatures(manifest: DatasetManifest, target: string): string[] {
  return manifest.columns.filter((c) => c.name !== target && c.type === 'numeric').map((c) => c.name);
}

/** `<dataset>-<model>-<utc time>-<4 random hex>`, lower case (job ids become object keys). */
export function newJobId(dataset: string, model: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const stem =
    dataset
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 40) || 'job';
  return `${stem}-${model}-${t}-${randomBytes(2).toString('hex')}`;
}

/** The version of `name` that a job registered, found by its lineage. */
export async function versionOfJob(
  registry: ModelRegistry,
  name: string,
  jobId: string,
): Promise<number | undefined> {
  return (await findJobVersion(registry, name, jobId))?.version;
}

/** `shardtrain train`: upload if given a file, build the job spec, run it, print the model. */
export async function train(session: Session, args: TrainArgs, io: Io): Promise<TrainResult> {
  if ((args.dataset === undefined) === (args.data === undefined)) {
    throw new UsageError('give exactly one of --dataset <name> or --data <file.csv>');
  }
  // Everything the user named is checked before anything is uploaded or started.
  const request = checkTrainRequest(args);
  const requested = requestedPlacement(args, session.cloudKind);
  let datasetName = args.dataset;
  if (args.data !== undefined) {
    datasetName = datasetNameFor(args.data);
    if (requested === 'lambda') await session.upload(args.data, datasetName);
    else await session.uploadInProcess(args.data, datasetName);
  }
  const { store, registry } = session.home;
  const { manifest, manifestKey } = await resolveDataset(store, datasetName!);
  if (!manifest.columns.some((c) => c.name === args.target)) {
    throw new DatasetError(
      { file: manifest.source.file, column: args.target },
      `target column not found; available columns: ${manifest.columns.map((c) => `"${c.name}"`).join(', ')}`,
    );
  }
  const features = args.features ?? defaultFeatures(manifest, args.target);
  if (features.length === 0) {
    throw new DatasetError(
      { file: manifest.source.file },
      `no numeric feature columns besides "${args.target}"`,
    );
  }
  const draft: JobSpec = jobSpecSchema.parse({
    v: 1,
    jobId: newJobId(datasetName!, args.model),
    createdAt: new Date().toISOString(),
    modelName: request.modelName ?? datasetName,
    dataset: { name: datasetName, version: manifest.version },
    target: args.target,
    features,
    model: args.model,
    workers: args.workers,
    options: args.options,
    ...(args.pca !== undefined ? { reduction: { kind: 'pca', k: args.pca } } : {}),
    holdoutFraction: args.holdout ?? 0,
  });
  // Where it runs: the planner prices the queued plan (its rounds are what Lambda pays for).
  const planned = await planPlacement(
    session,
    makeJobPlan(draft, manifest, manifestKey, { queued: true }),
    manifest,
    requested === 'auto', // only auto's decision is worth a calibration run
  );
  const placement = jobPlacement(requested, planned.summary);
  const spec: JobSpec = { ...draft, placement };
  const runner: 'local' | 'inprocess' = placement.placement === 'lambda' ? 'local' : 'inprocess';
  // The plan first: the solver, how steps become rounds, how many, and the expected time (an upper bound).
  const plan = makeJobPlan(spec, manifest, manifestKey, { queued: runner === 'local' });
  if (!args.json) {
    io.err(`solver: ${plan.config.solver} (${plan.config.solverReason})`);
    io.err(
      requested === 'auto'
        ? `placement: ${placement.placement} (auto; ${planned.why}): ${placement.reason}`
        : `placement: ${placement.placement} (asked for; the planner would choose ${placement.planned}: ${placement.reason})`,
    );
    io.err(roundPlanLine(summarizeRoundPlan(plan, runner), runner));
  }
  const started = Date.now();
  let artifact: ModelArtifact;
  let backend: string;
  if (placement.placement === 'batch') {
    if (!args.json)
      io.err(
        `runner: Batch job entry point (${session.cloudKind === 'aws' ? 'AWS Batch' : 'a local child process'})`,
      );
    artifact = (await runOnBatch(session, spec, io, !args.json)).artifact;
    backend = artifact.backend ?? 'unknown';
  } else if (runner === 'inprocess') {
    const selection = await selectBackend();
    backend = backendLabel(selection);
    if (!args.json) io.err(`backend: ${backend}; runner: in-process, ${spec.workers} worker(s)`);
    const bar = progressBar(io, 1, 'training');
    const result = await runInProcess(
      {
        store,
        kernel: selection.kernel,
        backend,
        onFinish: async (job) => {
          await registerJobModel(registry, job, { packageVersion: session.packageVersion() });
        },
      },
      spec,
      manifest,
      manifestKey,
      (r) => bar.update(0, `epoch ${r.epoch} loss ${r.loss.toPrecision(5)}`),
    );
    bar.stop();
    artifact = result.artifact;
  } else {
    const runtime = await session.runtime();
    backend = backendLabel(runtime.backend);
    if (!args.json) io.err(`backend: ${backend}; runner: local cloud, ${spec.workers} worker(s)`);
    await startJob(runtime.engine(), spec, manifest, manifestKey);
    artifact = await waitForJob(session, spec.jobId, io, !args.json);
  }
  const version = await versionOfJob(registry, spec.modelName, spec.jobId);
  const result: TrainResult = {
    modelId: version === undefined ? spec.jobId : `${spec.modelName}@${version}`,
    jobId: spec.jobId,
    artifact,
    backend,
    runner: placement.placement === 'batch' ? 'batch' : runner,
    placement,
    wallMs: Date.now() - started,
    solver: solverSummary(plan, spec, await latestState(store, spec.jobId)),
  };
  printTrainResult(io, result, args.json);
  return result;
}

/**
 * The placement asked for: `--placement` (which must agree with an explicit `--runner`), else an
 * explicit `--runner` (local = the queued runner = `lambda`, inprocess = `inprocess`), else `auto`
 * on AWS and the local cloud (`lambda`) on a local home, as before `--placement` existed.
 */
export function requestedPlacement(args: TrainArgs, cloud: 'local' | 'aws'): PlacementChoice {
  const fromRunner = args.runner === 'local' ? 'lambda' : 'inprocess';
  if (args.placement !== undefined) {
    if (args.runnerExplicit === true && args.placement !== 'auto' && args.placement !== fromRunner) {
      throw new UsageError(
        `--runner ${args.runner} contradicts --placement ${args.placement}; give only --placement`,
      );
    }
    return args.placement;
  }
  if (args.runnerExplicit === true) return fromRunner;
  return cloud === 'aws' ? 'auto' : 'lambda';
}

/**
 * The checks that need no data: dataset and model names, the target and feature names, the
 * option ranges. Returns the model name to register under (when given).
 */
export function checkTrainRequest(args: TrainArgs): { modelName: string | undefined } {
  if (args.dataset !== undefined) assertDatasetName(args.dataset);
  if (args.name !== undefined) assertModelName(args.name);
  else if (args.data !== undefined) assertModelName(datasetNameFor(args.data));
  assertColumnName('--target', args.target);
  if (args.features !== undefined) assertFeatureList(args.features, args.target);
  if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > MAX_WORKERS)
    throw new UsageError(`--workers must be an integer from 1 to ${MAX_WORKERS}`);
  const seed = args.options.seed;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED))
    throw new UsageError(`--seed must be an integer from 0 to ${MAX_SEED}`);
  const options = trainOptionsSchema.safeParse(args.options);
  if (!options.success) {
    const issue = options.error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? 'option')}: ${issue?.message ?? 'not valid'}`);
  }
  return { modelName: args.name };
}

/** The stored model of a finished job. */
export async function jobModel(session: Session, jobId: string): Promise<ModelArtifact | undefined> {
  return readJson<ModelArtifact>(session.home.store, keys.job.model(jobId));
}
