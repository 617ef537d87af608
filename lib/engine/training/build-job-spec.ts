import { randomBytes } from 'node:crypto';
import type { DatasetManifest } from '../../data/index.js';
import { DatasetError } from '../../errors.js';
import { type JobSpec, jobSpecSchema, type TrainOptions } from './job-spec.js';

/** What to train, as the CLI (`shardtrain train`), a pipeline run or the bench asks for it. */
export interface JobRequest {
  /** The dataset's name; its version is the manifest's. */
  readonly dataset: string;
  readonly target: string;
  readonly model: JobSpec['model'];
  /** Feature columns; default: every numeric column but the target, in file order. */
  readonly features?: readonly string[] | undefined;
  readonly modelName: string;
  readonly workers: number;
  readonly options: TrainOptions;
  readonly holdoutFraction?: number | undefined;
  readonly reduction?: JobSpec['reduction'];
  /** The pipeline that starts the job (its gate runs when the job finishes). */
  readonly pipeline?: string | undefined;
  /** Start of the job id (default: the dataset name). */
  readonly idStem?: string | undefined;
  /** The job's creation time (default: now). */
  readonly now?: Date | undefined;
}

/** Numeric columns other than the target, in file order: the default features. */
export function defaultFeatures(manifest: DatasetManifest, target: string): string[] {
  return manifest.columns.filter((c) => c.name !== target && c.type === 'numeric').map((c) => c.name);
}

/**
 * `<stem>-<model>-<utc time>-<4 random hex>`, lower case (job ids become object keys), e.g.
 * `houses-linear-20260101t120000-3fa2`. The one job-id format.
 */
export function newJobId(stem: string, model: string, at: Date = new Date()): string {
  const t = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const s =
    stem
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 40) || 'job';
  return `${s}-${model}-${t}-${randomBytes(2).toString('hex')}`;
}

/**
 * THE job-spec builder: checks the target is a column of the dataset and that there are
 * features (a `DatasetError` naming the file and column otherwise), fills in the default
 * features, a new job id and the creation time, and validates the result.
 */
export function buildJobSpec(request: JobRequest, manifest: DatasetManifest): JobSpec {
  const { target } = request;
  if (!manifest.columns.some((c) => c.name === target)) {
    throw new DatasetError(
      { file: manifest.source.file, column: target },
      `target column not found; available columns: ${manifest.columns.map((c) => `"${c.name}"`).join(', ')}`,
    );
  }
  const features = request.features ?? defaultFeatures(manifest, target);
  if (features.length === 0) {
    throw new DatasetError({ file: manifest.source.file }, `no numeric feature columns besides "${target}"`);
  }
  const at = request.now ?? new Date();
  return jobSpecSchema.parse({
    v: 1,
    jobId: newJobId(request.idStem ?? request.dataset, request.model, at),
    createdAt: at.toISOString(),
    modelName: request.modelName,
    dataset: { name: request.dataset, version: manifest.version },
    target,
    features,
    model: request.model,
    workers: request.workers,
    options: request.options,
    ...(request.reduction !== undefined ? { reduction: request.reduction } : {}),
    holdoutFraction: request.holdoutFraction ?? 0,
    ...(request.pipeline !== undefined ? { pipeline: request.pipeline } : {}),
  });
}
