import { type Command, Option } from 'commander';
import { z } from 'zod';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import { ALGORITHMS, MODEL_KINDS, SOLVER_CHOICES } from '../../lib/engine/training/job-spec.js';
import { UsageError } from '../../lib/errors.js';
import { resolveTrainConfig, type SolverChoice } from '../../lib/optim/index.js';
import {
  type CostModel,
  choosePlacement,
  DEFAULT_COST_MODEL,
  formatSeconds,
  lambdaRateSource,
  lambdaWorkPerSecond,
  type PlacementCandidate,
  type PlacementDecisionSummary,
  workloadOf,
} from '../../lib/planner/index.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import { type Io, num } from '../output.js';
import type { Session } from '../session.js';
import { hiddenFlag, positive, positiveInt } from '../validate.js';
import { awsBaseCostModel, hostCalibration, hostCostModel, hostMlpCalibration } from './placement.js';

/** What `plan --json` prints. */
export interface PlanOutput {
  readonly dataset: string;
  readonly rows: number;
  readonly features: number;
  readonly classes: number;
  readonly solver: string;
  readonly rounds: number;
  /** Where the round count comes from (the solver's estimate, or `--rounds`). */
  readonly roundsWhy: string;
  /** This machine's kernel throughput (cached per machine under the home) and Lambda's per memory size. */
  readonly calibration: {
    readonly kernel: string;
    readonly machine: string;
    readonly rowFeaturesPerSecond: number;
    readonly measuredAt: string;
    /** Per memory size: the job kernel's rate (multiply-adds/s) the Lambda candidates are priced at. */
    readonly lambdaRowFeaturesPerSecond: Readonly<Record<string, number>>;
    /**
     * Per memory size: where that rate comes from — `published`, or `measured at N MB on <date>
     * (median of k)` from the work Lambdas' records (AWS homes only).
     */
    readonly lambdaRateSource: Readonly<Record<string, string>>;
    /**
     * With `--model mlp`: the MLP kernel's measured rate (one thread, multiply-adds per second;
     * a row costs ≈ 3 × the network's weights), which prices the in-process candidate; cached per
     * machine beside the kernel's figure.
     */
    readonly mlp?: {
      readonly kernel: string;
      readonly multiplyAddsPerSecond: number;
      readonly multiplyAddsPerRow: number;
      readonly measuredAt: string;
    };
  };
  readonly decision: PlacementDecisionSummary;
  readonly candidates: readonly PlacementCandidate[];
}

const LAMBDA_SIZES = [512, 1024, 1769, 3008, 5308, 10240] as const;

/**
 * `shardtrain plan`: where a training job on a dataset runs best — in this process, as a Lambda
 * fan-out of W workers, or as a Batch GPU job — with every candidate's seconds and dollars.
 * Rounds come from the solver's own estimate unless `--rounds` is given; this machine's kernel
 * speed from a short calibration (cached; `--calibrate` measures again).
 */
export async function plan(
  session: Session,
  o: {
    dataset: string;
    target?: string;
    model: (typeof MODEL_KINDS)[number];
    classes: number;
    hidden?: number[];
    solver?: SolverChoice;
    rounds?: number;
    algorithm?: 'sgd' | 'minibatch' | 'batch';
    batchSize?: number;
    deadline?: number;
    fastest: boolean;
    maxWorkers: number;
    calibrate: boolean;
    json: boolean;
  },
  io: Io,
): Promise<PlanOutput> {
  const { manifest } = await resolveDataset(session.home.store, o.dataset);
  const features = planFeatures(manifest.columns, o.model, o.target);
  if (o.algorithm === 'minibatch' && o.batchSize === undefined)
    throw new UsageError('--algorithm minibatch needs --batch-size');
  if (o.hidden !== undefined && o.model !== 'mlp') throw new UsageError('--hidden belongs to --model mlp');
  // An mlp's head: softmax over --classes when there are more than two, else logistic.
  const mlpHead = o.classes > 2 ? 'softmax' : 'logistic';
  const softmaxOut = o.model === 'softmax' || (o.model === 'mlp' && mlpHead === 'softmax');
  const classes = softmaxOut ? o.classes : 1;
  const config = resolveTrainConfig(
    {
      spec: {
        kind: o.model,
        numFeatures: features,
        ...(softmaxOut ? { numClasses: classes } : {}),
        ...(o.model === 'mlp' ? { hidden: o.hidden ?? [100], head: mlpHead } : {}),
      },
      ...(o.solver !== undefined ? { solver: o.solver } : {}),
      ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    },
    { rows: manifest.rows },
  );
  const { why, ...estimated } = workloadOf(config, [manifest.rows], manifest.shardBytes);
  const workload = o.rounds === undefined ? estimated : { ...estimated, rounds: o.rounds };
  const roundsWhy = o.rounds === undefined ? why : `--rounds ${o.rounds}`;
  const calibration = await hostCalibration(session, o.calibrate);
  const mlp = workload.kernel === 'mlp' ? await hostMlpCalibration(session, o.calibrate) : undefined;
  const base: CostModel =
    session.cloudKind === 'local' ? DEFAULT_COST_MODEL : await awsBaseCostModel(session);
  const cost = hostCostModel(calibration, base, mlp);
  const kernel = workload.kernel ?? 'linear';
  const { summary, candidates } = choosePlacement(workload, cost, {
    maxWorkers: o.maxWorkers,
    ...(o.deadline !== undefined ? { deadlineSeconds: o.deadline } : {}),
  });
  // --fastest: the fastest feasible candidate instead of the cheapest in time.
  const decision = o.fastest ? fastestOf(summary, candidates) : summary;
  const out: PlanOutput = {
    dataset: o.dataset,
    rows: manifest.rows,
    features,
    classes,
    solver: config.solver,
    rounds: workload.rounds,
    roundsWhy,
    calibration: {
      kernel: calibration.kernel,
      machine: calibration.machine,
      rowFeaturesPerSecond: calibration.rowFeaturesPerSecond,
      measuredAt: calibration.measuredAt,
      lambdaRowFeaturesPerSecond: Object.fromEntries(
        lambdaSizes(cost).map((m) => [String(m), lambdaWorkPerSecond(workload, m, cost)]),
      ),
      lambdaRateSource: Object.fromEntries(
        lambdaSizes(cost).map((m) => [String(m), lambdaRateSource(cost, m, kernel)]),
      ),
      ...(mlp !== undefined
        ? {
            mlp: {
              kernel: mlp.kernel,
              multiplyAddsPerSecond: mlp.rowFeaturesPerSecond,
              multiplyAddsPerRow: workload.rowWork ?? 0,
              measuredAt: mlp.measuredAt,
            },
          }
        : {}),
    },
    decision,
    candidates,
  };
  if (o.json) {
    io.out(JSON.stringify(out));
    return out;
  }
  io.out(
    `${o.dataset}: ${manifest.rows} rows × ${features} features, solver ${config.solver}, ${workload.rounds} rounds (${roundsWhy}) → ${decision.label}`,
  );
  io.out(`  ${decision.reason}`);
  io.out(
    `  this machine: ${calibration.kernel} at ${num(calibration.rowFeaturesPerSecond)} rows·features/s (measured ${calibration.measuredAt})`,
  );
  if (mlp !== undefined) {
    io.out(
      `  mlp kernel: ${mlp.kernel} at ${num(mlp.rowFeaturesPerSecond)} multiply-adds/s, ${num(workload.rowWork ?? 0)} a row (≈ 3 × weights)`,
    );
  }
  for (const m of lambdaSizes(cost).filter(
    (m) => out.calibration.lambdaRateSource[String(m)] !== 'published',
  )) {
    io.out(
      `  lambda ${m} MB: ${num(lambdaWorkPerSecond(workload, m, cost))} multiply-adds/s, ${lambdaRateSource(cost, m, kernel)} (other sizes: published)`,
    );
  }
  for (const c of candidates
    .filter((x) => x.rejection === null)
    .sort((a, b) => a.dollars - b.dollars)
    .slice(0, 12)) {
    io.out(
      `  ${c.label.padEnd(36)} ${formatSeconds(c.seconds).padStart(10)}  $${num(c.dollars).padEnd(10)} ${c.meetsDeadline ? '' : 'misses deadline'}`,
    );
  }
  return out;
}

/** The Lambda sizes `plan` reports: the usual ones and every size with a measured rate. */
function lambdaSizes(cost: CostModel): number[] {
  const measured = (cost.lambdaMeasured ?? []).map((r) => r.memoryMb);
  return [...new Set([...LAMBDA_SIZES, ...measured])].sort((a, b) => a - b);
}

function fastestOf(
  summary: PlacementDecisionSummary,
  candidates: readonly PlacementCandidate[],
): PlacementDecisionSummary {
  const best = candidates
    .filter((c) => c.rejection === null)
    .sort((a, b) => a.seconds - b.seconds || a.dollars - b.dollars)[0];
  if (best === undefined) return summary;
  return {
    placement: best.placement,
    label: best.label,
    reason: `${best.label} is the fastest feasible placement (--fastest): ${formatSeconds(best.seconds)}, $${best.dollars.toPrecision(3)}.`,
    seconds: best.seconds,
    dollars: best.dollars,
    rounds: summary.rounds,
    workers: best.workers,
  };
}

export const planFlagsSchema = z.object({
  dataset: z.string(),
  target: z.string().optional(),
  model: z.enum(MODEL_KINDS),
  classes: z.number(),
  hidden: z.array(z.number()).optional(),
  rounds: z.number().optional(),
  solver: z.enum(SOLVER_CHOICES).optional(),
  algorithm: z.enum(ALGORITHMS).optional(),
  calibrate: z.boolean().default(false),
  batchSize: z.number().optional(),
  deadline: z.number().optional(),
  fastest: z.boolean().default(false),
  maxWorkers: z.number(),
  json: z.boolean().default(false),
});

/**
 * The feature count a job on these columns trains on: the numeric columns less the target. With
 * `--target` that column is left out (and must exist); without it, a classifier's label is taken to
 * be the text column when there is one, and otherwise one numeric column is the target.
 */
export function planFeatures(
  columns: readonly { name: string; type: string }[],
  model: (typeof MODEL_KINDS)[number],
  target: string | undefined,
): number {
  const numeric = columns.filter((c) => c.type === 'numeric');
  if (target !== undefined) {
    const column = columns.find((c) => c.name === target);
    if (column === undefined) throw new UsageError(`--target ${target}: no such column in the dataset`);
    return Math.max(1, numeric.length - (column.type === 'numeric' ? 1 : 0));
  }
  const labelIsText = model !== 'linear' && numeric.length < columns.length;
  return Math.max(1, numeric.length - (labelIsText ? 0 : 1));
}

/** Declares `shardtrain plan`. */
export function registerPlan(program: Command, { session, io }: CommandContext): void {
  program
    .command('plan')
    .description('where a job is cheapest: in-process, Lambda fan-out (W, memory) or a Batch GPU job')
    .requiredOption('--dataset <name>', 'dataset (its newest version)')
    .option(
      '--target <column>',
      'the label column (default: a text column for a classifier, else one numeric column)',
    )
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).default('linear'))
    .option('--classes <K>', "classes (softmax, or an mlp's softmax head when > 2)", positiveInt, 2)
    .option('--hidden <sizes>', 'mlp hidden layer sizes, e.g. 128,64 (default 100)', hiddenFlag)
    .option('--rounds <R>', "expected rounds (default: the solver's own estimate)", positiveInt)
    .addOption(new Option('--solver <name>', 'solver (default auto, as train)').choices(SOLVER_CHOICES))
    .addOption(new Option('--algorithm <name>', 'gradient descent variant').choices(ALGORITHMS))
    .option('--calibrate', "measure this machine's kernel again (cached per machine under the home)")
    .option('--batch-size <B>', 'mini-batch size', positiveInt)
    .option('--deadline <s>', 'finish within this many seconds', positive)
    .option('--fastest', 'pick the fastest placement, not the cheapest')
    .option('--max-workers <W>', 'Lambda concurrency available', positiveInt, 64)
    .option('--json', 'JSON output')
    .action(async (_o: unknown, cmd: Command) => {
      await plan(session(cmd), parseOptions(planFlagsSchema, cmd), io);
    });
}
