import type { TrainConfig } from '../optim/index.js';
import type { CandidateEstimate } from './candidates.js';
import type { CostModel } from './cost-model.js';
import { planJobPlacement } from './plan-job-placement.js';
import { solverWork } from './solver-rounds.js';
import type { PlacementKind, Workload } from './workload.js';

/** What `train --placement` accepts: `auto` asks the planner. */
export const PLACEMENT_CHOICES = ['auto', 'inprocess', 'lambda', 'batch'] as const;
export type PlacementChoice = (typeof PLACEMENT_CHOICES)[number];
/** Where a job actually runs: this process, the queued runner (Lambda fan-out), or the Batch job. */
export type RunPlacement = Exclude<PlacementChoice, 'auto'>;

/** How `auto` decides. */
export interface PlacementPolicy {
  /** Jobs that cannot finish in this time here go to the cloud. @default 600 */
  readonly deadlineSeconds: number;
  /** @default 64 */
  readonly maxWorkers: number;
  /** @default [512, 1024, 1769, 3008, 5308, 10240] */
  readonly lambdaMemoryOptionsMb: readonly number[];
  /** Consider Batch Spot capacity (the stack's compute environment falls back to on-demand). @default true */
  readonly allowSpot: boolean;
}

export const DEFAULT_PLACEMENT_POLICY: PlacementPolicy = {
  deadlineSeconds: 600,
  maxWorkers: 64,
  lambdaMemoryOptionsMb: [512, 1024, 1769, 3008, 5308, 10240],
  allowSpot: true,
};

/** One candidate as `plan --json` prints it. */
export interface PlacementCandidate {
  readonly placement: RunPlacement;
  readonly label: string;
  /** Lambda workers; 1 for a single process. */
  readonly workers: number;
  /** Lambda memory, MB; null on this machine or a Batch instance. */
  readonly memoryMb: number | null;
  readonly instanceType: string | null;
  readonly spot: boolean | null;
  readonly seconds: number;
  readonly dollars: number;
  readonly rejection: string | null;
  readonly meetsDeadline: boolean;
}

/** The planner's choice for a job, as stored in the job spec and plan. */
export interface PlacementDecisionSummary {
  readonly placement: RunPlacement;
  readonly label: string;
  readonly reason: string;
  readonly seconds: number;
  readonly dollars: number;
  readonly rounds: number;
  /** Lambda workers of the chosen candidate (1 otherwise). */
  readonly workers: number;
}

/** The planner kind behind a run placement. */
export function runPlacementOf(kind: PlacementKind): RunPlacement {
  return kind === 'in-process' ? 'inprocess' : kind === 'lambda' ? 'lambda' : 'batch';
}

/** A candidate estimate as a flat row. */
export function candidateRow(c: CandidateEstimate): PlacementCandidate {
  const p = c.placement;
  return {
    placement: runPlacementOf(p.kind),
    label: c.label,
    workers: p.kind === 'lambda' ? p.workers : 1,
    memoryMb: p.kind === 'batch-gpu' ? null : (p.memoryMb ?? null),
    instanceType: p.kind === 'batch-gpu' ? p.instanceType : null,
    spot: p.kind === 'batch-gpu' ? p.spot : null,
    seconds: c.wallSeconds,
    dollars: c.costUsd,
    rejection: c.rejection,
    meetsDeadline: c.meetsDeadline,
  };
}

/**
 * The workload of a resolved config: n and d from it, K outputs, the shards' bytes, and rounds
 * and per-row work from the solver's own estimate ({@link solverWork}).
 */
export function workloadOf(
  config: TrainConfig,
  partitionRows: readonly number[],
  datasetBytes: number,
): Workload & { readonly why: string } {
  const work = solverWork(config, partitionRows);
  const rows = partitionRows.reduce((a, b) => a + b, 0);
  return {
    rows,
    features: config.spec.numFeatures,
    classes: config.spec.kind === 'softmax' ? (config.spec.numClasses ?? 1) : 1,
    datasetBytes,
    rounds: work.rounds,
    algorithm: work.algorithm,
    ...(work.batchSize !== undefined ? { batchSize: work.batchSize } : {}),
    ...(work.localSteps !== undefined ? { localSteps: work.localSteps } : {}),
    workFactor: work.workFactor,
    rowWork: work.rowWork,
    kernel: work.kernel,
    why: work.why,
  };
}

/**
 * `--placement auto`: every candidate — this machine (the cost model's `inProcessHost`, at $0 an
 * hour), Lambda fan-outs of W = 1, 2, 4, … ≤ maxWorkers at each memory size, Batch GPU types
 * on-demand and Spot — is priced, and the cheapest that finishes within the deadline wins
 * (ties: the faster); when none does, the fastest. So a job this machine finishes in time stays
 * here, one it cannot hold or finish goes to Lambda when that is cheaper than starting a GPU
 * instance, and a compute-heavy one goes to Batch.
 *
 * @example
 * const d = choosePlacement(workload, costModelForHost(calibration, host));
 * d.summary.placement; // 'inprocess' | 'lambda' | 'batch'
 * d.summary.reason;    // 'in-process is the cheapest of 41 feasible placements that finish within …'
 */
export function choosePlacement(
  workload: Workload,
  cost: CostModel,
  policy: Partial<PlacementPolicy> = {},
): { summary: PlacementDecisionSummary; candidates: PlacementCandidate[] } {
  const p = { ...DEFAULT_PLACEMENT_POLICY, ...policy };
  // Sizes the work Lambdas were measured at are candidates too (the stack's worker size, e.g. 2048).
  const measuredMb = (cost.lambdaMeasured ?? []).map((r) => r.memoryMb);
  const memoryOptions =
    policy.lambdaMemoryOptionsMb ??
    [...new Set([...p.lambdaMemoryOptionsMb, ...measuredMb])].sort((a, b) => a - b);
  const decision = planJobPlacement({
    ...workload,
    constraints: {
      maxWorkers: p.maxWorkers,
      lambdaMemoryOptionsMb: memoryOptions,
      deadlineSeconds: p.deadlineSeconds,
      preferCheapest: true,
      allowSpot: p.allowSpot,
    },
    costModel: cost,
  });
  const chosen = decision.placement;
  return {
    summary: {
      placement: runPlacementOf(chosen.kind),
      label: decision.label,
      reason: decision.reason,
      seconds: decision.wallSeconds,
      dollars: decision.costUsd,
      rounds: workload.rounds,
      workers: chosen.kind === 'lambda' ? chosen.workers : 1,
    },
    candidates: decision.candidates.map(candidateRow),
  };
}
