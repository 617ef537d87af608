/**
 * Pipelines: saved training definitions (schema.ts), their store (pipeline-store.ts), a run on
 * the newest data (run-pipeline.ts), the promotion gate when its job finishes
 * (promotion-gate.ts), and drift checks when a dataset version is ready (drift-on-upload.ts).
 */
export { onDatasetReady, type UploadEffect } from './drift-on-upload.js';
export { listPipelines, loadPipeline, pipelineRuns, savePipeline } from './pipeline-store.js';
export { onPipelineJobFinished } from './promotion-gate.js';
export { runPipeline } from './run-pipeline.js';
export {
  type DriftRecord,
  driftRecordSchema,
  type Pipeline,
  type PipelineDecision,
  type PipelineDeps,
  pipelineDecisionSchema,
  pipelineSchema,
} from './schema.js';
