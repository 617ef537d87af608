import { type Command, Option } from 'commander';
import { z } from 'zod';
import { backendLabel } from '../../lib/app/index.js';
import { RowCollector } from '../../lib/data/index.js';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import { keys } from '../../lib/engine/keys.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { buildJobSpec } from '../../lib/engine/training/build-job-spec.js';
import { startJob } from '../../lib/engine/training/coordinator.js';
import { runInProcess } from '../../lib/engine/training/in-process-runner.js';
import { makeJobPlan } from '../../lib/engine/training/job-plan.js';
import {
  ALGORITHMS,
  type JobSpec,
  MODEL_KINDS,
  OPTIMIZERS,
  SCHEDULES,
  SOLVER_CHOICES,
  SYNC_MODES,
  type TrainOptions,
  trainOptionsSchema,
} from '../../lib/engine/training/job-spec.js';
import { latestState, writeJsonIfAbsent } from '../../lib/engine/training/job-store.js';
import { planJob } from '../../lib/engine/training/plan-job.js';
import { findJobVersion } from '../../lib/engine/training/register-model.js';
import { UsageError } from '../../lib/errors.js';
import { PLACEMENT_CHOICES, type PlacementChoice } from '../../lib/planner/placement.js';
import type { ModelRegistry } from '../../lib/registry/index.js';
import { assertModelName } from '../../lib/registry/names.js';
import {
  assertColumnName,
  assertDatasetName,
  assertFeatureList,
  MAX_SEED,
  MAX_WORKERS,
} from '../../lib/validation/inputs.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import { type Io, progressBar } from '../output.js';
import { datasetNameFor, type Session } from '../session.js';
import { fraction, hiddenFlag, nonNeg, positive, positiveInt, seedFlag, workersFlag } from '../validate.js';
import { printTrainResult, solverSummary, type TrainResult, waitForJob } from './job-progress.js';
import { jobPlacement, planPlacement, runOnBatch } from './placement.js';
import { roundPlanLine, summarizeRoundPlan } from './plan-line.js';

export interface TrainArgs {
  readonly dataset?: string;
  readonly data?: string;
  readonly target: string;
  readonly model: JobSpec['model'];
  readonly features?: string[];
  readonly name?: string;
  readonly workers: number;
  readonly runner: 'local' | 'inprocess';
  /** `--runner` was given on the command line (not its default). */
  readonly runnerExplicit?: boolean;
  /** `--placement`; absent: `auto` (the planner's choice), unless `--runner` was given. */
  readonly placement?: PlacementChoice;
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
  const requested = requestedPlacement(args);
  let datasetName = args.dataset;
  // An in-process upload keeps the rows it parses: the job trains from them, not the shards.
  let uploaded: { version?: string; rows: RowCollector } | undefined;
  if (args.data !== undefined) {
    datasetName = datasetNameFor(args.data);
    // Through the cloud when the job runs there (the queued runner reads the shards), when a
    // pipeline watches the dataset or on an AWS home; otherwise parsed here, rows kept.
    const route = await session.uploadRoute(
      datasetName,
      requested === 'lambda'
        ? {
            via: 'cloud',
            flag: args.placement !== undefined ? `--placement ${args.placement}` : `--runner ${args.runner}`,
          }
        : undefined,
    );
    if (route.via === 'cloud') await session.upload(args.data, datasetName);
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
  const draft = buildJobSpec(
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
  // Stored before the run, so the runner starts from this very plan (an mlp's alpha is chosen once).
  const plan = await planJob(store, spec, manifest, manifestKey, { queued: runner === 'local' });
  await writeJsonIfAbsent(store, keys.job.plan(spec.jobId), plan);
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
    // The same wiring as the handlers: the model is registered and a pipeline's gate runs.
    const runtime = await session.inProcessRuntime();
    backend = backendLabel(runtime.backend);
    if (!args.json) io.err(`backend: ${backend}; runner: in-process, ${spec.workers} worker(s)`);
    const bar = progressBar(io, 1, 'training');
    const result = await runInProcess(
      {
        ...runtime.engine(),
        ...(fresh !== undefined ? { rows: (start: number, end: number) => fresh.range(start, end) } : {}),
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
 * explicit `--runner` (local = the queued runner = `lambda`, inprocess = `inprocess`), else
 * `auto`: the planner's choice, on a local home as on AWS.
 */
export function requestedPlacement(args: TrainArgs): PlacementChoice {
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
  return 'auto';
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

/** The options of `shardtrain train`, as commander hands them over (flags already range-checked). */
/** The flags of `shardtrain train` that are not training options (those are `trainOptionsSchema`). */
export const trainFlagsSchema = z.object({
  dataset: z.string().optional(),
  data: z.string().optional(),
  target: z.string(),
  model: z.enum(MODEL_KINDS),
  workers: z.number(),
  runner: z.enum(['local', 'inprocess']),
  placement: z.enum(PLACEMENT_CHOICES).optional(),
  features: z
    .string()
    .transform((s) => s.split(',').map((c) => c.trim()))
    .optional(),
  pca: z.number().optional(),
  holdout: z.number().optional(),
  name: z.string().optional(),
  json: z.boolean().default(false),
});

/** Declares `shardtrain train`. */
export function registerTrain(program: Command, { session, io }: CommandContext): void {
  program
    .command('train')
    .description('train a model where the planner places it (--placement to choose)')
    .option('--dataset <name>', 'a dataset uploaded before (its newest version)')
    .option('--data <file>', 'a CSV file: uploaded as dataset <file name>, then trained on')
    .requiredOption('--target <col>', 'the column to predict')
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).makeOptionMandatory())
    .addOption(
      new Option(
        '--solver <name>',
        'auto (default): normal equations for linear, Newton for small logistic/softmax, L-BFGS otherwise; gd: gradient descent (implied by --algorithm, --optimizer, --schedule, --lr, --batch-size, --sync, --local-steps)',
      ).choices(SOLVER_CHOICES),
    )
    .addOption(new Option('--algorithm <name>', 'gradient descent variant').choices(ALGORITHMS))
    .option('--batch-size <B>', 'mini-batch size', positiveInt)
    .option('--lr <x>', 'initial learning rate', positive)
    .addOption(new Option('--optimizer <name>', 'update rule').choices(OPTIMIZERS))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(SCHEDULES))
    .option('--decay-steps <T>', 'schedule time scale (steps)', positive)
    .option(
      '--decay-rate <a>',
      'schedule rate (inverse-time: α; exponential: rate; step: factor; cosine: period ×)',
      positive,
    )
    .option('--epochs <E>', 'maximum epochs (newton/lbfgs: iterations, default 100)', positiveInt)
    .option(
      '--tol <x>',
      'gd: stop when the epoch loss improves by less than this (relative); newton/lbfgs: when every |gradient| ≤ this (default 1e-4, as scikit-learn)',
      nonNeg,
    )
    .option('--l2 <x>', 'L2 penalty', nonNeg)
    .option('--hidden <sizes>', 'mlp hidden layer sizes, e.g. 128,64 (default 100)', hiddenFlag)
    .option('--workers <N>', 'data-parallel workers (partitions)', workersFlag, 1)
    .option('--seed <S>', 'random seed', seedFlag)
    .addOption(
      new Option('--runner <name>', 'older form of --placement: local = lambda, inprocess')
        .choices(['local', 'inprocess'])
        .default('local'),
    )
    .addOption(
      new Option(
        '--placement <where>',
        'auto (default): the planner chooses (printed with its reason, stored in the job plan; on a local home: in-process unless the run is longer than 10 min, then batch); inprocess; lambda (the queued runner: local cloud here, SQS + Lambda on AWS); batch (the Batch GPU job; a child process here)',
      ).choices(PLACEMENT_CHOICES),
    )
    .addOption(
      new Option('--sync <mode>', 'gd: one gradient per round; local-sgd: K local steps, averaged').choices(
        SYNC_MODES,
      ),
    )
    .option('--local-steps <K>', 'local steps per round with --sync local-sgd', positiveInt)
    .option(
      '--features <cols>',
      'comma-separated feature columns (default: every numeric column but the target)',
    )
    .option('--pca <k>', 'reduce the features to k principal components', positiveInt)
    .option('--holdout <f>', 'fraction of rows held out for evaluation', fraction)
    .option('--name <model>', 'registry model name (default: the dataset name)')
    .option('--json', 'print one JSON object')
    .action(async (_o: unknown, cmd: Command) => {
      // Two schemas over the same flags: where the job runs and on what, and how it trains.
      const { placement, ...args } = parseOptions(trainFlagsSchema, cmd);
      const options = parseOptions(trainOptionsSchema, cmd);
      await train(
        session(cmd),
        {
          ...args,
          runnerExplicit: cmd.getOptionValueSource('runner') === 'cli',
          ...(placement !== undefined ? { placement } : {}),
          options,
        },
        io,
      );
    });
}
