import { UsageError } from '../errors.js';
import type { CostModel } from './cost-model.js';

/** How many rows one round's gradient reads: `batch` all n, `minibatch` the global batch B, `sgd` 1. */
export type PlannerAlgorithm = 'sgd' | 'minibatch' | 'batch';

/** The size of a training job, as the planner sees it. */
export interface Workload {
  readonly rows: number;
  readonly features: number;
  /** K: number of classes for softmax, 1 for linear/logistic. */
  readonly classes: number;
  /** Size of the compressed shards in S3 (what has to be downloaded). */
  readonly datasetBytes: number;
  /** Expected rounds (server updates) = epochs × steps per epoch. */
  readonly rounds: number;
  readonly algorithm: PlannerAlgorithm;
  /** Global batch size B; required for `minibatch`. */
  readonly batchSize?: number;
  /** Local steps per round (local-SGD); 1 by default. */
  readonly localSteps?: number;
  /**
   * Multiply-adds per row and output relative to a gradient's d (a solver's extra work: L-BFGS's
   * four trial points = 4, Newton's Hessian, the normal equations' XᵀX); 1 by default.
   */
  readonly workFactor?: number;
}

/** Where a job runs. `in-process.memoryMb` is the Lambda size; absent when it runs on `inProcessHost`. */
export type Placement =
  | { readonly kind: 'in-process'; readonly memoryMb?: number }
  | { readonly kind: 'lambda'; readonly workers: number; readonly memoryMb: number }
  | { readonly kind: 'batch-gpu'; readonly instanceType: string; readonly spot: boolean };

/** The placement kinds, for constraints and display. */
export const PLACEMENT_KINDS = ['in-process', 'lambda', 'batch-gpu'] as const;
export type PlacementKind = (typeof PLACEMENT_KINDS)[number];

const MB = 1_048_576;

/** Throws `UsageError` naming the first field that is not a usable size. */
export function validateWorkload(w: Workload): void {
  const positiveInt = (name: string, v: number | undefined): void => {
    if (v === undefined || !Number.isInteger(v) || v < 1) {
      throw new UsageError(`planner: ${name} must be a positive integer, got ${String(v)}`);
    }
  };
  positiveInt('rows', w.rows);
  positiveInt('features', w.features);
  positiveInt('classes', w.classes);
  positiveInt('rounds', w.rounds);
  if (w.algorithm === 'minibatch') positiveInt('batchSize (required for minibatch)', w.batchSize);
  if (w.localSteps !== undefined) positiveInt('localSteps', w.localSteps);
  if (w.workFactor !== undefined && !(w.workFactor > 0 && Number.isFinite(w.workFactor))) {
    throw new UsageError(`planner: workFactor must be a positive number, got ${w.workFactor}`);
  }
  if (!Number.isFinite(w.datasetBytes) || w.datasetBytes < 0) {
    throw new UsageError(`planner: datasetBytes must be a non-negative number, got ${w.datasetBytes}`);
  }
}

/** Rows one step reads across all workers: n (`batch`), min(B, n) (`minibatch`), 1 (`sgd`). */
export function rowsPerStep(w: Workload): number {
  if (w.algorithm === 'batch') return w.rows;
  if (w.algorithm === 'sgd') return 1;
  return Math.min(w.batchSize ?? w.rows, w.rows);
}

/**
 * Work of one worker in one round, in rows·features·outputs: min(⌈rowsPerStep / W⌉, ⌈n / W⌉)
 * × d × K × localSteps × workFactor (`workers` = 1 for a single process).
 */
export function workPerRound(w: Workload, workers: number): number {
  const local = Math.min(Math.ceil(rowsPerStep(w) / workers), Math.ceil(w.rows / workers));
  return local * w.features * w.classes * (w.localSteps ?? 1) * (w.workFactor ?? 1);
}

/** Decoded float32 bytes of ⌈n / W⌉ rows: rows × (d + 1) × 4 (features plus the target). */
export function decodedBytes(w: Workload, workers: number): number {
  return Math.ceil(w.rows / workers) * (w.features + 1) * 4;
}

/** Memory one process needs for its partition: decoded MB × `memoryFactor` + `runtimeBaselineMb`. */
export function memoryNeededMb(w: Workload, workers: number, cost: CostModel): number {
  return (decodedBytes(w, workers) / MB) * cost.memoryFactor + cost.runtimeBaselineMb;
}

/** vCPUs a process uses on a Lambda of `memoryMb`: min(memory / MB-per-vCPU, max vCPUs, threads). */
export function lambdaVcpus(memoryMb: number, cost: CostModel): number {
  return Math.min(memoryMb / cost.lambdaMbPerVcpu, cost.lambdaMaxVcpus, cost.threadsPerProcess);
}

/** A short human label, e.g. `lambda ×16 @ 1769 MB`, `batch-gpu g4dn.xlarge (spot)`. */
export function describePlacement(p: Placement): string {
  if (p.kind === 'lambda') return `lambda ×${p.workers} @ ${p.memoryMb} MB`;
  if (p.kind === 'batch-gpu') return `batch-gpu ${p.instanceType} (${p.spot ? 'spot' : 'on-demand'})`;
  return p.memoryMb === undefined ? 'in-process' : `in-process (Lambda @ ${p.memoryMb} MB)`;
}
