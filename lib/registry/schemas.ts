import { z } from 'zod';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN } from './names.js';

const metricMap = z.record(z.string().min(1), z.number());

/** Where a model version came from: enough to retrain it or explain it. */
export const lineageSchema = z.object({
  dataset: z.string().min(1),
  /** The dataset manifest's content hash. */
  datasetVersion: z.string().min(1),
  jobId: z.string().min(1).optional(),
  /** The job spec as run (validated by the engine, opaque here). */
  jobSpec: z.record(z.string(), z.unknown()),
  /** The tfjs backend that trained it (`tensorflow`, `wasm`, `cpu`, ...). */
  backend: z.string().min(1),
  packageVersion: z.string().min(1),
  gitCommit: z.string().min(1).optional(),
  wallTimeMs: z.number().nonnegative(),
  costEstimateUsd: z.number().nonnegative().optional(),
});

/** Train and (optional) holdout metrics, e.g. `{ rmse: 0.41, r2: 0.93 }`. */
export const modelMetricsSchema = z.object({
  train: metricMap,
  holdout: metricMap.optional(),
});

/** A model version document, stored once at `registry/models/<name>/versions/<000001>.json` and never changed. */
export const modelVersionSchema = z.object({
  v: z.literal(1),
  name: z.string().regex(MODEL_NAME_PATTERN),
  version: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  /** The trained model as the engine serialises it (kind, features, coefficients, ...); opaque here. */
  artifact: z.record(z.string(), z.unknown()),
  metrics: modelMetricsSchema,
  lineage: lineageSchema,
  /** Tags given at creation. Later edits live in `tags.json`; read them with `getTags`. */
  tags: z.record(z.string(), z.string()),
  description: z.string().optional(),
});

/** One move of an alias. `from: null` = the alias was created; `to: null` = it was deleted. */
export const aliasMoveSchema = z.object({
  alias: z.string().regex(ALIAS_PATTERN),
  from: z.number().int().positive().nullable(),
  to: z.number().int().positive().nullable(),
  at: z.iso.datetime(),
  reason: z.string(),
  actor: z.string().optional(),
});

/** The per-model alias document: current aliases plus the append-only history of every move. */
export const aliasDocumentSchema = z.object({
  v: z.literal(1),
  name: z.string().regex(MODEL_NAME_PATTERN),
  aliases: z.record(z.string(), z.number().int().positive()),
  history: z.array(aliasMoveSchema),
});

/** The per-model tag document: effective tags of every version whose tags were edited after creation. */
export const tagDocumentSchema = z.object({
  v: z.literal(1),
  name: z.string().regex(MODEL_NAME_PATTERN),
  /** Version number (as a string key) → that version's full tag set. */
  versions: z.record(z.string(), z.record(z.string(), z.string())),
});

export type Lineage = z.infer<typeof lineageSchema>;
export type ModelMetrics = z.infer<typeof modelMetricsSchema>;
export type ModelVersion = z.infer<typeof modelVersionSchema>;
export type AliasMove = z.infer<typeof aliasMoveSchema>;
export type AliasDocument = z.infer<typeof aliasDocumentSchema>;
export type TagDocument = z.infer<typeof tagDocumentSchema>;

/** What a caller supplies to create a version; the registry adds `v`, `name`, `version`, `createdAt`. */
export interface NewModelVersion {
  readonly artifact: Record<string, unknown>;
  readonly metrics: ModelMetrics;
  readonly lineage: Lineage;
  readonly tags?: Record<string, string>;
  readonly description?: string;
}
