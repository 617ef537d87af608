import { z } from 'zod';
import { SOLVER_CHOICES } from '../../optim/solvers/choose-solver.js';

/** Names accepted by `--model`. */
export const MODEL_KINDS = ['linear', 'logistic', 'softmax', 'mlp'] as const;
export const ALGORITHMS = ['sgd', 'minibatch', 'batch'] as const;
export const OPTIMIZERS = ['plain', 'momentum', 'adam'] as const;
export const SCHEDULES = [
  'constant',
  'inverse-time',
  'exponential',
  'step',
  'cosine-restarts',
  'plateau',
] as const;
export const SYNC_MODES = ['gd', 'local-sgd'] as const;
export { SOLVER_CHOICES };

/**
 * What the user asked for (CLI flags, pipeline definition); unset fields take the optimizer
 * library's defaults when the job starts. Stored with the job so a resume sees the same request.
 */
export const trainOptionsSchema = z.object({
  /** Absent: `auto`, or `gd` when a gradient-descent option is set (see `chooseSolver`). */
  solver: z.enum(SOLVER_CHOICES).optional(),
  algorithm: z.enum(ALGORITHMS).optional(),
  batchSize: z.number().int().positive().optional(),
  lr: z.number().positive().finite().optional(),
  optimizer: z.enum(OPTIMIZERS).optional(),
  schedule: z.enum(SCHEDULES).optional(),
  decaySteps: z.number().positive().finite().optional(),
  decayRate: z.number().positive().finite().optional(),
  epochs: z.number().int().positive().optional(),
  tol: z.number().nonnegative().finite().optional(),
  l2: z.number().nonnegative().finite().optional(),
  seed: z.number().int().nonnegative().optional(),
  sync: z.enum(SYNC_MODES).optional(),
  localSteps: z.number().int().positive().optional(),
  /** mlp only: hidden layer sizes (`--hidden 128,64`); default [100], as scikit-learn's MLP. */
  hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8).optional(),
});
export type TrainOptions = z.infer<typeof trainOptionsSchema>;

/** Where a job runs (`train --placement`), as stored with it. */
export const jobPlacementSchema = z.object({
  /** What was asked for: `auto` lets the planner choose. */
  requested: z.enum(['auto', 'inprocess', 'lambda', 'batch']),
  placement: z.enum(['inprocess', 'lambda', 'batch']),
  /** The planner's choice and its one-sentence reason (kept when a placement was forced). */
  planned: z.string(),
  reason: z.string(),
  seconds: z.number(),
  dollars: z.number(),
  rounds: z.number(),
});
export type JobPlacement = z.infer<typeof jobPlacementSchema>;

/** A training job as stored at `jobs/<jobId>/spec.json`; immutable once written. */
export const jobSpecSchema = z.object({
  v: z.literal(1),
  jobId: z.string().regex(/^[a-z0-9][a-z0-9-]{2,80}$/),
  createdAt: z.string(),
  modelName: z.string().min(1),
  dataset: z.object({ name: z.string(), version: z.string() }),
  target: z.string(),
  /** Feature columns in model order (original names, before any projection). */
  features: z.array(z.string()).min(1),
  model: z.enum(MODEL_KINDS),
  workers: z.number().int().min(1).max(1024),
  options: trainOptionsSchema,
  /** Dimensionality reduction fitted at job start. */
  reduction: z
    .union([
      z.object({ kind: z.literal('pca'), k: z.number().int().positive() }),
      z.object({
        kind: z.literal('random-projection'),
        k: z.number().int().positive(),
        seed: z.number().int(),
      }),
    ])
    .optional(),
  /** Where the job runs and why: the planner's decision (`--placement auto`) or the one asked for. */
  placement: jobPlacementSchema.optional(),
  /** The pipeline that started this job; its promotion gate runs when the job finishes. */
  pipeline: z.string().optional(),
  /** Fraction of rows held out for evaluation (deterministic row mask), 0 = train on all rows. */
  holdoutFraction: z.number().min(0).max(0.9).default(0),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;
