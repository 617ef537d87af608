import { UsageError } from '../errors.js';
import {
  type CandidateEstimate,
  enumeratePlacements,
  evaluatePlacement,
  type PlacementConstraints,
} from './candidates.js';
import { type CostModel, DEFAULT_COST_MODEL } from './cost-model.js';
import { type Placement, validateWorkload, type Workload } from './workload.js';

/** A job to place: its size, what the caller allows, and prices (defaults: {@link DEFAULT_COST_MODEL}). */
export interface PlacementInput extends Workload {
  readonly constraints: PlacementConstraints;
  readonly costModel?: CostModel;
}

/** The chosen placement, its estimates, one sentence saying why, and the whole table of candidates. */
export interface PlacementDecision {
  readonly placement: Placement;
  readonly label: string;
  readonly wallSeconds: number;
  readonly costUsd: number;
  readonly reason: string;
  /** Every candidate considered, rejected ones included (with `rejection` set), in enumeration order. */
  readonly candidates: readonly CandidateEstimate[];
}

/** `97.3 s`, `12.5 min`, `3.2 h`. */
export function formatSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const usd = (x: number): string => `$${x.toPrecision(3)}`;
const byCost = (a: CandidateEstimate, b: CandidateEstimate): number =>
  a.costUsd - b.costUsd || a.wallSeconds - b.wallSeconds;
const byTime = (a: CandidateEstimate, b: CandidateEstimate): number =>
  a.wallSeconds - b.wallSeconds || a.costUsd - b.costUsd;

function validateConstraints(c: PlacementConstraints): void {
  if (!Number.isInteger(c.maxWorkers) || c.maxWorkers < 1) {
    throw new UsageError(`planner: maxWorkers must be a positive integer, got ${c.maxWorkers}`);
  }
  if (c.lambdaMemoryOptionsMb.length === 0 || c.lambdaMemoryOptionsMb.some((m) => !(m > 0))) {
    throw new UsageError(
      `planner: lambdaMemoryOptionsMb must be positive sizes, got [${c.lambdaMemoryOptionsMb.join(', ')}]`,
    );
  }
  if (c.deadlineSeconds !== undefined && !(c.deadlineSeconds > 0)) {
    throw new UsageError(`planner: deadlineSeconds must be positive, got ${c.deadlineSeconds}`);
  }
}

/**
 * Chooses where to run a job. Every candidate (in-process per Lambda size, lambda W = 1, 2, 4, … ≤
 * maxWorkers per size, each Batch GPU type on-demand and spot) is estimated; Lambda configurations
 * whose partition does not fit in memory or whose invocation exceeds 900 s are rejected. Then:
 * `preferCheapest` → the cheapest feasible candidate that meets the deadline, or the fastest when
 * none does; otherwise the fastest. Ties go to the faster (resp. cheaper) one, then to enumeration order.
 * Throws `UsageError` for bad input or when no candidate can run at all.
 *
 * @example
 * const d = planJobPlacement({
 *   rows: 5_000_000, features: 64, classes: 1, datasetBytes: 1e9, rounds: 200, algorithm: 'batch',
 *   constraints: { maxWorkers: 1000, lambdaMemoryOptionsMb: [512, 1769, 3008, 10240], deadlineSeconds: 150, preferCheapest: true },
 * });
 * d.placement; // { kind: 'lambda', workers: 32, memoryMb: 1769 } (Batch's 180 s start-up misses the deadline)
 * d.reason;    // 'lambda ×32 @ 1769 MB is the cheapest of 15 feasible placements that finish within …'
 * d.candidates; // all 48 candidates with wallSeconds, costUsd, rejection: the table the CLI shows
 */
export function planJobPlacement(input: PlacementInput): PlacementDecision {
  validateWorkload(input);
  const { constraints: c } = input;
  validateConstraints(c);
  const cost = input.costModel ?? DEFAULT_COST_MODEL;
  const candidates = enumeratePlacements(input, c, cost).map((p) =>
    evaluatePlacement(input, p, cost, c.deadlineSeconds),
  );
  const feasible = candidates.filter((x) => x.rejection === null);
  if (feasible.length === 0) {
    const why = [...new Set(candidates.map((x) => x.rejection))].slice(0, 3).join('; ');
    throw new UsageError(
      `planner: no placement can run this job (${why}); allow more workers, memory or Batch`,
    );
  }
  const inTime = feasible.filter((x) => x.meetsDeadline);
  const deadline =
    c.deadlineSeconds === undefined ? '' : ` within the ${formatSeconds(c.deadlineSeconds)} deadline`;
  let best: CandidateEstimate;
  let why: string;
  if (c.preferCheapest && inTime.length > 0) {
    best = [...inTime].sort(byCost)[0]!;
    why = `is the cheapest of ${inTime.length} feasible placements that finish${deadline}`;
  } else {
    best = [...feasible].sort(byTime)[0]!;
    why = c.preferCheapest
      ? `is the fastest feasible placement, since none of ${feasible.length} finishes${deadline}`
      : `is the fastest of ${feasible.length} feasible placements (preferCheapest is off)`;
  }
  const reason = `${best.label} ${why}: ${formatSeconds(best.wallSeconds)}, ${usd(best.costUsd)}.`;
  return {
    placement: best.placement,
    label: best.label,
    wallSeconds: best.wallSeconds,
    costUsd: best.costUsd,
    reason,
    candidates,
  };
}
