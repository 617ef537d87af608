/**
 * Local adapters: the ports of `lib/ports.ts` over the filesystem, SQLite and child processes,
 * so the whole pipeline runs on a laptop with the same semantics as on AWS.
 */
export { FileEventSink, type FileEventSinkOptions } from './file-event-sink.js';
export { FsObjectStore, type FsObjectStoreOptions } from './fs-object-store.js';
export * from './lambda-events.js';
export * from './local-cloud.js';
export {
  type ExitRecord,
  type LaunchRecord,
  LocalJobLauncher,
  type LocalJobLauncherOptions,
} from './local-job-launcher.js';
export * from './local-queues.js';
export * from './queue-consumer.js';
export {
  MessageState,
  type PeekedMessage,
  QUEUE_LIMITS,
  SqliteQueue,
  type SqliteQueueAttributes,
} from './sqlite-queue.js';
export {
  type CreateQueueOptions,
  SqliteQueueBroker,
  type SqliteQueueBrokerOptions,
} from './sqlite-queue-broker.js';
