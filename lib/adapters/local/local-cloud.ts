import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendConfig, FaultPlan, LocalRuntimeConfig } from '../../app/config.js';
import { keys } from '../../engine/keys.js';
import { UsageError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import { FsObjectStore } from './fs-object-store.js';
import { s3PutEvent } from './lambda-events.js';
import { type LocalQueues, openLocalQueues } from './local-queues.js';
import { isProcessAlive } from './process-alive.js';
import { type ConsumerStats, QueueConsumer, type SqsHandler } from './queue-consumer.js';
import { shareQueueWakeups } from './queue-wakeups.js';
import { type S3Handler, s3EventConsumer } from './s3-event-consumer.js';
import { type Checkpointer, startCheckpointer } from './sqlite-checkpointer.js';

/**
 * The handler modules the local cloud runs: the very files Lambda runs (`functions/*`). Each
 * exports `createHandler(config)`, so the cloud hands them their configuration instead of an
 * environment.
 */
export interface LocalHandlers {
  readonly preprocess: string;
  readonly worker: string;
  readonly aggregator: string;
}

export interface LocalCloudOptions {
  /** The local store and queue database live here (`<home>/store`, `<home>/queues.db`). */
  readonly home: string;
  /** URLs (`file://…`) of the handler modules. */
  readonly handlers: LocalHandlers;
  /** Worker "containers" (threads), so several cores really compute. @default 2 */
  readonly workerThreads?: number;
  /**
   * Preprocess "containers" (threads): the parts of a partitioned upload are preprocessed in
   * parallel, one handler invocation per part, as Lambda runs one invocation per part.
   * 0 runs the handler in this thread, one event at a time (cheaper to start). @default 0
   */
  readonly preprocessThreads?: number;
  /** Crashes and pauses injected into the handlers (`SHARDTRAIN_FAULTS`). */
  readonly faults?: FaultPlan;
  /** The handlers' compute path (`SHARDTRAIN_BACKEND`, `SHARDTRAIN_KERNEL`…). @default {} */
  readonly backend?: BackendConfig;
  /**
   * Work messages per worker invocation (1–10), as the work queue's event source mapping's
   * `batchSize` (the CDK stack's `workerBatchSize`); failed items are reported per message
   * (`reportBatchItemFailures`, as deployed). @default DEPLOYED_BATCH_SIZES.worker
   */
  readonly workerBatchSize?: number;
  /** Visibility timeout of the queues, seconds. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

const BUCKET = 'local';

/**
 * Messages per invocation of the deployed SQS event source mappings (the CDK stack's
 * `workerBatchSize` and `aggregatorBatchSize` defaults; test/unit/cdk holds the two equal), so
 * that the local cloud batches as a deployment does unless told otherwise.
 */
export const DEPLOYED_BATCH_SIZES = { worker: 1, aggregator: 10 } as const;

/**
 * Longest the aggregator's consumer waits for the workers once a result is there (see
 * `QueueConsumer`'s `gather`). A round's last result usually comes a few milliseconds after its
 * first; this bounds the wait when the work queue stays busy (another job's rounds, a worker that
 * died holding a message), and then the results are handled as they are, as before.
 */
const AGGREGATOR_GATHER_MAX_MS = 20;

/** Young-generation cap of a handler thread's isolate, MiB (see `spawnWorker`). */
const HANDLER_YOUNG_GENERATION_MB = 4;

/** What a handler module exports for the local cloud. */
interface HandlerModule<H> {
  createHandler(config: LocalRuntimeConfig): H;
}

/**
 * An embedded local cloud: a directory for S3, SQLite for SQS, and the same handler functions
 * Lambda runs, invoked with the real event shapes. Object-created events under `datasets/` go to
 * the preprocess handler; the work queue feeds worker threads; the aggregate FIFO queue feeds the
 * aggregator. Everything is on disk, so a killed cloud restarts where it was.
 *
 * @example
 * const cloud = new LocalCloud({ home, handlers });
 * await cloud.start();
 * await cloud.putObject('datasets/houses/houses.csv', stream);
 */
export class LocalCloud {
  public readonly store: FsObjectStore;
  public readonly queues: LocalQueues;
  private readonly threads: Worker[] = [];
  private readonly threadStats: ConsumerStats[] = [];
  private readonly threadQueues: ('work' | 'events')[] = [];
  private aggregator: QueueConsumer | undefined;
  private events: QueueConsumer | undefined;
  private checkpointer: Checkpointer | undefined;
  private started = false;

  public constructor(private readonly options: LocalCloudOptions) {
    const batch = options.workerBatchSize;
    if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 10)) {
      throw new UsageError(`workerBatchSize must be an integer from 1 to 10 (as SQS), got ${batch}`);
    }
    mkdirSync(join(options.home, 'store'), { recursive: true });
    this.store = new FsObjectStore({ root: join(options.home, 'store') });
    this.queues = openLocalQueues(options.home, this.queueSettings());
  }

  /**
   * The configuration the handlers get (they build their runtime from it, as on Lambda from the
   * environment): this cloud's home and queue settings; `thread` names a handler thread.
   */
  public handlerConfig(thread?: number): LocalRuntimeConfig {
    const o = this.options;
    return {
      cloud: 'local',
      home: o.home,
      ...(o.visibilityTimeoutSeconds !== undefined
        ? { visibilityTimeoutSeconds: o.visibilityTimeoutSeconds }
        : {}),
      ...(o.faults !== undefined ? { faults: o.faults } : {}),
      ...(thread !== undefined ? { thread } : {}),
      backend: o.backend ?? {},
    };
  }

  /**
   * Starts the consumers. Messages left in flight by a process that died are released first:
   * this cloud owns every consumer of its queues, so nobody else can be working on them.
   */
  public async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.claimHome()) {
      for (const q of [this.queues.work, this.queues.aggregate, this.queues.events])
        await q.releaseInFlight();
    }
    this.checkpointer = await startCheckpointer(this.queues.broker.file);
    const aggregator = (await import(this.options.handlers.aggregator)) as HandlerModule<SqsHandler>;
    this.aggregator = new QueueConsumer(
      this.queues.aggregate,
      aggregator.createHandler(this.handlerConfig()),
      {
        functionName: 'aggregator',
        batchSize: DEPLOYED_BATCH_SIZES.aggregator,
        // A worker's result is sent in the commit that deletes its work message, so once no work
        // is visible or in flight, every result of the round is in: one invocation per round.
        gather: { busy: () => this.workInProgress(), maxWaitMs: AGGREGATOR_GATHER_MAX_MS },
      },
    );
    const preprocessThreads = this.options.preprocessThreads ?? 0;
    if (preprocessThreads === 0) {
      const preprocess = (await import(this.options.handlers.preprocess)) as HandlerModule<S3Handler>;
      const handler = preprocess.createHandler(this.handlerConfig());
      this.events = new QueueConsumer(this.queues.events, s3EventConsumer(handler, this.store), {
        functionName: 'preprocess-events',
      });
    }
    const n = this.options.workerThreads ?? 2;
    await Promise.all([
      ...Array.from({ length: n }, (_, i) => this.spawnWorker(i, 'work')),
      ...Array.from({ length: preprocessThreads }, (_, i) => this.spawnWorker(i, 'events')),
    ]);
    this.aggregator.start();
    this.events?.start();
  }

  /** Whether work messages are visible or in flight (the aggregator's batch is not complete yet). */
  private async workInProgress(): Promise<boolean> {
    const depth = await this.queues.work.depth();
    return depth.visible + depth.inFlight > 0;
  }

  /**
   * Records this process as the home's cloud (`<home>/cloud.pid`). False when another live
   * process holds it: then messages in flight may be that process's work and are left alone.
   */
  private claimHome(): boolean {
    const file = join(this.options.home, 'cloud.pid');
    try {
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid !== process.pid && pid > 0 && isProcessAlive(pid)) return false;
    } catch {
      // no lock yet
    }
    writeFileSync(file, String(process.pid));
    return true;
  }

  /** Stops every consumer after its current invocation. */
  public async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    try {
      const file = join(this.options.home, 'cloud.pid');
      if (Number(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true });
    } catch {
      // already gone
    }
    await Promise.all([this.aggregator?.stop(), this.events?.stop()]);
    await Promise.all(
      this.threads.map(
        (t) =>
          new Promise<void>((resolve) => {
            t.once('exit', () => resolve());
            t.postMessage('stop');
          }),
      ),
    );
    this.threads.length = 0;
    this.threadQueues.length = 0;
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
  }

  /** Closes the queue database (after `stop`). */
  public close(): void {
    this.queues.broker.close();
  }

  /** Handler invocations and message outcomes so far, per function. */
  public stats(): { worker: ConsumerStats; aggregator: ConsumerStats; preprocess: ConsumerStats } {
    const worker: ConsumerStats = { invocations: 0, succeeded: 0, failed: 0, crashed: 0 };
    const preprocess: ConsumerStats = {
      ...(this.events?.stats ?? { invocations: 0, succeeded: 0, failed: 0, crashed: 0 }),
    };
    for (const [i, s] of this.threadStats.entries()) {
      const into = this.threadQueues[i] === 'events' ? preprocess : worker;
      into.invocations += s.invocations;
      into.succeeded += s.succeeded;
      into.failed += s.failed;
      into.crashed += s.crashed;
    }
    const zero = { invocations: 0, succeeded: 0, failed: 0, crashed: 0 };
    return { worker, aggregator: this.aggregator?.stats ?? zero, preprocess };
  }

  /** Writes an object the way `aws s3 cp` would, and emits its ObjectCreated event under `datasets/`. */
  public async putObject(key: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const { etag } = await this.store.putStream(key, body);
    if (key.startsWith(keys.uploadsPrefix)) {
      const size = (await this.store.head(key))?.size ?? 0;
      await this.queues.events.send(JSON.stringify(s3PutEvent(BUCKET, key, size, etag)));
    }
  }

  /** The object store as handlers see it (the same directory). */
  public objectStore(): ObjectStore {
    return this.store;
  }

  private queueSettings() {
    return this.options.visibilityTimeoutSeconds !== undefined
      ? { visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds }
      : {};
  }

  /**
   * The backend of a worker thread: the gradient kernel's threads are the cores shared out among
   * the worker threads (a Lambda container has vCPUs of its own; these threads share the
   * machine's), unless the config sets them. Results are the same bits with any thread count.
   */
  private workerBackend(): BackendConfig {
    const backend = this.options.backend ?? {};
    if (backend.kernelThreads !== undefined) return backend;
    const perThread = Math.floor(availableParallelism() / (this.options.workerThreads ?? 2));
    return { ...backend, kernelThreads: Math.max(1, perThread) };
  }

  private spawnWorker(index: number, queue: 'work' | 'events'): Promise<void> {
    const url = queue === 'work' ? this.options.handlers.worker : this.options.handlers.preprocess;
    const fromSource = url.endsWith('.ts');
    const entry = new URL(`./handler-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const data = {
      entry: entry.href,
      config: { ...this.handlerConfig(index), backend: this.workerBackend() },
      handlerUrl: url,
      queue,
      functionName: `${queue === 'work' ? 'worker' : 'preprocess'}-${index}`,
      batchSize: queue === 'work' ? (this.options.workerBatchSize ?? DEPLOYED_BATCH_SIZES.worker) : 1,
      wakeups: { file: this.queues.broker.file, shared: shareQueueWakeups(this.queues.broker.file) },
    };
    // V8 grows a busy isolate's young generation towards its cap (48 MiB by default on 64-bit),
    // and a handler thread allocates a few hundred kilobytes per message, nearly all short-lived:
    // uncapped, the threads' RSS crept up over thousands of rounds. Scavenging a small space is cheap.
    const resourceLimits = { maxYoungGenerationSizeMb: HANDLER_YOUNG_GENERATION_MB };
    const worker = fromSource
      ? new Worker(new URL('./ts-thread-bootstrap.mjs', import.meta.url), {
          workerData: data,
          resourceLimits,
        })
      : new Worker(entry, { workerData: data, resourceLimits });
    this.threads.push(worker);
    this.threadQueues.push(queue);
    const slot = this.threadStats.push({ invocations: 0, succeeded: 0, failed: 0, crashed: 0 }) - 1;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: { type: string; stats?: ConsumerStats }) => {
        if (m.type === 'ready') resolve();
        if (m.type === 'stats' && m.stats !== undefined) this.threadStats[slot] = m.stats;
      });
      worker.once('error', reject);
    });
  }
}
