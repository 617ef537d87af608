import type { PlacementCandidate, PlacementDecisionSummary } from './placement.js';
import { formatSeconds } from './plan-job-placement.js';
import { LOCAL_ROUND_OVERHEAD_SECONDS } from './round-latency.js';
import { decodedBytes, validateWorkload, type Workload, workPerRound } from './workload.js';

/** This machine, as the planner of a local home sees it. */
export interface LocalMachine {
  /** The calibrated kernel's throughput in one process, rows·features·outputs per second. */
  readonly rowFeaturesPerSecond: number;
  /** The kernel measured, for the labels (`wasm-simd`, `typed-array`). */
  readonly kernel: string;
  readonly memoryMb: number;
  /**
   * The local cloud's worker threads (`SHARDTRAIN_WORKER_THREADS`): they share the cores, each
   * computing at 1/T of the machine's rate. @default 2
   */
  readonly workerThreads?: number;
}

/**
 * Fixed costs of the local placements: a child process that loads the engine and its kernel, the
 * local cloud's threads loading the handlers, and reading + decoding shards from the home's store.
 * Rough figures: `node dist/batch/main.js` up to its first store read took 1.9–3.5 s on the
 * shared 2-core development machine at load 17 (a bare `node -e 0`: 0.6–1.3 s in the same run),
 * so 1 s on an idle one. The decisions hardly depend on them: any positive start keeps a short
 * job in this process, and a long one's start is small beside its rounds.
 */
export interface LocalFigures {
  /** `node dist/batch/main.js`: process start, module load, runtime and kernel set-up. */
  readonly processStartSeconds: number;
  /** The local cloud's worker threads starting and loading the handlers. */
  readonly cloudStartSeconds: number;
  /** Coordination of one local-cloud round (SQLite queues, files, threads). */
  readonly roundOverheadSeconds: number;
  /** Reading and decoding the compressed shards from disk. */
  readonly loadBytesPerSecond: number;
  /** Memory a process needs = decoded bytes × this + `runtimeBaselineMb` (as the cost model's). */
  readonly memoryFactor: number;
  readonly runtimeBaselineMb: number;
}

export const LOCAL_FIGURES: LocalFigures = {
  processStartSeconds: 1,
  cloudStartSeconds: 1,
  roundOverheadSeconds: LOCAL_ROUND_OVERHEAD_SECONDS,
  loadBytesPerSecond: 100e6,
  memoryFactor: 2,
  runtimeBaselineMb: 256,
};

/** How `auto` decides on a local home. */
export interface LocalPlacementPolicy {
  /**
   * Longest run kept in this process. The in-process runner keeps no checkpoint and ends with
   * the CLI; a longer job goes to the Batch entry point, a detached child process that saves its
   * state and resumes where it stopped. @default 600
   */
  readonly inProcessMaxSeconds: number;
}

export const DEFAULT_LOCAL_PLACEMENT_POLICY: LocalPlacementPolicy = { inProcessMaxSeconds: 600 };

/** The local placements' labels, as stored in the job plan. */
export const LOCAL_LABELS = {
  inprocess: 'in-process',
  lambda: (workers: number) => `local cloud ×${workers}`,
  batch: 'batch (local child process)',
} as const;

/**
 * `--placement auto` on a local home. Three candidates, all on this machine, whose time costs $0
 * (it is already paid for), so the fastest feasible one wins. With c = work(1) / rate the compute
 * of one round in one process (rate = the calibrated `rowFeaturesPerSecond`), L = bytes / load
 * rate, R rounds, W the job's workers and T the local cloud's threads:
 * - in-process: L + R·c; rejected when it needs more memory than the machine has, or runs longer
 *   than `inProcessMaxSeconds` (it keeps no checkpoint);
 * - local cloud ×W: cloudStart + L + R·(overhead + ⌈W/T⌉·work(W)/(rate/T)) — its threads share
 *   the same cores, so it is never faster than one process; it is listed to show what the queued
 *   runner would take;
 * - batch (child process): processStart + L + R·c, checkpointed and detached.
 * So a small job stays here, and one longer than the limit runs as the local Batch job.
 *
 * @example
 * const d = chooseLocalPlacement(workload, 4, { rowFeaturesPerSecond: 1e9, kernel: 'wasm-simd', memoryMb: 16384 });
 * d.summary.placement; // 'inprocess' for a job of under ten minutes here
 */
export function chooseLocalPlacement(
  workload: Workload,
  workers: number,
  machine: LocalMachine,
  policy: Partial<LocalPlacementPolicy> = {},
  figures: LocalFigures = LOCAL_FIGURES,
): { summary: PlacementDecisionSummary; candidates: PlacementCandidate[] } {
  validateWorkload(workload);
  const p = { ...DEFAULT_LOCAL_PLACEMENT_POLICY, ...policy };
  const rate = machine.rowFeaturesPerSecond;
  const threads = machine.workerThreads ?? 2;
  const R = workload.rounds;
  const load = workload.datasetBytes / figures.loadBytesPerSecond;
  const oneProcess = workPerRound(workload, 1) / rate;
  const needMb = (decodedBytes(workload, 1) / 1_048_576) * figures.memoryFactor + figures.runtimeBaselineMb;
  const tooBig =
    needMb > machine.memoryMb
      ? `the dataset needs ${Math.ceil(needMb)} MB, more than this machine's ${machine.memoryMb} MB`
      : null;
  const inProcessSeconds = load + R * oneProcess;
  const cloudRound =
    figures.roundOverheadSeconds +
    Math.ceil(workers / threads) * (workPerRound(workload, workers) / (rate / threads));
  const row = (
    placement: PlacementCandidate['placement'],
    label: string,
    w: number,
    seconds: number,
    rejection: string | null,
  ): PlacementCandidate => ({
    placement,
    label,
    workers: w,
    memoryMb: null,
    instanceType: null,
    spot: null,
    seconds,
    dollars: 0,
    rejection,
    meetsDeadline: true,
  });
  const candidates = [
    row(
      'inprocess',
      LOCAL_LABELS.inprocess,
      1,
      inProcessSeconds,
      tooBig ??
        (inProcessSeconds > p.inProcessMaxSeconds
          ? `the run takes ${formatSeconds(inProcessSeconds)}, over the ${formatSeconds(p.inProcessMaxSeconds)} an in-process run (no checkpoint) may take`
          : null),
    ),
    row(
      'lambda',
      LOCAL_LABELS.lambda(workers),
      workers,
      figures.cloudStartSeconds + load + R * cloudRound,
      tooBig,
    ),
    row('batch', LOCAL_LABELS.batch, 1, figures.processStartSeconds + inProcessSeconds, tooBig),
  ];
  const feasible = candidates.filter((c) => c.rejection === null);
  const best = [...feasible].sort((a, b) => a.seconds - b.seconds)[0];
  if (best === undefined) {
    // Nothing fits this machine; the job would fail wherever it ran here. Say so, and run it
    // where a failure is cheapest to see: this process.
    const first = candidates[0]!;
    return {
      summary: summaryOf(
        first,
        R,
        `nothing here can hold it (${first.rejection}); it runs in-process and will likely fail`,
      ),
      candidates,
    };
  }
  const rejected = candidates.filter((c) => c.rejection !== null).map((c) => `${c.label}: ${c.rejection}`);
  const why =
    `is the fastest of ${feasible.length} feasible local placements (this machine's time costs $0)` +
    (rejected.length > 0 ? `; ${rejected.join('; ')}` : '');
  return { summary: summaryOf(best, R, why), candidates };
}

function summaryOf(c: PlacementCandidate, rounds: number, why: string): PlacementDecisionSummary {
  return {
    placement: c.placement,
    label: c.label,
    reason: `${c.label} ${why}: ${formatSeconds(c.seconds)}, $0.`,
    seconds: c.seconds,
    dollars: 0,
    rounds,
    workers: c.workers,
  };
}
