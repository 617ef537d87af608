/**
 * Ports: the only ways the core (`lib/engine`, `lib/registry`, `lib/data`) talks to the outside.
 * Adapters live in `lib/adapters/local` (laptop) and `lib/adapters/aws` (S3, SQS, Batch,
 * EventBridge); the core never knows which one it has.
 */

/** Body accepted by {@link ObjectStore.put}. Strings are stored as UTF-8. */
export type ObjectBody = Uint8Array | string;

/** An object as read back, with the entity tag used for compare-and-set. */
export interface StoredObject {
  readonly body: Uint8Array;
  /** Opaque version tag; pass it as `ifMatch` to overwrite only this version. */
  readonly etag: string;
}

export interface PutOptions {
  /** `'*'`: write only if no object exists at the key (put-if-absent). */
  readonly ifNoneMatch?: '*';
  /** Write only if the current object's etag equals this (compare-and-set). */
  readonly ifMatch?: string;
  readonly contentType?: string;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

/**
 * Key/value object storage with S3 semantics. Keys use `/` as separator.
 * Conditional puts throw `PreconditionFailedError` when the condition does not hold.
 */
export interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  /** Streams the object; `undefined` when it does not exist. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<{ etag: string }>;
  /** Writes a stream (multipart on S3) without holding it all in memory. */
  putStream(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ etag: string }>;
  /** Put-if-absent: `true` when this call wrote the object, `false` when one was already there. */
  putIfAbsent(key: string, body: ObjectBody): Promise<boolean>;
  /** Keys under `prefix`, sorted ascending (lexicographic, like S3 ListObjectsV2). */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
}

export interface SendOptions {
  /** FIFO only: messages of one group are delivered one at a time, in order. */
  readonly groupId?: string;
  /** FIFO only: a second send with the same id within 5 minutes is dropped. */
  readonly deduplicationId?: string;
  readonly delaySeconds?: number;
}

export interface SendEntry extends SendOptions {
  readonly body: string;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly body: string;
  /** Handle of this delivery; needed to delete or change visibility. */
  readonly receiptHandle: string;
  /** How many times this message has been received, this delivery included (1 on the first). */
  readonly receiveCount: number;
  readonly groupId?: string;
  readonly sentAt: Date;
}

export interface ReceiveOptions {
  readonly maxMessages?: number;
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling: wait up to this long for a message (0 = return at once). */
  readonly waitTimeSeconds?: number;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** A message queue with SQS semantics (at-least-once, visibility timeout, DLQ redrive, FIFO groups). */
export interface Queue {
  readonly name: string;
  readonly fifo: boolean;
  send(body: string, options?: SendOptions): Promise<{ messageId: string }>;
  sendBatch(entries: readonly SendEntry[]): Promise<void>;
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
  depth(): Promise<QueueDepth>;
}

export type LaunchStatus =
  | { readonly status: 'submitted' | 'pending' | 'runnable' | 'starting' | 'running' }
  | { readonly status: 'succeeded' }
  | { readonly status: 'failed'; readonly reason: string };

/** What a launcher starts: the job, a name for the platform, the command and its environment. */
export interface LaunchRequest {
  readonly jobId: string;
  readonly jobName: string;
  readonly command: readonly string[];
  /** Extra environment of the job (e.g. the key of its spec in the store). */
  readonly environment?: Readonly<Record<string, string>>;
}

/** Starts a training job outside Lambda (AWS Batch GPU job on AWS, a child process locally). */
export interface JobLauncher {
  submit(request: LaunchRequest): Promise<{ launchId: string }>;
  describe(launchId: string): Promise<LaunchStatus>;
}

export interface ShardtrainEvent {
  /** e.g. `ModelVersionCreated`, `AliasMoved`, `DriftDetected`. */
  readonly type: string;
  readonly time: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Where registry and pipeline events go: a file locally, EventBridge on AWS. */
export interface EventSink {
  publish(event: ShardtrainEvent): Promise<void>;
}

/** Time-limited links to stored objects that a browser can open without credentials (S3 presigned GET). */
export interface ObjectLinks {
  presignGet(key: string, expiresInSeconds?: number, contentType?: string): Promise<string>;
}
