import { type Command, Option } from 'commander';
import { z } from 'zod';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import { ALGORITHMS, MODEL_KINDS } from '../../lib/engine/training/job-spec.js';
import { UsageError } from '../../lib/errors.js';
import { planJobPlacement } from '../../lib/planner/index.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import { type Io, num } from '../output.js';
import type { Session } from '../session.js';
import { positive, positiveInt } from '../validate.js';

/**
 * `shardtrain plan`: where a training job on a dataset is cheapest (or fastest): in one process,
 * as a Lambda fan-out of W workers, or as a Batch GPU job — with every candidate's estimate.
 */
export async function plan(
  session: Session,
  o: {
    dataset: string;
    model: (typeof MODEL_KINDS)[number];
    classes: number;
    rounds: number;
    algorithm: 'sgd' | 'minibatch' | 'batch';
    batchSize?: number;
    deadline?: number;
    fastest: boolean;
    maxWorkers: number;
    json: boolean;
  },
  io: Io,
) {
  const { manifest } = await resolveDataset(session.home.store, o.dataset);
  const features =
    manifest.columns.filter((c) => c.type === 'numeric').length - (o.model === 'linear' ? 1 : 0);
  if (o.algorithm === 'minibatch' && o.batchSize === undefined)
    throw new UsageError('--algorithm minibatch needs --batch-size');
  const decision = planJobPlacement({
    rows: manifest.rows,
    features: Math.max(1, features),
    classes: o.model === 'softmax' ? o.classes : 1,
    datasetBytes: manifest.shardBytes,
    rounds: o.rounds,
    algorithm: o.algorithm,
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    constraints: {
      maxWorkers: o.maxWorkers,
      lambdaMemoryOptionsMb: [512, 1024, 1769, 3008, 5308, 10240],
      preferCheapest: !o.fastest,
      ...(o.deadline !== undefined ? { deadlineSeconds: o.deadline } : {}),
    },
  });
  if (o.json) {
    io.out(JSON.stringify(decision));
    return decision;
  }
  io.out(
    `${o.dataset}: ${manifest.rows} rows × ${features} features, ${o.rounds} rounds → ${decision.label}`,
  );
  io.out(`  ${decision.reason}`);
  for (const c of decision.candidates
    .slice()
    .sort((a, b) => a.costUsd - b.costUsd)
    .slice(0, 12)) {
    io.out(
      `  ${c.label.padEnd(36)} ${num(c.wallSeconds).padStart(9)} s  $${num(c.costUsd).padEnd(10)} ${c.rejection ?? (c.meetsDeadline ? '' : 'misses deadline')}`,
    );
  }
  return decision;
}

export const planFlagsSchema = z.object({
  dataset: z.string(),
  model: z.enum(MODEL_KINDS),
  classes: z.number(),
  rounds: z.number(),
  algorithm: z.enum(ALGORITHMS),
  batchSize: z.number().optional(),
  deadline: z.number().optional(),
  fastest: z.boolean().default(false),
  maxWorkers: z.number(),
  json: z.boolean().default(false),
});

/** Declares `shardtrain plan`. */
export function registerPlan(program: Command, { session, io }: CommandContext): void {
  program
    .command('plan')
    .description('where a job is cheapest: in-process, Lambda fan-out (W, memory) or a Batch GPU job')
    .requiredOption('--dataset <name>', 'dataset (its newest version)')
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).default('linear'))
    .option('--classes <K>', 'classes (softmax)', positiveInt, 2)
    .option('--rounds <R>', 'expected rounds (epochs × steps per epoch)', positiveInt, 200)
    .addOption(
      new Option('--algorithm <name>', 'gradient descent variant').choices(ALGORITHMS).default('batch'),
    )
    .option('--batch-size <B>', 'mini-batch size', positiveInt)
    .option('--deadline <s>', 'finish within this many seconds', positive)
    .option('--fastest', 'pick the fastest placement, not the cheapest')
    .option('--max-workers <W>', 'Lambda concurrency available', positiveInt, 64)
    .option('--json', 'JSON output')
    .action(async (_o: unknown, cmd: Command) => {
      await plan(session(cmd), parseOptions(planFlagsSchema, cmd), io);
    });
}
