import type { DatasetManifest } from '../data/index.js';
import { keys } from '../engine/keys.js';
import {
  type EngineDeps,
  handleResultBatch,
  handleWork,
  type Outbox,
  type Outcome,
  startJob,
} from '../engine/training/coordinator.js';
import type { JobSpec } from '../engine/training/job-spec.js';
import { JobCache, latestState } from '../engine/training/job-store.js';
import {
  parseMessage,
  resultDeduplicationId,
  resultMessageSchema,
  workMessageSchema,
} from '../engine/training/protocol.js';
import { seededRng } from '../examples/random.js';
import type { GradientKernel, TrainState } from '../optim/index.js';
import type { ObjectStore } from '../ports.js';
import { draw, type LatencyModel } from './latency-distribution.js';
import { MeteredStore, type S3Requests } from './metered-store.js';
import { MeteringKernel } from './metering-kernel.js';
import { S3RequestRate } from './s3-request-rate.js';
import { type SimDelivery, SimQueue } from './sim-queue.js';
import { type SimProcess, VirtualScheduler } from './virtual-scheduler.js';

/** A job to simulate: its spec (with `workers` = W) and its dataset, already in the base store. */
export interface ScaleJob {
  readonly spec: JobSpec;
  readonly manifest: DatasetManifest;
  readonly manifestKey: string;
}

/** Options of {@link simulateScaledJob}. */
export interface ScaleRunOptions {
  /** The durable store holding the dataset; the job's keys are written to it. */
  readonly store: ObjectStore;
  readonly job: ScaleJob;
  /** Computes the real gradients (the coordinator's decisions are real); its time is not used. */
  readonly kernel: GradientKernel;
  readonly latency: LatencyModel;
  /** One worker's gradient throughput, row·parameters per second (the calibrated kernel rate). */
  readonly workerRowParamsPerSecond: number;
  /** Each real row stands for this many rows in compute time and shard bytes. @default 1 */
  readonly rowScale?: number;
  /** One process's S3 transfer rate, bytes per second; 0: latency only. @default 0 */
  readonly bytesPerSecond?: number;
  /** Seeds the latency draws and the delivery order. @default 1 */
  readonly seed?: number;
  /** Passed to the coordinator (largest state sent inline). */
  readonly inlineStateMaxBytes?: number;
  /** Passed to the coordinator (largest worker result sent inline; AWS ships 24 KiB). @default 0 */
  readonly inlineResultMaxBytes?: number;
  /**
   * Work message for shard s goes to worker instance s when it is idle (one queue or direct
   * invocation per worker), so partitions stay cached; default: any idle instance, as an SQS event
   * source mapping does. @default false
   */
  readonly shardAffinity?: boolean;
  /**
   * Passed to the coordinator: whether workers claim partitions (see `claims.ts`). @default as the
   * shipped engine decides: W greater than a worker's partition cache
   */
  readonly partitionClaims?: boolean;
  /** Partitions one worker instance caches. @default the JobCache default (8) */
  readonly cachePartitions?: number;
  /** Result notifications per aggregator invocation (the FIFO event source's batch size). @default 10 */
  readonly aggregatorBatchSize?: number;
  /** Passed to the coordinator: the aggregator's result look-ups and reads in flight at once. @default 1 */
  readonly aggregatorReadConcurrency?: number;
}

/** What one simulated job did and how long it took, in virtual seconds. */
export interface ScaleRunReport {
  readonly workers: number;
  /** From the start call to the aggregator's `finished`. */
  readonly wallSeconds: number;
  readonly rounds: number;
  readonly finalState: TrainState;
  readonly invocations: { readonly work: number; readonly aggregate: number };
  /** What the work deliveries did (`computed`, `taken`, …), counted. */
  readonly workOutcomes: Readonly<Partial<Record<Outcome, number>>>;
  /** Partition claims left in the store (one per shard and round when claims are on). */
  readonly claimObjects: number;
  readonly coldStarts: number;
  /** Billed Lambda seconds (handler time, cold starts included). */
  readonly billedSeconds: { readonly worker: number; readonly aggregator: number };
  /** Virtual compute seconds of all workers together. */
  readonly computeSeconds: number;
  /** Seconds of S3 transfers (shard loads, mostly) of all processes together. */
  readonly transferSeconds: number;
  readonly s3: Readonly<S3Requests>;
  /** Most requests of one class on one prefix in any second, and the waits S3's rate caused. */
  readonly s3PeakPerSecond: number;
  readonly s3ThrottledSeconds: number;
  /** SQS requests (sends, in batches of 10 for work; receives and deletes per message). */
  readonly sqs: { readonly standardRequests: number; readonly fifoRequests: number };
}

const VISIBILITY_MS = 3_600_000;

/**
 * Runs one job through the real coordinator (`startJob`, `handleWork`, `handleResult`) on
 * simulated SQS queues and a store priced as S3, in virtual time: W worker Lambdas on the work
 * queue, one aggregator on the FIFO queue (one message group per job), every store call and
 * queue hop drawn from `latency`, and compute taking work ÷ `workerRowParamsPerSecond` seconds
 * (the work counted as the real kernel computes the real gradients). The rounds, messages and
 * state writes are the coordinator's own; only time is simulated.
 *
 * @example
 * const r = await simulateScaledJob({ store, job, kernel, latency: AWS_LATENCY, workerRowParamsPerSecond: 2e8 });
 * r.wallSeconds; r.rounds;
 */
export async function simulateScaledJob(options: ScaleRunOptions): Promise<ScaleRunReport> {
  const { job, latency } = options;
  const seed = options.seed ?? 1;
  const sched = new VirtualScheduler(seed);
  const rng = seededRng(seed + 0x5eed);
  const rowScale = options.rowScale ?? 1;
  const bytesPerSecond = options.bytesPerSecond ?? 0;
  const w = job.spec.workers;
  const work = new SimQueue(
    'work',
    { fifo: false, visibilityTimeoutMs: VISIBILITY_MS, maxReceiveCount: 1_000 },
    sched,
  );
  const aggregate = new SimQueue(
    'aggregate',
    { fifo: true, visibilityTimeoutMs: VISIBILITY_MS, maxReceiveCount: 1_000 },
    sched,
  );
  const rate = new S3RequestRate();
  const s3: S3Requests = { get: 0, head: 0, put: 0, list: 0, delete: 0, shardGet: 0 };
  const tally = {
    work: 0,
    aggregate: 0,
    coldStarts: 0,
    workerBilled: 0,
    aggregatorBilled: 0,
    computeSeconds: 0,
    transferSeconds: 0,
    workSends: 0,
    workMessages: 0,
    resultMessages: 0,
    finishedAt: Number.NaN,
  };
  const workOutcomes: Partial<Record<Outcome, number>> = {};
  const shardKeys = new Set(job.manifest.shards.map((sh) => sh.key));
  const newCache = (): JobCache =>
    options.cachePartitions === undefined ? new JobCache() : new JobCache(options.cachePartitions);
  const wait = (proc: SimProcess, seconds: number): Promise<void> => sched.sleep(proc, seconds * 1000);

  const depsFor = (proc: SimProcess, cache: JobCache): { deps: EngineDeps; meter: MeteringKernel } => {
    const meter = new MeteringKernel(options.kernel);
    // A partition read from the store (not in this instance's cache) moves its share of the
    // dataset's bytes, scaled like its rows; the real shard files may hold other partitions too.
    let loadedPartition = false;
    const store = new MeteredStore(options.store, {
      wait: (s) => wait(proc, s),
      now: () => sched.now / 1000,
      latency: (kind) =>
        draw(kind === 'get' ? latency.s3Get : kind === 'head' ? latency.s3Head : latency.s3Put, rng),
      rate,
      requests: s3,
      bytesPerSecond,
      isDataset: (key) => shardKeys.has(key),
      onShardGet: () => {
        loadedPartition = true;
      },
      onTransfer: (seconds) => {
        tally.transferSeconds += seconds;
      },
    });
    const outbox: Outbox = {
      async sendWork(messages) {
        // As the runtime's queue outbox: SendMessageBatch calls of 10, one after the other.
        for (let i = 0; i < messages.length; i += 10) {
          await wait(proc, draw(latency.sqsSend, rng));
          tally.workSends++;
          for (const m of messages.slice(i, i + 10)) {
            tally.workMessages++;
            work.send(JSON.stringify(m), { delayMs: draw(latency.sqsStandardHop, rng) * 1000 });
          }
        }
      },
      async sendResult(message) {
        await wait(proc, draw(latency.sqsSend, rng));
        tally.resultMessages++;
        aggregate.send(JSON.stringify(message), {
          groupId: message.jobId,
          deduplicationId: resultDeduplicationId(message),
          delayMs: draw(latency.sqsFifoHop, rng) * 1000,
        });
      },
    };
    const deps: EngineDeps = {
      store,
      outbox,
      kernel: meter,
      backend: 'simulated',
      cache,
      deleteScratch: false,
      ...(options.inlineStateMaxBytes !== undefined
        ? { inlineStateMaxBytes: options.inlineStateMaxBytes }
        : {}),
      ...(options.aggregatorReadConcurrency !== undefined
        ? { aggregatorReadConcurrency: options.aggregatorReadConcurrency }
        : {}),
      ...(options.inlineResultMaxBytes !== undefined
        ? { inlineResultMaxBytes: options.inlineResultMaxBytes }
        : {}),
      ...(options.partitionClaims !== undefined ? { partitionClaims: options.partitionClaims } : {}),
      async checkpoint(point) {
        // The gradient has just been computed for real; its time passes here, before the result's PUT.
        if (point !== 'worker:before-result') return;
        const seconds = (meter.work * rowScale) / options.workerRowParamsPerSecond;
        meter.work = 0;
        tally.computeSeconds += seconds;
        let load = 0;
        if (loadedPartition && bytesPerSecond > 0) {
          load = (job.manifest.shardBytes * rowScale) / w / bytesPerSecond;
          loadedPartition = false;
          tally.transferSeconds += load;
        }
        await wait(proc, load + seconds);
      },
    };
    return { deps, meter };
  };

  /**
   * A function's event source mapping: one poller hands each batch of deliverable messages to an
   * idle instance of at most `instances` (reserved concurrency), waking only that one. Each
   * instance pays a cold start on its first batch.
   */
  const eventSource = (
    queue: SimQueue,
    kind: 'work' | 'aggregate',
    instances: number,
    batchSize: number,
    affinity = false,
  ): void => {
    const idle: { readonly index: number; readonly give: (batch: SimDelivery[]) => void }[] = [];
    let pollerWake: (() => void) | undefined;
    for (let i = 0; i < instances; i++) {
      sched.spawn(`${kind}-lambda-${i}`, async (proc) => {
        const cache = newCache();
        let cold = true;
        for (;;) {
          let batch: SimDelivery[] = [];
          const parked = sched.park(proc, Number.POSITIVE_INFINITY);
          idle.push({
            index: i,
            give: (b) => {
              batch = b;
              parked.wake();
            },
          });
          pollerWake?.();
          await parked.resumed;
          const started = sched.now;
          if (cold) tally.coldStarts++;
          await wait(proc, draw(cold ? latency.lambdaColdStart : latency.lambdaWarmStart, rng));
          cold = false;
          const { deps } = depsFor(proc, cache);
          let outcomes: Outcome[];
          if (kind === 'work') {
            tally.work++;
            outcomes = [];
            for (const d of batch)
              outcomes.push(
                await handleWork(deps, parseMessage(workMessageSchema, d.body), {
                  receiveCount: d.receiveCount,
                }),
              );
          } else {
            tally.aggregate++;
            const messages = batch.map((d) => parseMessage(resultMessageSchema, d.body));
            outcomes = await handleResultBatch(deps, messages);
          }
          if (kind === 'work') for (const o of outcomes) workOutcomes[o] = (workOutcomes[o] ?? 0) + 1;
          const billed = (sched.now - started) / 1000;
          if (kind === 'work') tally.workerBilled += billed;
          else tally.aggregatorBilled += billed;
          if (outcomes.includes('finished') && Number.isNaN(tally.finishedAt))
            tally.finishedAt = sched.now / 1000;
        }
      });
    }
    sched.spawn(`${kind}-poller`, async (proc) => {
      for (;;) {
        const give = idle.length > 0 ? queue.receive() : undefined;
        if (give === undefined) {
          const parked = sched.park(proc, idle.length > 0 ? queue.nextChangeAt() : Number.POSITIVE_INFINITY);
          pollerWake = parked.wake;
          const unsubscribe = queue.onChange(parked.wake);
          await parked.resumed;
          unsubscribe();
          pollerWake = undefined;
          continue;
        }
        // The mapping deletes a batch once its handler returns; deleting it as it is handed over
        // lets a FIFO group's next messages join the batch (nothing fails in this simulation).
        const batch = [give];
        queue.delete(give.receipt);
        while (batch.length < batchSize) {
          const more = queue.receive();
          if (more === undefined) break;
          batch.push(more);
          queue.delete(more.receipt);
        }
        // Affinity: the instance numbered like the shard, when idle, so its partition stays cached.
        const want = affinity ? (JSON.parse(give.body) as { shard: number }).shard % instances : -1;
        const at = idle.findIndex((x) => x.index === want);
        const [taker] = idle.splice(at >= 0 ? at : idle.length - 1, 1);
        taker!.give(batch);
      }
    });
  };

  sched.spawn('start', async (proc) => {
    const { deps } = depsFor(proc, newCache());
    await startJob(deps, job.spec, job.manifest, job.manifestKey);
  });
  eventSource(work, 'work', w, 1, options.shardAffinity === true);
  eventSource(aggregate, 'aggregate', 1, options.aggregatorBatchSize ?? 10);
  await sched.run({ maxSteps: 200_000_000, maxTimeMs: 30 * 86_400_000 });

  const finalState = await latestState(options.store, job.spec.jobId);
  if (finalState === undefined || Number.isNaN(tally.finishedAt)) {
    throw new Error(`simulated job ${job.spec.jobId} did not finish`);
  }
  return {
    workers: w,
    wallSeconds: tally.finishedAt,
    rounds: finalState.round,
    finalState,
    invocations: { work: tally.work, aggregate: tally.aggregate },
    workOutcomes,
    claimObjects: (await options.store.list(keys.job.jobClaimsPrefix(job.spec.jobId))).length,
    coldStarts: tally.coldStarts,
    billedSeconds: { worker: tally.workerBilled, aggregator: tally.aggregatorBilled },
    computeSeconds: tally.computeSeconds,
    transferSeconds: tally.transferSeconds,
    s3,
    s3PeakPerSecond: rate.peakPerSecond,
    s3ThrottledSeconds: rate.throttledSeconds,
    sqs: {
      standardRequests: tally.workSends + 2 * tally.work,
      fifoRequests: tally.resultMessages + 2 * tally.aggregate,
    },
  };
}
