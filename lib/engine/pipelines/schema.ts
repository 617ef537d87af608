import { z } from 'zod';
import { storedAs } from '../../documents.js';
import type { EventSink } from '../../ports.js';
import type { DriftReport, ModelRegistry } from '../../registry/index.js';
import type { EngineDeps } from '../training/coordinator.js';
import { MODEL_KINDS, trainOptionsSchema } from '../training/job-spec.js';
import type { PlaceJobDeps } from '../training/place-job.js';

/** A saved training definition: what to train, when, and the gate a new model must pass. */
export const pipelineSchema = z.object({
  v: z.literal(1),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  dataset: z.string(),
  target: z.string(),
  model: z.enum(MODEL_KINDS),
  /** Registry model name; defaults to the pipeline name. */
  modelName: z.string(),
  features: z.array(z.string()).optional(),
  options: trainOptionsSchema.default({}),
  workers: z.number().int().min(1).default(1),
  /**
   * Where its runs go, as `train --placement`: `auto` (absent) asks the planner; `inprocess` and
   * `lambda` run on the queues (a scheduled run has no process of its own); `batch` the Batch job.
   */
  placement: z.enum(['auto', 'inprocess', 'lambda', 'batch']).optional(),
  holdoutFraction: z.number().min(0.05).max(0.5).default(0.2),
  /** EventBridge schedule expression, e.g. `cron(0 3 * * ? *)` or `rate(1 day)`. */
  schedule: z.string().regex(/^(cron|rate)\(.+\)$/),
  gate: z
    .object({
      metric: z.string().optional(),
      margin: z.number().min(0).default(0),
      mode: z.enum(['absolute', 'relative']).default('absolute'),
    })
    .default({ margin: 0, mode: 'absolute' }),
  trainOnUpload: z.boolean().default(false),
  retrainOnDrift: z.boolean().default(false),
  driftThreshold: z.number().positive().default(0.2),
  createdAt: z.string(),
});
export type Pipeline = z.infer<typeof pipelineSchema>;

/** What a pipeline run decided, stored under `pipelines/<name>/runs/`. */
export type PipelineDecision =
  | {
      readonly v: 1;
      readonly kind: 'skipped';
      readonly pipeline: string;
      readonly at: string;
      readonly reason: string;
      /** What set the run off (`drift`, `upload`), when the caller said. */
      readonly trigger?: string;
    }
  | {
      readonly v: 1;
      readonly kind: 'gate';
      readonly pipeline: string;
      readonly at: string;
      readonly jobId: string;
      readonly challenger: number;
      readonly champion: number | null;
      readonly promote: boolean;
      readonly reason: string;
      readonly metric: string;
      readonly challengerMetrics: Record<string, number>;
      readonly championMetrics: Record<string, number> | null;
    };

/** A metric that was not a finite number is stored by `JSON.stringify` as null. */
const storedMetrics = z.record(z.string(), z.number().nullable());

/** `pipelines/<name>/runs/<jobId|skip-…>.json`, kept as stored. */
export const pipelineDecisionSchema = storedAs<PipelineDecision>(
  z.discriminatedUnion('kind', [
    z.object({
      v: z.literal(1),
      kind: z.literal('skipped'),
      pipeline: z.string(),
      at: z.string(),
      reason: z.string(),
      trigger: z.string().optional(),
    }),
    z.object({
      v: z.literal(1),
      kind: z.literal('gate'),
      pipeline: z.string(),
      at: z.string(),
      jobId: z.string(),
      challenger: z.number().int(),
      champion: z.number().int().nullable(),
      promote: z.boolean(),
      reason: z.string(),
      metric: z.string(),
      challengerMetrics: storedMetrics,
      championMetrics: storedMetrics.nullable(),
    }),
  ]),
);

/** Everything a pipeline step needs: the engine (to start jobs), the registry, events. */
export interface PipelineDeps extends PlaceJobDeps {
  readonly engine: EngineDeps;
  readonly registry: ModelRegistry;
  readonly events: EventSink;
  readonly now?: () => Date;
}

/** The time now, from the deps' clock. */
export const nowIso = (deps: PipelineDeps) => (deps.now ?? (() => new Date()))().toISOString();

/** `pipelines/<name>/drift/<version>.json`: what a new dataset version did to the pipeline. */
export interface DriftRecord {
  readonly v: 1;
  readonly pipeline: string;
  readonly dataset: string;
  readonly version: string;
  readonly at: string;
  readonly reference?: string;
  readonly report?: DriftReport;
  readonly startedJob?: string;
}
export const driftRecordSchema = storedAs<DriftRecord>(
  z.looseObject({
    v: z.literal(1),
    pipeline: z.string(),
    dataset: z.string(),
    version: z.string(),
    at: z.string(),
    reference: z.string().optional(),
    report: z.looseObject({ drifted: z.boolean() }).optional(),
    startedJob: z.string().optional(),
  }),
);
