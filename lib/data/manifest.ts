import { z } from 'zod';

const finite = z.number();
const count = z.number().int().nonnegative();

const statsSchema = z.object({ count, mean: finite, m2: finite, min: finite, max: finite });
const bucketsSchema = z.object({ offset: z.number().int(), counts: z.array(count) });

const histogramSchema = z.object({
  alpha: z.number().positive().lt(1),
  count,
  zeroCount: count,
  min: finite,
  max: finite,
  positive: bucketsSchema,
  negative: bucketsSchema,
});

const distinctSchema = z.object({ values: z.array(finite), counts: z.array(count) });

const columnSchema = z.object({
  name: z.string().min(1),
  /** Position in the CSV and in every shard row. */
  index: z.number().int().nonnegative(),
  type: z.enum(['numeric', 'categorical']),
  /** Over the stored float32 values (class indices for a categorical column). */
  stats: statsSchema,
  /** Categorical only: labels, position = class index. */
  categories: z.array(z.string()).optional(),
  /** Categorical only: rows per class, same order as `categories`. */
  categoryCounts: z.array(count).optional(),
  /** Distinct values with counts, present when there are at most 64. */
  distinct: distinctSchema.optional(),
  /** Numeric only: DDSketch histogram for drift detection. */
  histogram: histogramSchema.optional(),
});

const comomentsSchema = z.object({
  /** The numeric columns covered, in order. */
  columns: z.array(z.string()),
  count,
  mean: z.array(finite),
  /** Upper triangle of Σ(x − mean)(x − mean)ᵀ, row-major. */
  upper: z.array(finite),
});

/** One part of a partitioned version (see `lib/data/partitions`), in part-name order. */
const partSchema = z.object({
  file: z.string().min(1),
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: count,
  /** 0-based index of the part's first row in the version. */
  firstRow: count,
});

const shardEntrySchema = z.object({
  key: z.string().min(1),
  rows: count,
  bytes: count,
  /** 0-based index of the shard's first row in the dataset. */
  firstRow: count,
});

/**
 * Zod schema of `manifest.json` (format `v: 1`). Parse stored manifests with it: a reader that
 * meets another `v` refuses it rather than misreading it.
 */
export const datasetManifestSchema = z.object({
  v: z.literal(1),
  dataset: z.string().min(1),
  /**
   * First 16 hex characters of the CSV's SHA-256: same bytes, same version. A partitioned
   * version's is that of its part list (name and SHA-256 of every part, in order).
   */
  version: z.string().regex(/^[0-9a-f]{16}$/),
  createdAt: z.string(),
  source: z.object({ file: z.string(), bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  rows: count,
  /** Partitioned versions only: the parts, whose shards follow each other in this order. */
  parts: z.array(partSchema).optional(),
  columns: z.array(columnSchema).min(1),
  /** Absent when there are more than 256 numeric columns (the matrix would be too big). */
  comoments: comomentsSchema.optional(),
  shards: z.array(shardEntrySchema),
  /** Rows per full shard (the last one may be shorter; in a partitioned version, each part's last). */
  shardRows: z.number().int().positive(),
  compression: z.enum(['none', 'deflate', 'brotli']),
  csvBytes: count,
  /** Total encoded bytes of all shards. */
  shardBytes: count,
});

/** Everything known about one version of a dataset: columns, statistics, where the shards are. */
export type DatasetManifest = z.infer<typeof datasetManifestSchema>;
export type ColumnManifest = DatasetManifest['columns'][number];
export type ShardEntry = DatasetManifest['shards'][number];
export type ComomentsManifest = NonNullable<DatasetManifest['comoments']>;

/** Co-moments are kept only up to this many numeric columns. */
export const MAX_COMOMENT_COLUMNS = 256;

/** Object key of a dataset version's manifest. */
export function manifestKey(prefix: string, dataset: string, version: string): string {
  return `${prefix}/${dataset}/${version}/manifest.json`;
}
