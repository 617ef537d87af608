import { CHECKPOINTS, type CheckpointName } from '../../../lib/engine/training/coordinator.js';
import { seededRng } from '../../../lib/examples/random.js';

/** The kinds of fault the simulator injects. */
export const FAULT_KINDS = ['crash', 'duplicate', 'reorder', 'straggler', 'kill'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * One injected fault. Triggers count events over the whole run (1-based), so a plan is plain data
 * that replays exactly with the simulation seed it was made for.
 */
export type Fault =
  /** The `occurrence`-th time any handler reaches `point`, it crashes there (the `checkpoint` hook throws). */
  | { readonly kind: 'crash'; readonly point: CheckpointName; readonly occurrence: number }
  /**
   * `work`: the `index`-th work-queue delivery gets a twin that becomes visible `lagMs` later (0:
   * two workers may hold it at once). `aggregate`: the `index`-th result notification is sent again
   * `lagMs` later (a producer retry; dropped by FIFO deduplication inside its 5-minute window).
   */
  | {
      readonly kind: 'duplicate';
      readonly queue: 'work' | 'aggregate';
      readonly index: number;
      readonly lagMs: number;
    }
  /** The `index`-th work message is held back `delayMs`, so later messages overtake it. */
  | { readonly kind: 'reorder'; readonly index: number; readonly delayMs: number }
  /**
   * The `occurrence`-th time a handler reaches `point` (a worker between compute and write or
   * between write and notification; an aggregator around its state write), it pauses `pauseMs` —
   * past the visibility timeout, so a retry redoes the work while it sleeps and its late writes
   * and messages arrive after the retry's.
   */
  | {
      readonly kind: 'straggler';
      readonly point: StragglerPoint;
      readonly occurrence: number;
      readonly pauseMs: number;
    }
  /** At virtual time `atMs`, every running handler dies and every in-memory cache is lost. */
  | { readonly kind: 'kill'; readonly atMs: number };

/** Where a straggler pauses: mostly workers (the common case), sometimes the aggregator. */
export const STRAGGLER_POINTS = [
  'worker:before-result',
  'worker:after-result',
  'aggregator:before-state',
  'aggregator:after-state',
  'finish:after-model',
] as const satisfies readonly CheckpointName[];
export type StragglerPoint = (typeof STRAGGLER_POINTS)[number];

/** A seeded fault schedule. */
export interface FaultPlan {
  readonly seed: number;
  readonly faults: readonly Fault[];
}

/** What a fault-free run looked like: how often each trigger happened, and how long it took. */
export interface RunProfile {
  readonly checkpoints: Readonly<Record<CheckpointName, number>>;
  readonly workDeliveries: number;
  readonly workSends: number;
  readonly resultSends: number;
  readonly virtualMs: number;
}

/** Options of {@link randomFaultPlan}. */
export interface FaultPlanOptions {
  readonly minFaults?: number;
  readonly maxFaults?: number;
  /** Visibility timeout of the work queue; stragglers pause longer than this. */
  readonly visibilityTimeoutMs: number;
  readonly kinds?: readonly FaultKind[];
}

/**
 * Draws a fault schedule whose triggers fall inside what a fault-free run of the same job does
 * (`profile`), so most faults really fire. Crash points are drawn uniformly over
 * {@link CHECKPOINTS}, so the once-per-job points (start, finish) get as many crashes as the
 * per-round ones.
 */
export function randomFaultPlan(seed: number, profile: RunProfile, options: FaultPlanOptions): FaultPlan {
  const rng = seededRng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rng.uniform() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const kinds = options.kinds ?? FAULT_KINDS;
  const count = int(options.minFaults ?? 3, options.maxFaults ?? 8);
  const vt = options.visibilityTimeoutMs;
  const faults: Fault[] = [];
  for (let i = 0; i < count; i++) {
    const kind = pick(kinds);
    switch (kind) {
      case 'crash': {
        const point = pick(CHECKPOINTS);
        faults.push({ kind, point, occurrence: int(1, Math.max(1, profile.checkpoints[point])) });
        break;
      }
      case 'duplicate':
        faults.push(
          rng.uniform() < 0.6
            ? {
                kind,
                queue: 'work',
                index: int(1, profile.workDeliveries),
                lagMs: pick([0, 0, int(1, 2 * vt)]),
              }
            : { kind, queue: 'aggregate', index: int(1, profile.resultSends), lagMs: int(1, 2 * 300_000) },
        );
        break;
      case 'reorder':
        faults.push({ kind, index: int(1, profile.workSends), delayMs: int(1, 2 * vt) });
        break;
      case 'straggler': {
        const u = rng.uniform();
        const point: StragglerPoint =
          u < 0.5
            ? 'worker:before-result'
            : u < 0.7
              ? 'worker:after-result'
              : pick(STRAGGLER_POINTS.slice(2));
        faults.push({
          kind,
          point,
          occurrence: int(1, Math.max(1, profile.checkpoints[point])),
          pauseMs: vt + int(1, 400_000),
        });
        break;
      }
      case 'kill':
        faults.push({ kind, atMs: int(0, Math.max(1, Math.floor(profile.virtualMs))) });
        break;
    }
  }
  return { seed, faults };
}
