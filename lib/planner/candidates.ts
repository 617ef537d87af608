import type { CostModel } from './cost-model.js';
import { type CostBreakdown, estimateCost } from './estimate-cost.js';
import { estimateTime } from './estimate-time.js';
import {
  describePlacement,
  memoryNeededMb,
  PLACEMENT_KINDS,
  type Placement,
  type PlacementKind,
  type Workload,
} from './workload.js';

/** What the caller allows. */
export interface PlacementConstraints {
  /** Most concurrent worker Lambdas (account/function concurrency); W is searched in powers of two up to it. */
  readonly maxWorkers: number;
  /** Lambda sizes to consider, MB (e.g. 512 … 10240). */
  readonly lambdaMemoryOptionsMb: readonly number[];
  readonly deadlineSeconds?: number;
  /** true: cheapest placement that meets the deadline; false: fastest placement. */
  readonly preferCheapest: boolean;
  /** Consider Batch spot instances (interruptions are not modelled); default true. */
  readonly allowSpot?: boolean;
  /** Placement kinds to consider; default all. */
  readonly allowedKinds?: readonly PlacementKind[];
}

/** One row of the decision table: a placement, its estimates, and why it cannot run (if it cannot). */
export interface CandidateEstimate {
  readonly placement: Placement;
  readonly label: string;
  readonly wallSeconds: number;
  readonly roundSeconds: number;
  readonly costUsd: number;
  readonly cost: CostBreakdown;
  /** Memory one process needs (per worker for lambda; the single process otherwise). */
  readonly memoryNeededMb: number;
  /** null when the placement can run; otherwise the reason it was rejected. */
  readonly rejection: string | null;
  readonly meetsDeadline: boolean;
}

/** Every placement the constraints allow: in-process, lambda W = 1, 2, 4, … ≤ maxWorkers × memory, batch. */
export function enumeratePlacements(w: Workload, c: PlacementConstraints, cost: CostModel): Placement[] {
  const kinds = new Set<PlacementKind>(c.allowedKinds ?? PLACEMENT_KINDS);
  const out: Placement[] = [];
  if (kinds.has('in-process')) {
    if (cost.inProcessHost !== undefined) out.push({ kind: 'in-process' });
    else for (const memoryMb of c.lambdaMemoryOptionsMb) out.push({ kind: 'in-process', memoryMb });
  }
  if (kinds.has('lambda')) {
    for (let workers = 1; workers <= Math.min(c.maxWorkers, w.rows); workers *= 2) {
      for (const memoryMb of c.lambdaMemoryOptionsMb) out.push({ kind: 'lambda', workers, memoryMb });
    }
  }
  if (kinds.has('batch-gpu')) {
    for (const i of cost.batchInstances) {
      out.push({ kind: 'batch-gpu', instanceType: i.instanceType, spot: false });
      if (c.allowSpot ?? true) out.push({ kind: 'batch-gpu', instanceType: i.instanceType, spot: true });
    }
  }
  return out;
}

function rejection(p: Placement, needMb: number, invocationSeconds: number, cost: CostModel): string | null {
  const need = `${Math.ceil(needMb)} MB`;
  if (p.kind === 'batch-gpu') return null;
  if (p.kind === 'lambda') {
    if (needMb > p.memoryMb) return `a partition needs ${need}, more than ${p.memoryMb} MB`;
    if (invocationSeconds > cost.lambdaMaxSeconds) {
      return `one worker invocation takes ${Math.ceil(invocationSeconds)} s, over the ${cost.lambdaMaxSeconds} s Lambda limit`;
    }
    return null;
  }
  const host = p.memoryMb === undefined ? cost.inProcessHost : undefined;
  const memoryMb = host?.memoryMb ?? p.memoryMb ?? 0;
  const maxSeconds = host?.maxSeconds ?? cost.lambdaMaxSeconds;
  if (needMb > memoryMb) return `the dataset needs ${need}, more than ${memoryMb} MB`;
  if (invocationSeconds > maxSeconds)
    return `the run takes ${Math.ceil(invocationSeconds)} s, over the ${maxSeconds} s limit`;
  return null;
}

/** Time, cost and feasibility of one placement (see `estimateTime` / `estimateCost` for formulas). */
export function evaluatePlacement(
  w: Workload,
  p: Placement,
  cost: CostModel,
  deadlineSeconds?: number,
): CandidateEstimate {
  const time = estimateTime(w, p, cost);
  const money = estimateCost(w, p, cost);
  const needMb = memoryNeededMb(w, p.kind === 'lambda' ? p.workers : 1, cost);
  return {
    placement: p,
    label: describePlacement(p),
    wallSeconds: time.wallSeconds,
    roundSeconds: time.roundSeconds,
    costUsd: money.totalUsd,
    cost: money,
    memoryNeededMb: needMb,
    rejection: rejection(p, needMb, time.invocationSeconds, cost),
    meetsDeadline: deadlineSeconds === undefined || time.wallSeconds <= deadlineSeconds,
  };
}
