import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ObjectStore } from '../../ports.js';
import { FsObjectStore } from './fs-object-store.js';
import { s3PutEvent } from './lambda-events.js';
import { type LocalQueues, openLocalQueues } from './local-queues.js';
import { isProcessAlive } from './process-alive.js';
import { type ConsumerStats, QueueConsumer, type SqsHandler } from './queue-consumer.js';
import { type S3Handler, s3EventConsumer } from './s3-event-consumer.js';

/** The handler modules the local cloud runs: the very files Lambda runs (`functions/*`). */
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
  /** Extra environment for the handlers (fault injection, backend). */
  readonly env?: Readonly<Record<string, string>>;
  /** Visibility timeout of the queues, seconds. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

const BUCKET = 'local';

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
  private started = false;

  public constructor(private readonly options: LocalCloudOptions) {
    mkdirSync(join(options.home, 'store'), { recursive: true });
    this.store = new FsObjectStore({ root: join(options.home, 'store') });
    this.queues = openLocalQueues(options.home, this.queueSettings());
  }

  /** The environment handlers see: they build their ports from it, as on Lambda. */
  public handlerEnv(): Record<string, string> {
    return {
      SHARDTRAIN_CLOUD: 'local',
      SHARDTRAIN_HOME: this.options.home,
      ...(this.options.visibilityTimeoutSeconds !== undefined
        ? { SHARDTRAIN_VISIBILITY_TIMEOUT: String(this.options.visibilityTimeoutSeconds) }
        : {}),
      ...this.options.env,
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
    Object.assign(process.env, this.handlerEnv());
    const aggregator = (await import(this.options.handlers.aggregator)) as { handler: SqsHandler };
    this.aggregator = new QueueConsumer(this.queues.aggregate, aggregator.handler, {
      functionName: 'aggregator',
      batchSize: 10,
    });
    const preprocessThreads = this.options.preprocessThreads ?? 0;
    if (preprocessThreads === 0) {
      const preprocess = (await import(this.options.handlers.preprocess)) as { handler: S3Handler };
      this.events = new QueueConsumer(this.queues.events, s3EventConsumer(preprocess.handler, this.store), {
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

  private spawnWorker(index: number, queue: 'work' | 'events'): Promise<void> {
    const url = queue === 'work' ? this.options.handlers.worker : this.options.handlers.preprocess;
    const fromSource = url.endsWith('.ts');
    const entry = new URL(`./handler-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const data = {
      entry: entry.href,
      home: this.options.home,
      env: { ...this.handlerEnv(), SHARDTRAIN_THREAD: String(index) },
      handlerUrl: url,
      queue,
      functionName: `${queue === 'work' ? 'worker' : 'preprocess'}-${index}`,
      batchSize: 1,
      ...(this.options.visibilityTimeoutSeconds !== undefined
        ? { visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds }
        : {}),
    };
    const worker = fromSource
      ? new Worker(new URL('./ts-thread-bootstrap.mjs', import.meta.url), { workerData: data })
      : new Worker(entry, { workerData: data });
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
