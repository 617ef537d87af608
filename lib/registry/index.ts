/**
 * Model registry: immutable numbered versions with lineage and metrics, aliases with a full
 * move history, the promotion gate, and drift (PSI) between training and current data.
 */
export { aliasesAt, filterHistory, type HistoryQuery, lastMove } from './alias-history.js';
export type { RetryPolicy } from './cas-retry.js';
export {
  binFractions,
  DEFAULT_PSI_EPSILON,
  type DriftOptions,
  type DriftReport,
  driftReport,
  type FeatureDrift,
  type HistogramLike,
  type PsiFromCdfInput,
  psi,
  psiFromCdf,
  quantileEdges,
} from './drift.js';
export { type RegistryKeys, registryKeys } from './keys.js';
export {
  type DistributionView,
  isLogBucketHistogram,
  type LogBucketHistogram,
  logBucketView,
} from './log-bucket-histogram.js';
export {
  type AliasMoveResult,
  ModelRegistry,
  type ModelRegistryOptions,
  type MoveOptions,
  RegistryEventType,
} from './model-registry.js';
export {
  ALIAS_PATTERN,
  assertAlias,
  assertModelName,
  LATEST_SELECTOR,
  MODEL_NAME_PATTERN,
  type ModelRef,
  parseModelRef,
} from './names.js';
export {
  decidePromotion,
  defaultGateMetric,
  type GateMetric,
  MarginMode,
  ModelKind,
  type PromotionDecision,
  type PromotionInput,
} from './promotion-gate.js';
export { AliasConflictError } from './registry-errors.js';
export {
  type AliasDocument,
  type AliasMove,
  aliasDocumentSchema,
  aliasMoveSchema,
  type Lineage,
  lineageSchema,
  type ModelMetrics,
  type ModelVersion,
  modelMetricsSchema,
  modelVersionSchema,
  type NewModelVersion,
  type TagDocument,
  tagDocumentSchema,
} from './schemas.js';
