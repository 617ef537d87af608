import { backendLabel } from '../../functions/shared/runtime.js';
import { RowCollector } from '../../lib/data/index.js';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { buildJobSpec } from '../../lib/engine/training/build-job-spec.js';
import { startJob } from '../../lib/engine/training/coordinator.js';
import { runInProcess } from '../../lib/engine/training/in-process-runner.js';
import { makeJobPlan } from '../../lib/engine/training/job-plan.js';
import { type TrainOptions, trainOptionsSchema } from '../../lib/engine/training/job-spec.js';
import { latestState } from '../../lib/engine/training/job-store.js';
import { findJobVersion, registerJobModel } from '../../lib/engine/training/register-model.js';
import { UsageError } from '../../lib/errors.js';
import { selectBackend } from '../../lib/optim/index.js';
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
import { roundPlanLine, summarizeRoundPlan } from './plan-line.js';

export interface TrainArgs {
  readonly dataset?: string;
  readonly data?: string;
  readonly target: string;
  readonly model: 'linear' | 'logistic' | 'softmax' | 'mlp';
  readonly features?: string[];
  readonly name?: string;
  readonly workers: number;
  readonly runner: 'local' | 'inprocess';
  readonly pca?: number;
  readonly holdout?: number;
  readonly options: TrainOptions;
  readonly json: boolean;
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
  let datasetName = args.dataset;
  // An in-process upload keeps the rows it parses: the job trains from them, not the shards.
  let uploaded: { version?: string; rows: RowCollector } | undefined;
  if (args.data !== undefined) {
    datasetName = datasetNameFor(args.data);
    if (args.runner === 'local') await session.upload(args.data, datasetName);
    else {
      const rows = new RowCollector();
      const record = await session.uploadInProcess(args.data, datasetName, rows);
      uploaded = { version: record.state === 'ready' ? record.version : undefined, rows };
    }
  }
  const { store, registry } = session.home;
  const { manifest, manifestKey } = await resolveDataset(store, datasetName!);
  const fresh =
    uploaded?.version === manifest.version && uploaded.rows.rows === manifest.rows
      ? uploaded.rows
      : undefined;
  const spec = buildJobSpec(
    {
      dataset: datasetName!,
      target: args.target,
      model: args.model,
      features: args.features,
      modelName: request.modelName ?? datasetName!,
      workers: args.workers,
      options: args.options,
      ...(args.pca !== undefined ? { reduction: { kind: 'pca' as const, k: args.pca } } : {}),
      holdoutFraction: args.holdout,
    },
    manifest,
  );
  // The plan first: the solver, how steps become rounds, how many, and the expected time (an upper bound).
  const plan = makeJobPlan(spec, manifest, manifestKey, { queued: args.runner === 'local' });
  if (!args.json) {
    io.err(`solver: ${plan.config.solver} (${plan.config.solverReason})`);
    io.err(roundPlanLine(summarizeRoundPlan(plan, args.runner), args.runner));
  }
  const started = Date.now();
  let artifact: ModelArtifact;
  let backend: string;
  if (args.runner === 'inprocess') {
    const selection = await selectBackend();
    backend = backendLabel(selection);
    if (!args.json) io.err(`backend: ${backend}; runner: in-process, ${spec.workers} worker(s)`);
    const bar = progressBar(io, 1, 'training');
    const result = await runInProcess(
      {
        store,
        kernel: selection.kernel,
        backend,
        ...(fresh !== undefined ? { rows: (start: number, end: number) => fresh.range(start, end) } : {}),
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
    runner: args.runner,
    wallMs: Date.now() - started,
    solver: solverSummary(plan, spec, await latestState(store, spec.jobId)),
  };
  printTrainResult(io, result, args.json);
  return result;
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
  if (args.options.hidden !== undefined && args.model !== 'mlp')
    throw new UsageError(`--hidden sets an mlp's layers; it does not apply to --model ${args.model}`);
  const options = trainOptionsSchema.safeParse(args.options);
  if (!options.success) {
    const issue = options.error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? 'option')}: ${issue?.message ?? 'not valid'}`);
  }
  return { modelName: args.name };
}
