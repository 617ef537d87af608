import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { AGGREGATOR_READ_CONCURRENCY } from '../../lib/app/runtime.js';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import { buildJobSpec } from '../../lib/engine/training/build-job-spec.js';
import { MODEL_KINDS } from '../../lib/engine/training/job-spec.js';
import { INLINE_RESULT_MAX_BYTES } from '../../lib/engine/training/protocol.js';
import { UsageError } from '../../lib/errors.js';
import { selectBackend } from '../../lib/optim/index.js';
import { DEFAULT_COST_MODEL } from '../../lib/planner/index.js';
import { AWS_LATENCY } from '../../lib/simulation/latency-distribution.js';
import {
  formatScaleTable,
  SCALE_SOLVERS,
  type ScaleRow,
  type ScaleSolver,
  scaleTable,
} from '../../lib/simulation/scale-table.js';
import { SimObjectStore } from '../../lib/simulation/sim-object-store.js';
import { MAX_WORKERS, parseIntFlag } from '../../lib/validation/inputs.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { hiddenFlag, positive, positiveInt } from '../validate.js';
import { hostCalibration, hostMlpCalibration } from './placement.js';

const SOLVER_NAMES = Object.keys(SCALE_SOLVERS) as ScaleSolver[];

/** `--workers 1,4,16`: distinct worker counts, each 1..MAX_WORKERS. */
const workersList = (v: string): number[] => {
  try {
    return [...new Set(v.split(',').map((s) => parseIntFlag('value', s.trim(), 1, MAX_WORKERS)))];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
};

/** `--solvers sync-gd,lbfgs`: names of {@link SCALE_SOLVERS}. */
const solversList = (v: string): ScaleSolver[] => {
  const names = v.split(',').map((s) => s.trim());
  const bad = names.find((n) => !(SOLVER_NAMES as string[]).includes(n));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not one of ${SOLVER_NAMES.join(', ')}`);
  return [...new Set(names)] as ScaleSolver[];
};

export const simulateFlagsSchema = z.object({
  dataset: z.string(),
  target: z.string().optional(),
  model: z.enum(MODEL_KINDS),
  workers: z.array(z.number().int().positive()).min(1),
  solvers: z.array(z.enum(SOLVER_NAMES as [ScaleSolver, ...ScaleSolver[]])).min(1),
  epochs: z.number().int().positive().optional(),
  rowScale: z.number().positive(),
  memory: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  baseline: z.boolean().default(false),
  affinity: z.boolean().default(false),
  /** Commander's `--no-claims`: true unless turned off. */
  claims: z.boolean().default(true),
  hidden: z.array(z.number().int().positive()).optional(),
  json: z.boolean().default(false),
});
type SimulateFlags = z.infer<typeof simulateFlagsSchema>;

/** What `simulate --json` prints. */
export interface SimulateOutput {
  readonly dataset: string;
  readonly rows: number;
  readonly rowScale: number;
  readonly model: string;
  readonly calibration: { readonly kernel: string; readonly rowFeaturesPerSecond: number };
  readonly fanIn: {
    readonly readConcurrency: number;
    readonly batchSize: number;
    /** Largest worker result riding in its notification (0: every result stored, `--baseline`). */
    readonly inlineResultMaxBytes: number;
  };
  readonly shardAffinity: boolean;
  /** Whether the workers claimed partitions (W above a worker's cache; off with --affinity or --no-claims). */
  readonly partitionClaims: boolean;
  readonly table: readonly ScaleRow[];
}

/**
 * `shardtrain simulate`: runs the job through the real coordinator in virtual time for each W and
 * solver — S3, SQS and Lambda latencies drawn from published figures, compute at this machine's
 * calibrated kernel rate — and prints wall time, parallel efficiency, rounds and dollars.
 */
export async function simulate(session: Session, o: SimulateFlags, io: Io): Promise<SimulateOutput> {
  if (o.hidden !== undefined && o.model !== 'mlp') throw new UsageError('--hidden belongs to --model mlp');
  const home = session.home.store;
  // --affinity is the upper bound (shard s on instance s, no claim requests); claims are shipped.
  const claims = o.claims && !o.affinity;
  const { manifest, manifestKey } = await resolveDataset(home, o.dataset);
  const target = o.target ?? manifest.columns.at(-1)?.name ?? '';
  const spec = buildJobSpec(
    {
      dataset: o.dataset,
      target,
      model: o.model,
      modelName: `${o.dataset}-simulated`,
      workers: 1,
      options: {
        seed: o.seed,
        ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
        ...(o.hidden !== undefined ? { hidden: o.hidden } : {}),
      },
      idStem: 'sim',
    },
    manifest,
  );
  // The simulation writes its jobs to a store of its own: only the dataset is copied in.
  const store = new SimObjectStore();
  for (const key of [manifestKey, ...manifest.shards.map((s) => s.key)]) {
    const got = await home.get(key);
    if (got === undefined) throw new UsageError(`dataset "${o.dataset}": ${key} is missing from the home`);
    await store.put(key, got.body);
  }
  // An MLP runs on its own float64 kernel, one thread: its work (≈ 3 × weights a row) is timed
  // at that kernel's calibrated rate, not the linear kernel's.
  const mlp = o.model === 'mlp' ? await hostMlpCalibration(session) : undefined;
  const calibration = mlp ?? (await hostCalibration(session));
  const unit = mlp !== undefined ? 'multiply-adds/s' : 'rows·features/s';
  const { kernel } = await selectBackend();
  // The shipped aggregator: its runtime's read concurrency, the deployed batch of 10 (FIFO maximum).
  const fanIn = o.baseline
    ? { readConcurrency: 1, batchSize: 1, inlineResultMaxBytes: 0 }
    : {
        readConcurrency: AGGREGATOR_READ_CONCURRENCY,
        batchSize: 10,
        inlineResultMaxBytes: INLINE_RESULT_MAX_BYTES,
      };
  if (!o.json) {
    io.out(
      `${o.dataset}: ${manifest.rows} rows${o.rowScale !== 1 ? ` × ${o.rowScale} (--row-scale)` : ''}, ${o.model} on "${target}"; compute at ${calibration.rowFeaturesPerSecond.toPrecision(3)} ${unit} (${calibration.kernel}); aggregator ${o.baseline ? 'serial, one notification per invocation, results stored (--baseline)' : 'reads 32 at once, batches of 10, results inline'}${o.affinity ? '; shard s on worker s (--affinity)' : claims ? '; partition claims above 8 workers' : '; no partition claims (--no-claims)'}`,
    );
  }
  const table = await scaleTable({
    store,
    base: { spec, manifest, manifestKey },
    workers: o.workers,
    solvers: o.solvers,
    kernel,
    latency: AWS_LATENCY,
    workerRowParamsPerSecond: calibration.rowFeaturesPerSecond,
    cost: DEFAULT_COST_MODEL,
    workerMemoryMb: o.memory,
    rowScale: o.rowScale,
    bytesPerSecond: DEFAULT_COST_MODEL.lambdaS3BytesPerSecond,
    seed: o.seed,
    aggregatorReadConcurrency: fanIn.readConcurrency,
    aggregatorBatchSize: fanIn.batchSize,
    inlineResultMaxBytes: fanIn.inlineResultMaxBytes,
    shardAffinity: o.affinity,
    ...(claims ? {} : { partitionClaims: false }),
    ...(o.json ? {} : { onRow: (row: ScaleRow) => io.err(`  simulated ${row.solver} W=${row.workers}`) }),
  });
  const out: SimulateOutput = {
    dataset: o.dataset,
    rows: manifest.rows,
    rowScale: o.rowScale,
    model: o.model,
    calibration: { kernel: calibration.kernel, rowFeaturesPerSecond: calibration.rowFeaturesPerSecond },
    fanIn,
    shardAffinity: o.affinity,
    partitionClaims: claims,
    table,
  };
  if (o.json) io.out(JSON.stringify(out));
  else for (const line of formatScaleTable(table)) io.out(line);
  return out;
}

/** Declares `shardtrain simulate`. */
export function registerSimulate(program: Command, { session, io }: CommandContext): void {
  program
    .command('simulate')
    .description(
      'scale by simulation: the real coordinator in virtual time, W workers on S3/SQS/Lambda latencies',
    )
    .requiredOption('--dataset <name>', 'dataset (its newest version)')
    .option('--workers <list>', 'comma-separated worker counts', workersList, [1, 4, 16, 64, 256])
    .option('--target <col>', 'the column to predict (default: the last column)')
    .addOption(new Option('--model <kind>', 'model').choices(MODEL_KINDS).default('linear'))
    .option('--solvers <list>', `comma-separated: ${SOLVER_NAMES.join(', ')}`, solversList, SOLVER_NAMES)
    .option('--epochs <n>', 'epochs (gradient descent)', positiveInt)
    .option('--row-scale <k>', 'time each row as k rows (a k× larger dataset, same convergence)', positive, 1)
    .option('--memory <MB>', 'worker Lambda memory (billing)', positiveInt, 1769)
    .option('--seed <n>', 'seed of the latency draws and delivery order', positiveInt, 1)
    .option(
      '--baseline',
      'the aggregator as deployed before the fan-in fixes: serial reads, one notification a call, results stored',
    )
    .option('--hidden <sizes>', 'mlp hidden layer sizes, e.g. 128,64 (default 100)', hiddenFlag)
    .option(
      '--affinity',
      "upper bound: shard s's work on worker instance s (not deployable on one SQS queue), no claims",
    )
    .option('--no-claims', 'workers take the shard of the message they are handed (no partition claims)')
    .option('--json', 'JSON output')
    .action(async (_o: unknown, cmd: Command) => {
      await simulate(session(cmd), parseOptions(simulateFlagsSchema, cmd), io);
    });
}
