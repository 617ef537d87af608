/**
 * Data layer: streaming CSV preprocessing into compressed float32 shards with mergeable
 * statistics, reading rows back, target validation, and feature transforms.
 */
export { ColumnType, MAX_CATEGORIES } from './csv/row-decoder.js';
export {
  type ColumnManifest,
  type ComomentsManifest,
  type DatasetManifest,
  datasetManifestSchema,
  MAX_COMOMENT_COLUMNS,
  manifestKey,
  type ShardEntry,
} from './manifest.js';
export {
  type CsvParserChoice,
  DEFAULT_PROCESSED_PREFIX,
  DEFAULT_SHARD_ROWS,
  type PreprocessOptions,
  preprocessCsv,
} from './preprocess.js';
export { loadRows } from './read/load-rows.js';
export { RowCollector } from './read/row-collector.js';
export { type SelectColumnsOptions, type Selection, selectColumns } from './read/select-columns.js';
export {
  Compression,
  DEFAULT_COMPRESSION,
  decodeShard,
  decodeShardAsync,
  encodeShard,
  encodeShardAsync,
  SHARD_FORMAT_VERSION,
  SHARD_HEADER_BYTES,
  type Shard,
} from './shard/shard-codec.js';
export {
  type ColumnStats,
  EMPTY_STATS,
  mergeStats,
  populationVariance,
  sampleVariance,
  statsOf,
  stridedStats,
} from './stats/column-stats.js';
export {
  blockComoments,
  type Comoments,
  comomentAt,
  emptyComoments,
  mergeComoments,
} from './stats/comoments.js';
export { type DistinctValues, MAX_DISTINCT, mergeDistinct } from './stats/distinct.js';
export {
  DEFAULT_ALPHA,
  type Histogram,
  type HistogramBuckets,
  HistogramBuilder,
  histogramCdf,
  histogramQuantile,
  mergeHistograms,
} from './stats/histogram.js';
export {
  applyTransform,
  explainedVariance,
  type FeatureTransform,
  outputDimension,
  type Projection,
  toOriginalUnits,
} from './transform/feature-transform.js';
export { type FitTransformOptions, fitTransform } from './transform/fit-transform.js';
export { ModelKind, type TargetInfo, validateTarget } from './validate-target.js';
