import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { LocalRuntimeConfig } from '../../app/config.js';
import { FsObjectStore } from './fs-object-store.js';
import { openLocalQueues } from './local-queues.js';
import { QueueConsumer, type SqsHandler } from './queue-consumer.js';
import { adoptQueueWakeups } from './queue-wakeups.js';
import { type S3Handler, s3EventConsumer } from './s3-event-consumer.js';

/**
 * Entry of a local-cloud handler thread: one "Lambda container" consuming one queue with the
 * handler module it was given, until the parent says stop. Its own SQLite connection, its own
 * runtime (caches, backend), like a real container, built from the configuration it was given.
 */
interface ThreadData {
  readonly config: LocalRuntimeConfig;
  readonly handlerUrl: string;
  /** `events`: S3 notifications for the preprocess handler (see {@link s3EventConsumer}). */
  readonly queue: 'work' | 'aggregate' | 'events';
  readonly functionName: string;
  readonly batchSize: number;
  /** The queue file's send counters, so sends in any thread of the cloud wake this one's polls. */
  readonly wakeups: { readonly file: string; readonly shared: SharedArrayBuffer };
}

const data = workerData as ThreadData;
const { config } = data;
// Before any broker opens the file here (this consumer's, and the handler runtime's outbox).
adoptQueueWakeups(data.wakeups.file, data.wakeups.shared);
const queues = openLocalQueues(
  config.home,
  config.visibilityTimeoutSeconds !== undefined
    ? { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds }
    : {},
);
const mod = (await import(data.handlerUrl)) as {
  createHandler(config: LocalRuntimeConfig): SqsHandler & S3Handler;
};
const created = mod.createHandler(config);
const handler =
  data.queue === 'events'
    ? s3EventConsumer(created, new FsObjectStore({ root: join(config.home, 'store') }))
    : created;
const consumer = new QueueConsumer(queues[data.queue], handler, {
  functionName: data.functionName,
  batchSize: data.batchSize,
  // A worker's result notification is its last act: it commits with the work message's delete.
  holdSends: data.queue === 'work',
});
parentPort?.on('message', (m: unknown) => {
  if (m === 'stop') {
    void consumer.stop().then(() => {
      parentPort?.postMessage({ type: 'stats', stats: consumer.stats });
      queues.broker.close();
      process.exit(0);
    });
  }
});
consumer.start();
parentPort?.postMessage({ type: 'ready' });
