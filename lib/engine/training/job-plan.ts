import type { DatasetManifest, FeatureTransform } from '../../data/index.js';
import { fitTransform, populationVariance, validateTarget } from '../../data/index.js';
import { DatasetError, UsageError } from '../../errors.js';
import type {
  MlpHead,
  ModelSpec,
  OptimizerConfig,
  ScheduleInput,
  TrainConfig,
  TrainConfigInput,
} from '../../optim/index.js';
import { groupingFor, type RoundGrouping, resolveTrainConfig } from '../../optim/index.js';
import { assertModelName } from '../../registry/names.js';
import { assertFeatureList } from '../../validation/inputs.js';
import { isHoldoutRow, partitionRange } from '../datasets/holdout.js';
import type { JobPlacement, JobSpec, TrainOptions } from './job-spec.js';

/** How the target is fed to the model: standardised (linear) or as class indices. */
export type TargetPlan =
  | { readonly kind: 'regression'; readonly mean: number; readonly std: number }
  | { readonly kind: 'classification'; readonly classValues: number[]; readonly classLabels: string[] };

/** One partition of the training rows: a contiguous dataset row range minus the holdout rows. */
export interface PartitionPlan {
  readonly start: number;
  readonly end: number;
  /** Training rows in the range (holdout rows excluded). */
  readonly rows: number;
}

/**
 * Everything fixed at job start and shared by every worker and the aggregator: the resolved
 * training config, the fitted feature transform, the target encoding and the partitions.
 * Stored at `jobs/<id>/plan.json`; a pure function of (spec, manifest), so recomputing it after
 * a crash writes the same bytes.
 */
export interface JobPlan {
  readonly v: 1;
  readonly jobId: string;
  readonly manifestKey: string;
  readonly config: TrainConfig;
  readonly transform: FeatureTransform;
  readonly target: TargetPlan;
  readonly partitions: PartitionPlan[];
  /** Set when a queued run groups K stochastic steps per round (local SGD; see `groupingFor`). */
  readonly grouping?: RoundGrouping;
  /** Where the job runs and why (the spec's placement decision). */
  readonly placement?: JobPlacement;
  /** An mlp's alpha chosen on a validation split of the training rows (see `plan-job.ts`). */
  readonly alphaSelection?: PlannedAlpha;
  /**
   * Workers claim the shard they compute instead of taking the work message's (see `claims.ts`):
   * set at a queued start when W exceeds a worker's partition cache. Absent: off.
   */
  readonly claims?: true;
}

/** The outcome of an alpha selection, as the plan records it. */
export interface PlannedAlpha {
  readonly alpha: number;
  readonly reason: string;
}

/** The SEED used for the holdout row mask; fixed so every job on a dataset splits it alike. */
export const HOLDOUT_SEED = 20_241_126;

/**
 * Builds the plan; `queued`: for the local cloud / AWS, where mini-batch and SGD steps are grouped
 * into rounds (see `groupingFor`). Throws `DatasetError`/`UsageError` for a target or option that cannot work. */
export function makeJobPlan(
  spec: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
  options: { readonly queued?: boolean; readonly alpha?: PlannedAlpha; readonly claims?: boolean } = {},
): JobPlan {
  if (spec.model !== 'mlp' && spec.options.hidden !== undefined)
    throw new UsageError(`--hidden sets an mlp's layers; it does not apply to --model ${spec.model}`);
  const head = spec.model === 'mlp' ? mlpHeadFor(manifest, spec.target) : spec.model;
  const info = validateTarget(manifest, spec.target, head);
  // The same checks as the CLI's, for jobs from pipelines and stored specs.
  assertModelName(spec.modelName);
  assertFeatureList(spec.features, spec.target);
  for (const f of spec.features) {
    const column = manifest.columns.find((c) => c.name === f);
    if (column === undefined) {
      const available = manifest.columns.map((c) => c.name).join(', ');
      throw new DatasetError(
        { file: manifest.source.file, column: f },
        `no such column; available: ${available}`,
      );
    }
    if (column.type === 'categorical') {
      throw new DatasetError(
        { file: manifest.source.file, column: f },
        'categorical feature columns are not supported; drop the column or pass --features without it',
      );
    }
  }
  const transform = fitTransform(
    manifest,
    spec.features,
    spec.reduction === undefined
      ? {}
      : spec.reduction.kind === 'pca'
        ? { pca: spec.reduction.k }
        : { randomProjection: { k: spec.reduction.k, seed: spec.reduction.seed } },
  );
  const target: TargetPlan =
    info.kind === 'regression'
      ? {
          kind: 'regression',
          mean: info.column.stats.mean,
          // A constant target would divide by 0; it trains to its mean with scale 1.
          std: Math.sqrt(populationVariance(info.column.stats)) || 1,
        }
      : { kind: 'classification', classValues: info.classValues, classLabels: info.classLabels };
  const partitions: PartitionPlan[] = [];
  for (let p = 0; p < spec.workers; p++) {
    const { start, end } = partitionRange(manifest.rows, spec.workers, p);
    let rows = 0;
    for (let r = start; r < end; r++) if (!isHoldoutRow(r, spec.holdoutFraction, HOLDOUT_SEED)) rows++;
    partitions.push({ start, end, rows });
  }
  const trainRows = partitions.reduce((s, p) => s + p.rows, 0);
  if (trainRows === 0) {
    throw new DatasetError({ file: manifest.source.file }, 'no training rows left after the holdout split');
  }
  const k = transform.projection?.k ?? transform.features.length;
  const modelSpec: ModelSpec = {
    kind: spec.model,
    numFeatures: k,
    ...(target.kind === 'classification' && head === 'softmax'
      ? { numClasses: target.classValues.length }
      : {}),
    ...(spec.model === 'mlp' ? { hidden: spec.options.hidden ?? [...MLP_DEFAULT_HIDDEN], head } : {}),
    ...(spec.options.l2 !== undefined
      ? { l2: spec.options.l2 }
      : options.alpha !== undefined
        ? { l2: options.alpha.alpha / trainRows }
        : {}),
  };
  const shape = { rows: trainRows, numFeatures: k, partitions: spec.workers };
  let config = resolveTrainConfig(trainConfigInput(modelSpec, spec.options), shape);
  // Queued runners group stochastic steps into rounds unless one step per round was asked for
  // (`--sync gd`) or the grouping was given (`--sync local-sgd`, `--local-steps`).
  const explicit = spec.options.sync !== undefined || spec.options.localSteps !== undefined;
  const grouping =
    options.queued === true && !explicit
      ? groupingFor(
          config,
          partitions.map((p) => p.rows),
        )
      : null;
  if (grouping !== null) {
    config = resolveTrainConfig(
      { ...trainConfigInput(modelSpec, spec.options), sync: 'local-sgd', localSteps: grouping.stepsPerRound },
      shape,
    );
  }
  if (options.alpha !== undefined && spec.options.l2 === undefined)
    config = { ...config, solverReason: `${config.solverReason}; l2 = alpha/n, ${options.alpha.reason}` };
  return {
    v: 1,
    jobId: spec.jobId,
    manifestKey,
    config,
    transform,
    target,
    partitions,
    ...(grouping !== null ? { grouping } : {}),
    ...(spec.placement !== undefined ? { placement: spec.placement } : {}),
    ...(options.alpha !== undefined && spec.options.l2 === undefined
      ? { alphaSelection: options.alpha }
      : {}),
    ...(options.queued === true && options.claims === true ? { claims: true as const } : {}),
  };
}

/** An mlp's hidden layers when `--hidden` is not given: scikit-learn's MLP default (100,). */
export const MLP_DEFAULT_HIDDEN = [100] as const;

/**
 * The head an mlp gets, decided by its target as scikit-learn's `type_of_target` does: a
 * categorical column, or a numeric one whose (at most 64) distinct values are all whole numbers,
 * is a class target — 2 classes → logistic (sigmoid), more → softmax; anything else is regression
 * (linear head on the standardised target).
 */
export function mlpHeadFor(manifest: DatasetManifest, target: string): MlpHead {
  const column = manifest.columns.find((c) => c.name === target);
  if (column === undefined) return 'linear'; // validateTarget names the missing column
  const values = column.distinct?.values;
  const classes =
    column.type === 'categorical'
      ? (column.categories?.length ?? 0)
      : values?.every(Number.isInteger)
        ? values.length
        : 0;
  if (classes < 2) return 'linear';
  return classes === 2 ? 'logistic' : 'softmax';
}

/** Maps the user's flags onto the optimizer library's config; unset flags keep its defaults. */
export function trainConfigInput(spec: ModelSpec, o: TrainOptions): TrainConfigInput {
  const optimizer: OptimizerConfig | undefined =
    o.optimizer === undefined
      ? undefined
      : o.optimizer === 'momentum'
        ? { kind: 'momentum', momentum: 0.9 }
        : { kind: o.optimizer };
  return {
    spec,
    ...(o.solver !== undefined ? { solver: o.solver } : {}),
    ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
    ...(optimizer !== undefined ? { optimizer } : {}),
    ...(o.schedule !== undefined ? { schedule: scheduleInput(o) } : {}),
    ...(o.epochs !== undefined ? { maxEpochs: o.epochs } : {}),
    ...(o.tol !== undefined ? { tol: o.tol } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.sync !== undefined ? { sync: o.sync } : {}),
    ...(o.localSteps !== undefined ? { localSteps: o.localSteps } : {}),
  };
}

/**
 * `--decay-steps T` and `--decay-rate A` mean, per schedule: inverse-time T and α (default α ½);
 * exponential T and the rate (default 0.96); step: every T steps multiply by A (default ½);
 * cosine-restarts: first period T, period multiplier A (default 2); plateau: factor A (default ½).
 */
function scheduleInput(o: TrainOptions): ScheduleInput {
  const t = o.decaySteps ?? 100;
  switch (o.schedule) {
    case 'inverse-time':
      return { kind: 'inverse-time', decaySteps: t, power: o.decayRate ?? 0.5 };
    case 'exponential':
      return { kind: 'exponential', decaySteps: t, rate: o.decayRate ?? 0.96 };
    case 'step':
      return { kind: 'step', everySteps: t, factor: o.decayRate ?? 0.5 };
    case 'cosine-restarts':
      return { kind: 'cosine-restarts', firstPeriod: t, tMul: o.decayRate ?? 2 };
    case 'plateau':
      return { kind: 'plateau', factor: o.decayRate ?? 0.5 };
    default:
      return { kind: 'constant' };
  }
}
