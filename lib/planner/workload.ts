import { UsageError } from '../errors.js';
import { layerBlocks, type ModelSpec } from '../optim/index.js';
import type { CostModel } from './cost-model.js';

/**
 * Which kernel computes a job's gradients, so which calibrated rate prices its work: `linear` the
 * wasm SIMD / typed-array kernel of the linear families (spread over every core), `mlp` the MLP's
 * own float64 back-propagation (one thread on the CPU).
 */
export type WorkKernel = 'linear' | 'mlp';

/**
 * Multiply-adds of one gradient per row, the planner's unit of work: d for linear and logistic,
 * d·K for softmax, and for an MLP ≈ 3 × its weights (the forward pass Σ_l n_l·n_{l+1}, and the
 * backward pass about twice that: the deltas δ·Wᵀ and the weight gradients δ·aᵀ, one product each
 * per weight); biases are left out (one add per unit).
 *
 * @example
 * modelRowWork({ kind: 'mlp', numFeatures: 64, numClasses: 10, hidden: [128, 64], head: 'softmax' });
 * // 3 × (64·128 + 128·64 + 64·10) = 51 072
 */
export function modelRowWork(spec: ModelSpec): number {
  if (spec.kind !== 'mlp') {
    return spec.numFeatures * (spec.kind === 'softmax' ? (spec.numClasses ?? 1) : 1);
  }
  let weights = 0;
  for (const b of layerBlocks(spec)) weights += b.inputs * b.outputs;
  return 3 * weights;
}

/** The kernel that computes a model's gradients (see {@link WorkKernel}). */
export function workKernelOf(spec: ModelSpec): WorkKernel {
  return spec.kind === 'mlp' ? 'mlp' : 'linear';
}

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
  /**
   * Multiply-adds of one gradient per row ({@link modelRowWork}); d × K (`features × classes`,
   * the linear families) when absent.
   */
  readonly rowWork?: number;
  /** Which calibrated rate prices the work. @default 'linear' */
  readonly kernel?: WorkKernel;
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
  if (w.rowWork !== undefined && !(w.rowWork > 0 && Number.isFinite(w.rowWork))) {
    throw new UsageError(`planner: rowWork must be a positive number, got ${w.rowWork}`);
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

/** Multiply-adds per row of one gradient: `rowWork`, else d × K. */
export function rowWorkOf(w: Workload): number {
  return w.rowWork ?? w.features * w.classes;
}

/**
 * Work of one worker in one round, in multiply-adds (rows·features·outputs for the linear
 * families): min(⌈rowsPerStep / W⌉, ⌈n / W⌉) × rowWork × localSteps × workFactor (`workers` = 1
 * for a single process; rowWork = d × K unless set, see {@link modelRowWork}).
 */
export function workPerRound(w: Workload, workers: number): number {
  const local = Math.min(Math.ceil(rowsPerStep(w) / workers), Math.ceil(w.rows / workers));
  return local * rowWorkOf(w) * (w.localSteps ?? 1) * (w.workFactor ?? 1);
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
