import type { DatasetManifest } from '../../../lib/data/index.js';
import { keys } from '../../../lib/engine/keys.js';
import {
  CHECKPOINTS,
  type CheckpointName,
  type EngineDeps,
  type FinishedJob,
  handleResult,
  handleWork,
  type Outbox,
  type Outcome,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import { JobCache } from '../../../lib/engine/training/job-store.js';
import {
  parseMessage,
  resultDeduplicationId,
  resultMessageSchema,
  workMessageSchema,
} from '../../../lib/engine/training/protocol.js';
import { resumeJob } from '../../../lib/engine/training/resume.js';
import { InfrastructureError } from '../../../lib/errors.js';
import type { GradientKernel } from '../../../lib/optim/index.js';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { FAULT_KINDS, type Fault, type FaultKind, type FaultPlan, type RunProfile } from './fault-plan.js';
import { LatencyStore, type SimObjectStore } from './sim-object-store.js';
import { type DeadLetter, SimQueue } from './sim-queue.js';
import { type SimProcess, VirtualScheduler } from './virtual-scheduler.js';

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

/** Handler outcomes plus the two ways a handler can fail. */
export type SimOutcome = Outcome | 'crashed' | 'rejected';

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

/** The crash the `checkpoint` hook throws. */
export class SimulatedCrash extends InfrastructureError {
  public constructor(point: CheckpointName) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

const OUTCOMES: readonly SimOutcome[] = [
  'computed',
  'resent',
  'stale',
  'waiting',
  'applied',
  'finished',
  'recovered',
  'crashed',
  'rejected',
];

const zeros = <K extends string>(names: readonly K[]): Record<K, number> =>
  Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;

/**
 * Runs jobs through `startJob` / `handleWork` / `handleResult` on SQS-like queues in virtual time,
 * with several consumers interleaving their steps and the faults of `options.faults` injected,
 * until nothing is left to do. Deterministic: the same options give the same run.
 *
 * @example
 * const report = await simulate({ seed: 1, store, jobs: [{ spec, manifest, manifestKey }] });
 * const state = await latestState(store, spec.jobId);
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const sched = new VirtualScheduler(options.seed);
  const { store } = options;
  const kernel = options.kernel ?? new TypedArrayKernel();
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const work = new SimQueue('work', { fifo: false, visibilityTimeoutMs, maxReceiveCount }, sched);
  const aggregate = new SimQueue('aggregate', { fifo: true, visibilityTimeoutMs, maxReceiveCount }, sched);
  const faults = options.faults?.faults ?? [];

  const checkpoints = zeros(CHECKPOINTS);
  const outcomes = zeros(OUTCOMES);
  const injected = zeros(FAULT_KINDS);
  const counters = { work: 0, aggregate: 0, workDeliveries: 0, workSends: 0, resultSends: 0, starts: 0 };
  const registrations: string[] = [];
  let killedExecutions = 0;

  const find = <F extends Fault['kind']>(kind: F, match: (f: Extract<Fault, { kind: F }>) => boolean) =>
    faults.filter(
      (f): f is Extract<Fault, { kind: F }> => f.kind === kind && match(f as Extract<Fault, { kind: F }>),
    );
  const latency = (proc: SimProcess): Promise<void> => sched.sleep(proc, sched.int(1, 10));

  /** Dependencies of one handler execution in process `proc`. */
  const depsFor = (proc: SimProcess, cache: JobCache): EngineDeps => {
    const procStore: ObjectStore = new LatencyStore(store, () => latency(proc));
    const outbox: Outbox = {
      async sendWork(messages) {
        await latency(proc);
        for (const m of messages) {
          counters.workSends++;
          const delays = find('reorder', (f) => f.index === counters.workSends);
          injected.reorder += delays.length;
          const delayMs = delays.reduce((s, f) => s + f.delayMs, 0);
          work.send(JSON.stringify(m), { delayMs });
        }
      },
      async sendResult(message) {
        await latency(proc);
        counters.resultSends++;
        const body = JSON.stringify(message);
        const send = (): void => {
          aggregate.send(body, { groupId: message.jobId, deduplicationId: resultDeduplicationId(message) });
        };
        send();
        for (const f of find(
          'duplicate',
          (d) => d.queue === 'aggregate' && d.index === counters.resultSends,
        )) {
          injected.duplicate++;
          sched.timer(f.lagMs, send);
        }
      },
    };
    return {
      store: procStore,
      outbox,
      kernel,
      backend: 'simulated',
      cache,
      async checkpoint(point) {
        const n = ++checkpoints[point];
        await sched.sleep(proc, point === 'worker:before-result' ? sched.int(50, 300) : 1);
        for (const f of find('straggler', (s) => s.point === point && s.occurrence === n)) {
          injected.straggler++;
          await sched.sleep(proc, f.pauseMs);
        }
        if (find('crash', (c) => c.point === point && c.occurrence === n).length > 0) {
          injected.crash++;
          throw new SimulatedCrash(point);
        }
      },
      async onFinish(job: FinishedJob) {
        await latency(proc);
        registrations.push(job.spec.jobId);
      },
    };
  };

  /** A Lambda instance polling one queue, with its own cache, until it is killed. */
  const consumer = (queue: SimQueue, kind: 'work' | 'aggregate', busy: Set<SimProcess>) =>
    sched.spawn(`${kind}-consumer`, async (proc) => {
      const cache = new JobCache();
      for (;;) {
        await latency(proc);
        const delivery = queue.receive();
        if (delivery === undefined) {
          const parked = sched.park(proc, queue.nextChangeAt());
          const unsubscribe = queue.onChange(parked.wake);
          await parked.resumed;
          unsubscribe();
          continue;
        }
        if (kind === 'work') {
          counters.workDeliveries++;
          for (const f of find(
            'duplicate',
            (d) => d.queue === 'work' && d.index === counters.workDeliveries,
          )) {
            injected.duplicate++;
            queue.send(delivery.body, { delayMs: f.lagMs });
          }
        }
        counters[kind]++;
        busy.add(proc);
        try {
          const deps = depsFor(proc, cache);
          const outcome =
            kind === 'work'
              ? await handleWork(deps, parseMessage(workMessageSchema, delivery.body))
              : await handleResult(deps, parseMessage(resultMessageSchema, delivery.body));
          outcomes[outcome]++;
          await latency(proc);
          queue.delete(delivery.receipt);
        } catch (error) {
          outcomes[error instanceof SimulatedCrash ? 'crashed' : 'rejected']++;
          queue.fail(
            delivery.receipt,
            error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          );
        }
        busy.delete(proc);
      }
    });

  /** The client that starts a job, retrying after a crash until `startJob` returns. */
  const starters = new Map<string, SimProcess>();
  const starter = (job: SimJob, delayMs: number): SimProcess =>
    sched.spawn(`start-${job.spec.jobId}`, async (proc) => {
      await sched.sleep(proc, delayMs);
      for (;;) {
        counters.starts++;
        try {
          const deps = depsFor(proc, new JobCache());
          if (job.resume === true) await resumeJob(deps, job.spec.jobId);
          else await startJob(deps, job.spec, job.manifest, job.manifestKey);
          starters.delete(job.spec.jobId);
          return;
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          await sched.sleep(proc, 1_000);
        }
      }
    });

  for (const m of options.messages ?? []) {
    (m.queue === 'work' ? work : aggregate).send(
      m.body,
      m.groupId !== undefined ? { groupId: m.groupId } : {},
    );
  }
  for (const job of options.jobs) starters.set(job.spec.jobId, starter(job, job.startAtMs ?? 0));

  let processes: SimProcess[] = [];
  let busy = new Set<SimProcess>();
  const startConsumers = (): void => {
    busy = new Set<SimProcess>();
    processes = [
      ...Array.from({ length: options.workConsumers ?? 3 }, () => consumer(work, 'work', busy)),
      ...Array.from({ length: options.aggregateConsumers ?? 2 }, () =>
        consumer(aggregate, 'aggregate', busy),
      ),
    ];
  };
  startConsumers();

  for (const f of faults) {
    if (f.kind !== 'kill') continue;
    sched.timer(f.atMs, () => {
      injected.kill++;
      killedExecutions += busy.size;
      for (const p of processes) sched.kill(p);
      // A client whose start call was cut off calls again.
      for (const job of options.jobs) {
        const running = starters.get(job.spec.jobId);
        if (running === undefined || sched.now < (job.startAtMs ?? 0)) continue;
        sched.kill(running);
        starters.set(job.spec.jobId, starter(job, 1_000));
      }
      startConsumers();
    });
  }

  const { stopAtMs } = options;
  await sched.run({
    maxSteps: options.maxSteps ?? 2_000_000,
    maxTimeMs: options.maxTimeMs ?? 86_400_000,
    ...(stopAtMs !== undefined ? { stopAt: stopAtMs } : {}),
  });

  const finished: string[] = [];
  for (const job of options.jobs) {
    if ((await store.head(keys.job.registered(job.spec.jobId))) !== undefined) finished.push(job.spec.jobId);
  }
  return {
    invocations: {
      work: counters.work,
      aggregate: counters.aggregate,
      total: counters.work + counters.aggregate,
    },
    outcomes,
    injected,
    killedExecutions,
    startAttempts: counters.starts,
    profile: {
      checkpoints,
      workDeliveries: counters.workDeliveries,
      workSends: counters.workSends,
      resultSends: counters.resultSends,
      virtualMs: sched.now,
    },
    deduplicated: aggregate.stats.deduplicated,
    deadLetters: [...work.deadLetters, ...aggregate.deadLetters],
    registrations,
    finished,
    virtualMs: sched.now,
    steps: sched.steps,
  };
}
