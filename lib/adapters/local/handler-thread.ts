import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { FsObjectStore } from './fs-object-store.js';
import { openLocalQueues } from './local-queues.js';
import { QueueConsumer, type SqsHandler } from './queue-consumer.js';
import { type S3Handler, s3EventConsumer } from './s3-event-consumer.js';

/**
 * Entry of a local-cloud handler thread: one "Lambda container" consuming one queue with the
 * handler module it was given, until the parent says stop. Its own SQLite connection, its own
 * runtime (caches, backend), like a real container.
 */
interface ThreadData {
  readonly home: string;
  readonly env: Record<string, string>;
  readonly handlerUrl: string;
  /** `events`: S3 notifications for the preprocess handler (see {@link s3EventConsumer}). */
  readonly queue: 'work' | 'aggregate' | 'events';
  readonly functionName: string;
  readonly batchSize: number;
  readonly visibilityTimeoutSeconds?: number;
}

const data = workerData as ThreadData;
Object.assign(process.env, data.env);
const queues = openLocalQueues(
  data.home,
  data.visibilityTimeoutSeconds !== undefined
    ? { visibilityTimeoutSeconds: data.visibilityTimeoutSeconds }
    : {},
);
const mod = (await import(data.handlerUrl)) as { handler: SqsHandler & S3Handler };
const handler =
  data.queue === 'events'
    ? s3EventConsumer(mod.handler, new FsObjectStore({ root: join(data.home, 'store') }))
    : mod.handler;
const consumer = new QueueConsumer(queues[data.queue], handler, {
  functionName: data.functionName,
  batchSize: data.batchSize,
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
