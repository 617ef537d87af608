import type { DatasetManifest } from '../../../lib/data/index.js';
import { keys } from '../../../lib/engine/keys.js';
import { CHECKPOINTS } from '../../../lib/engine/training/coordinator.js';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import type { GradientKernel } from '../../../lib/optim/index.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import type { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { type DeadLetter, SimQueue } from '../../../lib/simulation/sim-queue.js';
import { type SimProcess, VirtualScheduler } from '../../../lib/simulation/virtual-scheduler.js';
import { type SimOutcome, type SimWorld, spawnConsumer, spawnStarter } from './actors.js';
import { FaultInjector, zeros } from './fault-injector.js';
import type { FaultKind, FaultPlan, RunProfile } from './fault-plan.js';

export { type SimOutcome, SimulatedCrash } from './actors.js';

/** A job to run in the simulation. */
export interface SimJob {
  readonly spec: JobSpec;
  readonly manifest: DatasetManifest;
  readonly manifestKey: string;
  /** Virtual time at which the client starts it (default 0). */
  readonly startAtMs?: number;
  /** Put an existing job back in motion with `resumeJob` (from the store alone) instead of starting it. */
  readonly resume?: boolean;
}

/** A raw message put on a queue before the run (a poison message, for instance). */
export interface SeededMessage {
  readonly queue: 'work' | 'aggregate';
  readonly body: string;
  readonly groupId?: string;
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** Seeds every random choice: latencies, delivery order, interleaving. */
  readonly seed: number;
  /** The durable store (datasets already in it); survives kills. */
  readonly store: SimObjectStore;
  readonly jobs: readonly SimJob[];
  readonly faults?: FaultPlan;
  readonly kernel?: GradientKernel;
  /** Concurrent work-queue consumers (default 3). */
  readonly workConsumers?: number;
  /** Concurrent aggregate-queue consumers (default 2). */
  readonly aggregateConsumers?: number;
  /** Visibility timeout of both queues (default 30 s). */
  readonly visibilityTimeoutMs?: number;
  /** Deliveries before a message is dead-lettered (default 5). */
  readonly maxReceiveCount?: number;
  /** Passed to the engine: whether started jobs claim partitions (default: W > the cache's 8). */
  readonly partitionClaims?: boolean;
  readonly messages?: readonly SeededMessage[];
  /**
   * Stop everything at this virtual time, queues included: what is left is the store alone (a
   * region lost). Default: run until nothing is left to do.
   */
  readonly stopAtMs?: number;
  /** Safety limits; a run that hits one throws `SimulationLimitError`. */
  readonly maxSteps?: number;
  readonly maxTimeMs?: number;
}

/** What happened in a run. */
export interface SimulationReport {
  /** Handler invocations (messages handed to `handleWork` / `handleResult`). */
  readonly invocations: { readonly work: number; readonly aggregate: number; readonly total: number };
  readonly outcomes: Readonly<Record<SimOutcome, number>>;
  /** Faults that actually fired, by kind. */
  readonly injected: Readonly<Record<FaultKind, number>>;
  /** Handler executions dropped by kills. */
  readonly killedExecutions: number;
  readonly startAttempts: number;
  readonly profile: RunProfile;
  readonly deduplicated: number;
  readonly deadLetters: readonly DeadLetter[];
  /** Job ids passed to `onFinish`, in call order. */
  readonly registrations: readonly string[];
  /** Job ids whose `registered` marker is in the store at the end. */
  readonly finished: readonly string[];
  readonly virtualMs: number;
  readonly steps: number;
}

const OUTCOMES: readonly SimOutcome[] = [
  'computed',
  'resent',
  'stale',
  'taken',
  'waiting',
  'applied',
  'finished',
  'recovered',
  'crashed',
  'rejected',
];

/**
 * Runs jobs through `startJob` / `handleWork` / `handleResult` on SQS-like queues in virtual time,
 * with several consumers interleaving their steps and the faults of `options.faults` injected,
 * until nothing is left to do. Deterministic: the same options give the same run.
 *
 * The parts: the {@link VirtualScheduler} (clock, seeded interleaving), the {@link FaultInjector}
 * (the plan at run time), and the actors of `actors.ts` (queue consumers, job starters); this
 * function wires them, schedules the kills, runs, and reports.
 *
 * @example
 * const report = await simulate({ seed: 1, store, jobs: [{ spec, manifest, manifestKey }] });
 * const state = await latestState(store, spec.jobId);
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const world = createWorld(options);
  const { sched, work, aggregate } = world;

  for (const m of options.messages ?? []) {
    (m.queue === 'work' ? work : aggregate).send(
      m.body,
      m.groupId !== undefined ? { groupId: m.groupId } : {},
    );
  }
  const starters = new Map<string, SimProcess>();
  for (const job of options.jobs) {
    starters.set(job.spec.jobId, spawnStarter(world, starters, job, job.startAtMs ?? 0));
  }
  const consumers = new ConsumerPool(world, options);
  consumers.start();
  let killedExecutions = 0;
  for (const f of world.faults.kills()) {
    sched.timer(f.atMs, () => {
      world.faults.fired('kill');
      killedExecutions += consumers.kill();
      // A client whose start call was cut off calls again.
      for (const job of options.jobs) {
        const running = starters.get(job.spec.jobId);
        if (running === undefined || sched.now < (job.startAtMs ?? 0)) continue;
        sched.kill(running);
        starters.set(job.spec.jobId, spawnStarter(world, starters, job, 1_000));
      }
      consumers.start();
    });
  }

  const { stopAtMs } = options;
  await sched.run({
    maxSteps: options.maxSteps ?? 2_000_000,
    maxTimeMs: options.maxTimeMs ?? 86_400_000,
    ...(stopAtMs !== undefined ? { stopAt: stopAtMs } : {}),
  });
  return report(world, options, killedExecutions);
}

/** The scheduler, the store, both queues, the fault injector and an empty tally. */
function createWorld(options: SimulationOptions): SimWorld {
  const sched = new VirtualScheduler(options.seed);
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  return {
    sched,
    store: options.store,
    kernel: options.kernel ?? new TypedArrayKernel(),
    work: new SimQueue('work', { fifo: false, visibilityTimeoutMs, maxReceiveCount }, sched),
    aggregate: new SimQueue('aggregate', { fifo: true, visibilityTimeoutMs, maxReceiveCount }, sched),
    faults: new FaultInjector(options.faults?.faults ?? []),
    ...(options.partitionClaims !== undefined ? { partitionClaims: options.partitionClaims } : {}),
    tally: {
      checkpoints: zeros(CHECKPOINTS),
      outcomes: zeros(OUTCOMES),
      counters: { work: 0, aggregate: 0, workDeliveries: 0, workSends: 0, resultSends: 0, starts: 0 },
      registrations: [],
    },
  };
}

/** The queue consumers (Lambda instances) of both queues: started together, killed together. */
class ConsumerPool {
  private processes: SimProcess[] = [];
  private busy = new Set<SimProcess>();

  public constructor(
    private readonly world: SimWorld,
    private readonly options: Pick<SimulationOptions, 'workConsumers' | 'aggregateConsumers'>,
  ) {}

  public start(): void {
    const busy = new Set<SimProcess>();
    this.busy = busy;
    this.processes = [
      ...Array.from({ length: this.options.workConsumers ?? 3 }, () =>
        spawnConsumer(this.world, this.world.work, 'work', busy),
      ),
      ...Array.from({ length: this.options.aggregateConsumers ?? 2 }, () =>
        spawnConsumer(this.world, this.world.aggregate, 'aggregate', busy),
      ),
    ];
  }

  /** Kills every consumer; returns how many were in the middle of a handler. */
  public kill(): number {
    const cut = this.busy.size;
    for (const p of this.processes) this.world.sched.kill(p);
    return cut;
  }
}

/** What happened, from the tally, the queues and the store. */
async function report(
  world: SimWorld,
  options: SimulationOptions,
  killedExecutions: number,
): Promise<SimulationReport> {
  const { sched, tally, work, aggregate } = world;
  const { counters } = tally;
  const finished: string[] = [];
  for (const job of options.jobs) {
    if ((await world.store.head(keys.job.registered(job.spec.jobId))) !== undefined)
      finished.push(job.spec.jobId);
  }
  return {
    invocations: {
      work: counters.work,
      aggregate: counters.aggregate,
      total: counters.work + counters.aggregate,
    },
    outcomes: tally.outcomes,
    injected: world.faults.injected,
    killedExecutions,
    startAttempts: counters.starts,
    profile: {
      checkpoints: tally.checkpoints,
      workDeliveries: counters.workDeliveries,
      workSends: counters.workSends,
      resultSends: counters.resultSends,
      virtualMs: sched.now,
    },
    deduplicated: aggregate.stats.deduplicated,
    deadLetters: [...work.deadLetters, ...aggregate.deadLetters],
    registrations: tally.registrations,
    finished,
    virtualMs: sched.now,
    steps: sched.steps,
  };
}
