import type { DatasetManifest, Shard } from '../../data/index.js';
import { applyTransform, loadRows, selectColumns } from '../../data/index.js';
import type { Batch } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { isHoldoutRow } from '../datasets/holdout.js';
import { HOLDOUT_SEED, type JobPlan, type PartitionPlan } from './job-plan.js';
import type { JobSpec } from './job-spec.js';

/**
 * Rows `[start, end)` of the job's dataset version from somewhere other than its shards (the
 * rows an in-process upload has just parsed); must give exactly the shards' values.
 */
export type RowSource = (start: number, end: number) => Shard | Promise<Shard>;

/**
 * Loads partition `p` of a job as the model sees it: rows of its range that are not held out,
 * the feature transform applied, the target standardised (linear) or mapped to class indices.
 * Deterministic: every runner that loads a partition gets the same float32 values.
 */
export async function loadPartition(
  store: ObjectStore,
  manifest: DatasetManifest,
  spec: JobSpec,
  plan: JobPlan,
  p: number,
  rows?: RowSource,
): Promise<Batch> {
  const part = plan.partitions[p];
  if (part === undefined) throw new RangeError(`job ${spec.jobId} has no partition ${p}`);
  return loadRange(store, manifest, spec, plan, part, rows);
}

/** The training rows (holdout rows left out) of one partition's range. */
async function loadRange(
  store: ObjectStore,
  manifest: DatasetManifest,
  spec: JobSpec,
  plan: JobPlan,
  part: PartitionPlan,
  rows?: RowSource,
): Promise<Batch> {
  const block = await (rows ?? ((s, e) => loadRows(store, manifest, s, e)))(part.start, part.end);
  const target = plan.target;
  // Holdout rows are left out while the columns are split out, and the transform overwrites
  // that copy: one array of the training rows' size is allocated (and faulted in), not three.
  const sel = selectColumns(manifest, block, {
    target: spec.target,
    features: spec.features,
    ...(target.kind === 'classification' ? { classValues: target.classValues } : {}),
    keepRow: (r) => !isHoldoutRow(part.start + r, spec.holdoutFraction, HOLDOUT_SEED),
  });
  const y = sel.y;
  if (target.kind === 'regression')
    for (let i = 0; i < sel.rows; i++) y[i] = (y[i]! - target.mean) / target.std;
  const tx = applyTransform(plan.transform, sel.x, sel.rows, true);
  return { x: tx, y, rows: sel.rows, d: plan.config.spec.numFeatures };
}
