import { AGGREGATOR_READ_CONCURRENCY } from '../../../lib/app/runtime.js';
import {
  type CheckpointName,
  type EngineDeps,
  type FinishedJob,
  handleResult,
  handleWork,
  type Outbox,
  type Outcome,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import { JobCache } from '../../../lib/engine/training/job-store.js';
import {
  INLINE_RESULT_MAX_BYTES,
  parseMessage,
  resultDeduplicationId,
  resultMessageSchema,
  workMessageSchema,
} from '../../../lib/engine/training/protocol.js';
import { resumeJob } from '../../../lib/engine/training/resume.js';
import { InfrastructureError } from '../../../lib/errors.js';
import type { GradientKernel } from '../../../lib/optim/index.js';
import type { ObjectStore } from '../../../lib/ports.js';
import { LatencyStore, type SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import type { SimQueue } from '../../../lib/simulation/sim-queue.js';
import type { SimProcess, VirtualScheduler } from '../../../lib/simulation/virtual-scheduler.js';
import type { FaultInjector } from './fault-injector.js';
import type { SimJob } from './simulator.js';

/** Handler outcomes plus the two ways a handler can fail. */
export type SimOutcome = Outcome | 'crashed' | 'rejected';

/** The crash the `checkpoint` hook throws. */
export class SimulatedCrash extends InfrastructureError {
  public constructor(point: CheckpointName) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

/** What the actors count as the run goes. */
export interface Tally {
  readonly checkpoints: Record<CheckpointName, number>;
  readonly outcomes: Record<SimOutcome, number>;
  readonly counters: {
    work: number;
    aggregate: number;
    workDeliveries: number;
    workSends: number;
    resultSends: number;
    starts: number;
  };
  /** Job ids passed to `onFinish`, in call order. */
  readonly registrations: string[];
}

/** Everything the actors share: the clock, the durable store, the queues, the faults, the tally. */
export interface SimWorld {
  readonly sched: VirtualScheduler;
  readonly store: SimObjectStore;
  readonly kernel: GradientKernel;
  readonly work: SimQueue;
  readonly aggregate: SimQueue;
  readonly faults: FaultInjector;
  readonly tally: Tally;
  /** Passed to the engine (see `EngineDeps.partitionClaims`). */
  readonly partitionClaims?: boolean;
}

/** A few virtual milliseconds of network or runtime latency. */
const latency = (world: SimWorld, proc: SimProcess): Promise<void> =>
  world.sched.sleep(proc, world.sched.int(1, 10));

/**
 * The dependencies of one handler execution in process `proc`: a store with latency, an outbox
 * onto the simulated queues (reorder and duplicate faults on sends), the checkpoint hook
 * (stragglers and crashes) and `onFinish` (registrations).
 */
export function handlerDeps(world: SimWorld, proc: SimProcess, cache: JobCache): EngineDeps {
  const { sched, faults, tally } = world;
  const procStore: ObjectStore = new LatencyStore(world.store, () => latency(world, proc));
  const outbox: Outbox = {
    async sendWork(messages) {
      await latency(world, proc);
      for (const m of messages) {
        tally.counters.workSends++;
        const delayMs = faults.workSendDelay(tally.counters.workSends);
        world.work.send(JSON.stringify(m), { delayMs });
      }
    },
    async sendResult(message) {
      await latency(world, proc);
      tally.counters.resultSends++;
      const body = JSON.stringify(message);
      const send = (): void => {
        world.aggregate.send(body, {
          groupId: message.jobId,
          deduplicationId: resultDeduplicationId(message),
        });
      };
      send();
      for (const f of faults.duplicates('aggregate', tally.counters.resultSends)) {
        faults.fired('duplicate');
        sched.timer(f.lagMs, send);
      }
    },
  };
  return {
    store: procStore,
    outbox,
    kernel: world.kernel,
    backend: 'simulated',
    cache,
    // As the shipped runtimes: a round's results are read in parallel (summed in partition order).
    aggregatorReadConcurrency: AGGREGATOR_READ_CONCURRENCY,
    // As the shipped runtimes: a small result rides in its notification (stored by the aggregator
    // when it acknowledges one before its round is complete).
    inlineResultMaxBytes: INLINE_RESULT_MAX_BYTES,
    ...(world.partitionClaims !== undefined ? { partitionClaims: world.partitionClaims } : {}),
    async checkpoint(point) {
      const n = ++tally.checkpoints[point];
      await sched.sleep(proc, point === 'worker:before-result' ? sched.int(50, 300) : 1);
      for (const f of faults.stragglers(point, n)) {
        faults.fired('straggler');
        await sched.sleep(proc, f.pauseMs);
      }
      if (faults.crashes(point, n)) throw new SimulatedCrash(point);
    },
    async onFinish(job: FinishedJob) {
      await latency(world, proc);
      tally.registrations.push(job.spec.jobId);
    },
  };
}

/** A Lambda instance polling one queue, with its own cache, until it is killed. */
export function spawnConsumer(
  world: SimWorld,
  queue: SimQueue,
  kind: 'work' | 'aggregate',
  busy: Set<SimProcess>,
): SimProcess {
  const { sched, faults, tally } = world;
  return sched.spawn(`${kind}-consumer`, async (proc) => {
    const cache = new JobCache();
    for (;;) {
      await latency(world, proc);
      const delivery = queue.receive();
      if (delivery === undefined) {
        const parked = sched.park(proc, queue.nextChangeAt());
        const unsubscribe = queue.onChange(parked.wake);
        await parked.resumed;
        unsubscribe();
        continue;
      }
      if (kind === 'work') {
        tally.counters.workDeliveries++;
        for (const f of faults.duplicates('work', tally.counters.workDeliveries)) {
          faults.fired('duplicate');
          queue.send(delivery.body, { delayMs: f.lagMs });
        }
      }
      tally.counters[kind]++;
      busy.add(proc);
      try {
        const deps = handlerDeps(world, proc, cache);
        const outcome =
          kind === 'work'
            ? await handleWork(deps, parseMessage(workMessageSchema, delivery.body), {
                receiveCount: delivery.receiveCount,
              })
            : await handleResult(deps, parseMessage(resultMessageSchema, delivery.body));
        tally.outcomes[outcome]++;
        await latency(world, proc);
        queue.delete(delivery.receipt);
      } catch (error) {
        tally.outcomes[error instanceof SimulatedCrash ? 'crashed' : 'rejected']++;
        queue.fail(
          delivery.receipt,
          error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        );
      }
      busy.delete(proc);
    }
  });
}

/**
 * The client that starts (or resumes) a job after `delayMs`, calling again a second after each
 * crash until the call returns; it takes itself out of `starters` when done.
 */
export function spawnStarter(
  world: SimWorld,
  starters: Map<string, SimProcess>,
  job: SimJob,
  delayMs: number,
): SimProcess {
  const { sched, tally } = world;
  return sched.spawn(`start-${job.spec.jobId}`, async (proc) => {
    await sched.sleep(proc, delayMs);
    for (;;) {
      tally.counters.starts++;
      try {
        const deps = handlerDeps(world, proc, new JobCache());
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
}
