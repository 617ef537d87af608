import { type Command, Option } from 'commander';
import { z } from 'zod';
import { ALGORITHMS, MODEL_KINDS, OPTIMIZERS, SOLVER_CHOICES } from '../../lib/engine/training/job-spec.js';
import { PLACEMENT_CHOICES } from '../../lib/planner/placement.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import { fraction, nonNeg, positive, positiveInt, workersFlag } from '../validate.js';
import { assertPipelineName } from './entry-args.js';
import { pipelinesCreate, pipelinesList, pipelinesRun, pipelinesShow } from './lifecycle.js';

const jsonFlag = z.object({ json: z.boolean().default(false) });

/** The options of `pipelines create`, as commander hands them over (flags already range-checked). */
export const pipelineCreateFlagsSchema = jsonFlag.extend({
  dataset: z.string(),
  target: z.string(),
  model: z.enum(MODEL_KINDS),
  schedule: z.string(),
  modelName: z.string().optional(),
  workers: z.number(),
  placement: z.enum(PLACEMENT_CHOICES).optional(),
  epochs: z.number().optional(),
  lr: z.number().optional(),
  solver: z.enum(SOLVER_CHOICES).optional(),
  optimizer: z.enum(OPTIMIZERS).optional(),
  algorithm: z.enum(ALGORITHMS).optional(),
  holdout: z.number(),
  metric: z.string().optional(),
  margin: z.number(),
  marginMode: z.enum(['absolute', 'relative']),
  trainOnUpload: z.boolean().default(false),
  retrainOnDrift: z.boolean().default(false),
  driftThreshold: z.number(),
});
export const pipelineRunFlagsSchema = jsonFlag.extend({ force: z.boolean().default(false) });

/** Declares `shardtrain pipelines` (scheduled retraining): create, run, list, show. */
export function registerPipelines(program: Command, { session, io }: CommandContext): void {
  const pipelines = program.command('pipelines').description('scheduled retraining with a promotion gate');
  pipelines
    .command('create <name>')
    .requiredOption('--dataset <name>', 'dataset to train on (its newest version each run)')
    .requiredOption('--target <col>', 'the column to predict')
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).makeOptionMandatory())
    .requiredOption('--schedule <expr>', 'EventBridge schedule, e.g. "cron(0 3 * * ? *)" or "rate(1 day)"')
    .option('--model-name <name>', 'registry model name (default: the pipeline name)')
    .option('--workers <N>', 'data-parallel workers', workersFlag, 1)
    .addOption(
      new Option(
        '--placement <where>',
        "where each run goes: auto (default, the planner's choice), inprocess or lambda (the queues), batch",
      ).choices(PLACEMENT_CHOICES),
    )
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
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const {
        json,
        modelName,
        holdout,
        metric,
        margin,
        marginMode,
        epochs,
        lr,
        solver,
        optimizer,
        algorithm,
        ...o
      } = parseOptions(pipelineCreateFlagsSchema, cmd);
      await pipelinesCreate(
        session(cmd),
        {
          name,
          ...o,
          modelName: modelName ?? name,
          options: { solver, epochs, lr, optimizer, algorithm },
          holdoutFraction: holdout,
          gate: { metric, margin, mode: marginMode },
        },
        json,
        io,
      );
    });
  pipelines
    .command('run <name>')
    .description('run a pipeline now, as its schedule would')
    .option('--force', 'train even if the champion was trained on the newest data')
    .option('--json', 'JSON output')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      assertPipelineName(name);
      await pipelinesRun(session(cmd), name, parseOptions(pipelineRunFlagsSchema, cmd), io);
    });
  pipelines
    .command('list')
    .option('--json', 'JSON output')
    .action(async (_o: unknown, cmd: Command) => {
      await pipelinesList(session(cmd), parseOptions(jsonFlag, cmd).json, io);
    });
  pipelines
    .command('show <name>')
    .description('a pipeline and every decision it made')
    .option('--json', 'JSON output')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      assertPipelineName(name);
      await pipelinesShow(session(cmd), name, parseOptions(jsonFlag, cmd).json, io);
    });
}
