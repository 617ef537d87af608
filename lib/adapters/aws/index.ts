/**
 * AWS adapters of the ports in `lib/ports.ts`: the only place in `lib/` that imports `@aws-sdk/*`.
 * Each takes its SDK v3 client in its constructor and defaults it (`new S3Client({})`, …).
 */
export {
  BatchJobLauncher,
  type BatchJobLauncherOptions,
  batchJobName,
  HOST_EVICTION_RETRY,
  JOB_ID_ENV,
  toLaunchStatus,
} from './batch-job-launcher.js';
export { EventBridgeEventSink, type EventBridgeEventSinkOptions } from './eventbridge-event-sink.js';
export { MIN_PART_SIZE, S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.js';
export {
  chunkBySizeAndCount,
  messageBytes,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_MESSAGE_BYTES,
} from './sqs-message-size.js';
export { PAYLOAD_KEY_ATTRIBUTE, SqsQueue, type SqsQueueOptions } from './sqs-queue.js';
