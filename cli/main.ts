import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { backendLabel } from '../functions/shared/runtime.js';
import { keys } from '../lib/engine/keys.js';
import {
  ALGORITHMS,
  jobSpecSchema,
  MODEL_KINDS,
  OPTIMIZERS,
  SCHEDULES,
  SOLVER_CHOICES,
  SYNC_MODES,
  type TrainOptions,
} from '../lib/engine/training/job-spec.js';
import { readJson } from '../lib/engine/training/job-store.js';
import { resumeJob } from '../lib/engine/training/resume.js';
import { NotFoundError } from '../lib/errors.js';
import { seedExample, toCsv } from '../lib/examples/generators.js';
import { PLACEMENT_CHOICES, type PlacementChoice } from '../lib/planner/placement.js';
import { afterUpload } from './commands/after-upload.js';
import { evaluate, predict } from './commands/evaluate.js';
import {
  datasetsList,
  deadLetters,
  jobStatus,
  jobsList,
  modelsList,
  modelsShow,
  redriveDeadLetters,
} from './commands/inspect.js';
import { printTrainResult, waitForJob } from './commands/job-progress.js';
import {
  modelsHistory,
  modelsPromote,
  modelsRollback,
  pipelinesCreate,
  pipelinesList,
  pipelinesRun,
  pipelinesShow,
} from './commands/lifecycle.js';
import { plan } from './commands/plan.js';
import { report } from './commands/report.js';
import { train, versionOfJob } from './commands/train.js';
import { ui } from './commands/ui.js';
import { reportError } from './errors.js';
import { type Home, homeDir } from './home.js';
import { type Io, processIo } from './output.js';
import { Session } from './session.js';
import {
  fraction,
  nonNeg,
  nonNegInt,
  positive,
  positiveInt,
  seedFlag,
  versionArg,
  workersFlag,
} from './validate.js';

interface Globals {
  home?: string;
  debug?: boolean;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let debug = argv.includes('--debug');
  let awsHome: Home | undefined;
  const sessions: Session[] = [];
  const session = (cmd: Command): Session => {
    const g = cmd.optsWithGlobals<Globals>();
    debug = g.debug === true;
    const s = new Session(
      homeDir(g.home),
      {
        ...(process.env.SHARDTRAIN_WORKER_THREADS !== undefined
          ? { workerThreads: Number(process.env.SHARDTRAIN_WORKER_THREADS) }
          : {}),
        ...(process.env.SHARDTRAIN_VISIBILITY_TIMEOUT !== undefined
          ? { visibilityTimeoutSeconds: Number(process.env.SHARDTRAIN_VISIBILITY_TIMEOUT) }
          : {}),
      },
      awsHome,
    );
    sessions.push(s);
    return s;
  };
  const program = buildProgram(session, io);
  try {
    // SHARDTRAIN_CLOUD=aws: the store, registry and queues of the deployed stack instead of the
    // local cloud (loaded only then, so local use never pays for the AWS SDK).
    if (process.env.SHARDTRAIN_CLOUD === 'aws') awsHome = (await import('./aws-home.js')).openAwsHome();
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, debug, io.err);
  } finally {
    for (const s of sessions) await s.close();
  }
}

function buildProgram(session: (cmd: Command) => Session, io: Io): Command {
  const program = new Command('shardtrain')
    .description(
      'Train and manage models with distributed gradient descent, on AWS or an embedded local cloud',
    )
    .option('--home <dir>', 'where the local store lives (default: $SHARDTRAIN_HOME or ./.shardtrain)')
    .option('--debug', 'print stack traces')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined })
    .showSuggestionAfterError(true);

  program
    .command('upload <file>')
    .description(
      'upload a CSV or Parquet file as a new version of a dataset; it is validated and preprocessed on arrival',
    )
    .requiredOption('--dataset <name>', 'dataset name')
    .option('--json', 'print the upload record as JSON')
    .action(async (file: string, o: { dataset: string; json?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const record = await s.upload(file, o.dataset);
      const triggered =
        record.state === 'ready'
          ? await afterUpload(s, record.dataset, record.version, io, o.json === true)
          : [];
      if (o.json) io.out(JSON.stringify({ ...record, pipelines: triggered }));
      else if (record.state === 'ready') {
        io.out(
          `dataset ${record.dataset} version ${record.version}: ${record.rows} rows, columns ${record.columns.join(', ')}`,
        );
      }
    });

  program
    .command('train')
    .description('train a model (through the local cloud by default)')
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
    .option('--workers <N>', 'data-parallel workers (partitions)', workersFlag, 1)
    .option('--seed <S>', 'random seed', seedFlag)
    .addOption(new Option('--runner <name>', 'where to run').choices(['local', 'inprocess']).default('local'))
    .addOption(
      new Option(
        '--placement <where>',
        'auto: the planner chooses (printed with its reason, stored in the job plan); inprocess; lambda (the queued runner: local cloud here, SQS + Lambda on AWS); batch (the Batch GPU job; a child process here). Default: auto on AWS, lambda here',
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
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const options: TrainOptions = {
        ...(o.solver !== undefined ? { solver: o.solver as TrainOptions['solver'] } : {}),
        ...(o.algorithm !== undefined ? { algorithm: o.algorithm as TrainOptions['algorithm'] } : {}),
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
        ...(o.lr !== undefined ? { lr: o.lr as number } : {}),
        ...(o.optimizer !== undefined ? { optimizer: o.optimizer as TrainOptions['optimizer'] } : {}),
        ...(o.schedule !== undefined ? { schedule: o.schedule as TrainOptions['schedule'] } : {}),
        ...(o.decaySteps !== undefined ? { decaySteps: o.decaySteps as number } : {}),
        ...(o.decayRate !== undefined ? { decayRate: o.decayRate as number } : {}),
        ...(o.epochs !== undefined ? { epochs: o.epochs as number } : {}),
        ...(o.tol !== undefined ? { tol: o.tol as number } : {}),
        ...(o.l2 !== undefined ? { l2: o.l2 as number } : {}),
        ...(o.seed !== undefined ? { seed: o.seed as number } : {}),
        ...(o.sync !== undefined ? { sync: o.sync as TrainOptions['sync'] } : {}),
        ...(o.localSteps !== undefined ? { localSteps: o.localSteps as number } : {}),
      };
      await train(
        session(cmd),
        {
          ...(o.dataset !== undefined ? { dataset: o.dataset as string } : {}),
          ...(o.data !== undefined ? { data: o.data as string } : {}),
          target: o.target as string,
          model: o.model as 'linear',
          ...(o.features !== undefined
            ? { features: (o.features as string).split(',').map((s) => s.trim()) }
            : {}),
          ...(o.name !== undefined ? { name: o.name as string } : {}),
          ...(o.pca !== undefined ? { pca: o.pca as number } : {}),
          ...(o.holdout !== undefined ? { holdout: o.holdout as number } : {}),
          workers: o.workers as number,
          runner: o.runner as 'local',
          runnerExplicit: cmd.getOptionValueSource('runner') === 'cli',
          ...(o.placement !== undefined ? { placement: o.placement as PlacementChoice } : {}),
          options,
          json: o.json === true,
        },
        io,
      );
    });

  program
    .command('resume <jobId>')
    .description('finish a job whose process was killed, from what is on disk')
    .option('--json', 'print one JSON object, as train does')
    .action(async (jobId: string, o: { json?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const raw = await readJson(s.home.store, keys.job.spec(jobId));
      if (raw === undefined) throw new NotFoundError(`no job "${jobId}" (see: shardtrain jobs)`);
      const spec = jobSpecSchema.parse(raw);
      const started = Date.now();
      const runtime = await s.runtime();
      await resumeJob(runtime.engine(), jobId);
      const artifact = await waitForJob(s, jobId, io, o.json !== true);
      const version = await versionOfJob(s.home.registry, spec.modelName, jobId);
      printTrainResult(
        io,
        {
          modelId: version === undefined ? jobId : `${spec.modelName}@${version}`,
          jobId,
          artifact,
          backend: backendLabel(runtime.backend),
          runner: 'local',
          wallMs: Date.now() - started,
        },
        o.json === true,
      );
    });

  program
    .command('evaluate')
    .description('score a model on a labelled CSV')
    .requiredOption('--model <ref>', 'model: name@version, name@alias, a job id, or a model JSON file')
    .requiredOption('--data <file>', 'CSV with the model features and target')
    .option('--json', 'print one JSON object')
    .action(async (o: { model: string; data: string; json?: boolean }, cmd: Command) => {
      await evaluate(session(cmd), { model: o.model, data: o.data, json: o.json === true }, io);
    });

  program
    .command('predict')
    .description('predict for every row of a CSV')
    .requiredOption('--model <ref>', 'model: name@version, name@alias, a job id, or a model JSON file')
    .requiredOption('--data <file>', 'CSV with the model features')
    .option('--out <file>', 'write predictions here (default: standard output)')
    .action(async (o: { model: string; data: string; out?: string }, cmd: Command) => {
      await predict(
        session(cmd),
        { model: o.model, data: o.data, ...(o.out !== undefined ? { out: o.out } : {}) },
        io,
      );
    });

  const models = program.command('models').description('the model registry');
  models
    .command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await modelsList(session(cmd), o.json === true, io);
    });
  models
    .command('show <ref>')
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { json?: boolean }, cmd: Command) => {
      await modelsShow(session(cmd), ref, o.json === true, io);
    });

  models
    .command('history <name>')
    .description('every alias move, or which version each alias pointed at, at a time')
    .option('--alias <alias>', 'only this alias')
    .option('--at <time>', 'ISO time: the aliases at that instant')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { alias?: string; at?: string; json?: boolean }, cmd: Command) => {
      await modelsHistory(
        session(cmd),
        name,
        {
          ...(o.alias !== undefined ? { alias: o.alias } : {}),
          ...(o.at !== undefined ? { at: o.at } : {}),
          json: o.json === true,
        },
        io,
      );
    });
  models
    .command('promote <name> <version>')
    .description('point an alias (default: champion) at a version')
    .option('--alias <alias>', 'alias to move', 'champion')
    .option('--reason <text>', 'recorded in the alias history')
    .option('--json', 'JSON output')
    .action(
      async (
        name: string,
        version: string,
        o: { alias: string; reason?: string; json?: boolean },
        cmd: Command,
      ) => {
        await modelsPromote(
          session(cmd),
          name,
          versionArg(version),
          { alias: o.alias, ...(o.reason !== undefined ? { reason: o.reason } : {}), json: o.json === true },
          io,
        );
      },
    );
  models
    .command('rollback <name>')
    .description('move an alias (default: champion) back to where it was before its last move')
    .option('--alias <alias>', 'alias to move back', 'champion')
    .option('--reason <text>', 'recorded in the alias history')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { alias: string; reason?: string; json?: boolean }, cmd: Command) => {
      await modelsRollback(
        session(cmd),
        name,
        { alias: o.alias, ...(o.reason !== undefined ? { reason: o.reason } : {}), json: o.json === true },
        io,
      );
    });

  const pipelines = program.command('pipelines').description('scheduled retraining with a promotion gate');
  pipelines
    .command('create <name>')
    .requiredOption('--dataset <name>', 'dataset to train on (its newest version each run)')
    .requiredOption('--target <col>', 'the column to predict')
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).makeOptionMandatory())
    .requiredOption('--schedule <expr>', 'EventBridge schedule, e.g. "cron(0 3 * * ? *)" or "rate(1 day)"')
    .option('--model-name <name>', 'registry model name (default: the pipeline name)')
    .option('--workers <N>', 'data-parallel workers', workersFlag, 1)
    .option('--epochs <E>', 'maximum epochs', positiveInt)
    .option('--lr <x>', 'initial learning rate', positive)
    .addOption(
      new Option('--solver <name>', 'auto (default), normal, newton, lbfgs or gd').choices(SOLVER_CHOICES),
    )
    .addOption(new Option('--optimizer <name>', 'update rule').choices(OPTIMIZERS))
    .addOption(new Option('--algorithm <name>', 'gradient descent variant').choices(ALGORITHMS))
    .option('--holdout <f>', 'holdout fraction for the gate', fraction, 0.2)
    .option('--metric <name>', 'gate metric (default: rmse for linear, logloss for classifiers)')
    .option('--margin <x>', 'the challenger must be better by at least this', nonNeg, 0)
    .addOption(
      new Option('--margin-mode <mode>', 'margin units')
        .choices(['absolute', 'relative'])
        .default('absolute'),
    )
    .option('--train-on-upload', 'train when a new dataset version arrives')
    .option('--retrain-on-drift', "train when a new version drifts from the champion's training data")
    .option('--drift-threshold <psi>', 'PSI above which a feature has drifted', positive, 0.2)
    .option('--json', 'JSON output')
    .action(async (name: string, o: Record<string, unknown>, cmd: Command) => {
      await pipelinesCreate(
        session(cmd),
        {
          name,
          dataset: o.dataset as string,
          target: o.target as string,
          model: o.model as 'linear',
          modelName: (o.modelName as string | undefined) ?? name,
          options: {
            ...(o.solver !== undefined ? { solver: o.solver as TrainOptions['solver'] } : {}),
            ...(o.epochs !== undefined ? { epochs: o.epochs as number } : {}),
            ...(o.lr !== undefined ? { lr: o.lr as number } : {}),
            ...(o.optimizer !== undefined ? { optimizer: o.optimizer as TrainOptions['optimizer'] } : {}),
            ...(o.algorithm !== undefined ? { algorithm: o.algorithm as TrainOptions['algorithm'] } : {}),
          },
          workers: o.workers as number,
          holdoutFraction: o.holdout as number,
          schedule: o.schedule as string,
          gate: {
            ...(o.metric !== undefined ? { metric: o.metric as string } : {}),
            margin: o.margin as number,
            mode: o.marginMode as 'absolute',
          },
          trainOnUpload: o.trainOnUpload === true,
          retrainOnDrift: o.retrainOnDrift === true,
          driftThreshold: o.driftThreshold as number,
        },
        o.json === true,
        io,
      );
    });
  pipelines
    .command('run <name>')
    .description('run a pipeline now, as its schedule would')
    .option('--force', 'train even if the champion was trained on the newest data')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { force?: boolean; json?: boolean }, cmd: Command) => {
      await pipelinesRun(session(cmd), name, { force: o.force === true, json: o.json === true }, io);
    });
  pipelines
    .command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await pipelinesList(session(cmd), o.json === true, io);
    });
  pipelines
    .command('show <name>')
    .description('a pipeline and every decision it made')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      await pipelinesShow(session(cmd), name, o.json === true, io);
    });

  program
    .command('datasets')
    .description('uploaded datasets: versions, and failed uploads with their errors')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await datasetsList(session(cmd), o.json === true, io);
    });
  program
    .command('jobs')
    .description('training jobs: id, state, round, dataset')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await jobsList(session(cmd), o.json === true, io);
    });
  program
    .command('status <jobId>')
    .description('round, loss, lr and queue depths of a job')
    .option('--json', 'JSON output')
    .action(async (jobId: string, o: { json?: boolean }, cmd: Command) => {
      await jobStatus(session(cmd), jobId, o.json === true, io);
    });

  program
    .command('plan')
    .description('where a job is cheapest: in-process, Lambda fan-out (W, memory) or a Batch GPU job')
    .requiredOption('--dataset <name>', 'dataset (its newest version)')
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).default('linear'))
    .option('--classes <K>', 'classes (softmax)', positiveInt, 2)
    .option('--rounds <R>', "expected rounds (default: the solver's own estimate)", positiveInt)
    .addOption(new Option('--solver <name>', 'solver (default auto, as train)').choices(SOLVER_CHOICES))
    .addOption(new Option('--algorithm <name>', 'gradient descent variant').choices(ALGORITHMS))
    .option('--calibrate', "measure this machine's kernel again (cached per machine under the home)")
    .option('--batch-size <B>', 'mini-batch size', positiveInt)
    .option('--deadline <s>', 'finish within this many seconds', positive)
    .option('--fastest', 'pick the fastest placement, not the cheapest')
    .option('--max-workers <W>', 'Lambda concurrency available', positiveInt, 64)
    .option('--json', 'JSON output')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      await plan(
        session(cmd),
        {
          dataset: o.dataset as string,
          model: o.model as 'linear',
          classes: o.classes as number,
          ...(o.rounds !== undefined ? { rounds: o.rounds as number } : {}),
          ...(o.solver !== undefined ? { solver: o.solver as TrainOptions['solver'] & string } : {}),
          ...(o.algorithm !== undefined ? { algorithm: o.algorithm as 'batch' } : {}),
          calibrate: o.calibrate === true,
          ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
          ...(o.deadline !== undefined ? { deadline: o.deadline as number } : {}),
          fastest: o.fastest === true,
          maxWorkers: o.maxWorkers as number,
          json: o.json === true,
        },
        io,
      );
    });

  program
    .command('report <ref>')
    .description(
      'one self-contained HTML report of a job (a job id, or name@version): curves, model, evaluation, data',
    )
    .option('--out <file>', 'where to write it', 'report.html')
    .option('--data <file>', 'evaluate on this labelled CSV instead of the holdout')
    .option('--url', 'SHARDTRAIN_CLOUD=aws: print a presigned link to the report stored next to the job')
    .option('--json', 'print where it went as JSON')
    .action(
      async (ref: string, o: { out: string; data?: string; url?: boolean; json?: boolean }, cmd: Command) => {
        await report(
          session(cmd),
          {
            ref,
            out: o.out,
            ...(o.data !== undefined ? { data: o.data } : {}),
            url: o.url === true,
            json: o.json === true,
          },
          io,
        );
      },
    );
  program
    .command('ui')
    .description(
      'a local dashboard over the home (or the deployed bucket): datasets, jobs, models, pipelines',
    )
    .option('--port <n>', 'TCP port', nonNegInt, 4800)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--allow-writes', 'allow promote and rollback from the dashboard')
    .action(async (o: { port: number; host: string; allowWrites?: boolean }, cmd: Command) => {
      await ui(session(cmd), { port: o.port, host: o.host, allowWrites: o.allowWrites === true }, io);
    });

  const dlq = program
    .command('dlq')
    .description('messages in the dead-letter queues, with the reason each one failed')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await deadLetters(session(cmd), o.json === true, io);
    });
  dlq
    .command('redrive')
    .description(
      'move dead letters back to their queues (after fixing the cause); they run on the next command',
    )
    .option('--queue <name>', 'only this dead-letter queue')
    .option('--json', 'JSON output')
    .action(async (o: { queue?: string; json?: boolean }, cmd: Command) => {
      await redriveDeadLetters(
        session(cmd),
        {
          ...(o.queue !== undefined ? { queue: o.queue } : {}),
          // `dlq redrive --json`: commander gives `--json` to `dlq`, which declares it too.
          json: o.json === true || cmd.optsWithGlobals<{ json?: boolean }>().json === true,
        },
        io,
      );
    });

  program
    .command('demo')
    .description('the whole job on the worked example y = 2x + ε: data, upload, preprocess, train, evaluate')
    .action(async (_o: unknown, cmd: Command) => {
      const s = session(cmd);
      const dir = join(s.root, 'examples');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'seed.csv');
      writeFileSync(file, toCsv(seedExample()));
      io.out(`1. generated ${file}: y = 2x + ε, 100 points, noise 0.1, seed 42`);
      const record = await s.upload(file, 'seed');
      if (record.state === 'ready')
        io.out(`2. uploaded and preprocessed: dataset seed version ${record.version}`);
      io.out('3. training linear regression through the local cloud (4 workers)');
      const result = await train(
        s,
        {
          dataset: 'seed',
          target: 'y',
          model: 'linear',
          workers: 4,
          runner: 'local',
          options: {},
          json: false,
        },
        io,
      );
      io.out('4. evaluating on the same data');
      await evaluate(s, { model: result.modelId, data: file, json: false }, io);
    });
  return program;
}
