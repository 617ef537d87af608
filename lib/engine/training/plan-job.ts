import type { DatasetManifest } from '../../data/index.js';
import { readDocument } from '../../documents.js';
import { selectMlpAlpha } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';
import { claimsFor } from './claims.js';
import { type JobPlan, makeJobPlan, type PlannedAlpha, trainConfigInput } from './job-plan.js';
import type { JobSpec } from './job-spec.js';
import { jobPlanDocument, WORKER_CACHE_PARTITIONS } from './job-store.js';
import { loadPartition, type RowSource } from './partition-data.js';

/**
 * Most training rows for which a job start chooses an mlp's alpha itself: the selection fits the
 * model once per candidate (six) in the starting process, which stays cheap up to here (digits,
 * 1 437 rows × 7 510 parameters: seconds). Above it the default alpha (scikit-learn's 1e-4) stays.
 */
export const ALPHA_SELECTION_MAX_ROWS = 5_000;

/** Fewest training rows to select on: a fifth of 100 is 20 validation rows, 5 points a row. */
export const ALPHA_SELECTION_MIN_ROWS = 100;

/**
 * The plan a runner starts a job with: the stored one if the job has one (a retried start or a
 * resume reads what was decided), else {@link makeJobPlan} — for an mlp without `--l2` on at most
 * {@link ALPHA_SELECTION_MAX_ROWS} training rows, with the alpha chosen on a validation split of
 * the training rows (`selectMlpAlpha`; the holdout rows are not among them), recorded in the plan
 * with its reason. Deterministic: the selection uses the default kernel whatever the runner's.
 * A queued plan gets `claims` when W exceeds a worker's partition cache (`options.claims` forces it).
 *
 * @example
 * const plan = await planJob(store, spec, manifest, manifestKey, { queued: true });
 * plan.alphaSelection?.reason; // 'alpha 0.1 chosen on a validation split of the training rows (…)'
 */
export async function planJob(
  store: ObjectStore,
  spec: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
  options: { readonly queued?: boolean; readonly rows?: RowSource; readonly claims?: boolean } = {},
): Promise<JobPlan> {
  const stored = await readDocument(store, keys.job.plan(spec.jobId), jobPlanDocument);
  if (stored !== undefined) return stored;
  // A queued job with more workers than a worker caches partitions claims them (see claims.ts).
  const claims = options.claims ?? claimsFor(spec.workers, WORKER_CACHE_PARTITIONS);
  const queued = { ...(options.queued === undefined ? {} : { queued: options.queued }), claims };
  const plan = makeJobPlan(spec, manifest, manifestKey, queued);
  const alpha = await chooseAlpha(store, spec, manifest, plan, options.rows);
  return alpha === undefined ? plan : makeJobPlan(spec, manifest, manifestKey, { ...queued, alpha });
}

/** The validation-chosen alpha of an mlp job, or undefined where the default applies. */
async function chooseAlpha(
  store: ObjectStore,
  spec: JobSpec,
  manifest: DatasetManifest,
  plan: JobPlan,
  rows?: RowSource,
): Promise<PlannedAlpha | undefined> {
  if (spec.model !== 'mlp' || spec.options.l2 !== undefined) return undefined;
  const trainRows = plan.partitions.reduce((s, p) => s + p.rows, 0);
  if (trainRows > ALPHA_SELECTION_MAX_ROWS || trainRows < ALPHA_SELECTION_MIN_ROWS) return undefined;
  const partitions = [];
  for (let p = 0; p < plan.partitions.length; p++)
    partitions.push(await loadPartition(store, manifest, spec, plan, p, rows));
  const { l2: _default, ...spec0 } = plan.config.spec;
  const selection = selectMlpAlpha(trainConfigInput(spec0, spec.options), partitions, {
    seed: plan.config.seed,
  });
  return { alpha: selection.alpha, reason: selection.reason };
}
