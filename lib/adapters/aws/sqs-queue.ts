import { createHash, randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { InfrastructureError, ProtocolError, UsageError } from '../../errors.js';
import type {
  ObjectStore,
  Queue,
  QueueDepth,
  ReceivedMessage,
  ReceiveOptions,
  SendEntry,
  SendOptions,
} from '../../ports.js';
import { infrastructureError } from './aws-error.js';
import {
  chunkBySizeAndCount,
  messageBytes,
  SQS_MAX_MESSAGE_BYTES,
  type StringAttribute,
} from './sqs-message-size.js';

/** Message attribute that marks a pointer envelope; its value is the payload's object key. */
export const PAYLOAD_KEY_ATTRIBUTE = 'ShardtrainPayloadKey';

/** Receipt handles of offloaded messages carry the payload key: `<marker><key>|<SQS handle>`. */
const HANDLE_MARKER = 'shardtrain-payload|';

/** Options of {@link SqsQueue}. */
export interface SqsQueueOptions {
  readonly queueUrl: string;
  /** @default the last segment of `queueUrl` */
  readonly name?: string;
  /** @default `true` when the name ends in `.fifo` */
  readonly fifo?: boolean;
  /** @default new SQSClient({}) */
  readonly client?: SQSClient;
  /**
   * Where bodies over `maxMessageBytes` go (extended-client style). Without it, such a send
   * throws `UsageError`.
   */
  readonly payloadStore?: ObjectStore;
  /** Key prefix of offloaded bodies in `payloadStore`. @default 'sqs-payloads/' */
  readonly payloadPrefix?: string;
  /** Largest message sent inline, in UTF-8 bytes including attributes. @default 262144 (256 KiB) */
  readonly maxMessageBytes?: number;
}

interface PreparedEntry {
  readonly MessageBody: string;
  readonly MessageAttributes?: Record<string, StringAttribute>;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
  readonly DelaySeconds?: number;
}

/**
 * {@link Queue} on Amazon SQS (standard or FIFO).
 *
 * Bodies larger than `maxMessageBytes` are stored in `payloadStore` under
 * `sqs-payloads/<uuid>` and replaced by a small pointer envelope (marked by the
 * `ShardtrainPayloadKey` message attribute); `receive` swaps the stored body back in and
 * `delete` removes the stored object after the message. A pointer whose object is gone can only
 * be a redelivery of a message that was already deleted, so `receive` deletes it and leaves it out.
 *
 * @example
 * ```ts
 * const queue = new SqsQueue({ queueUrl: config.workQueueUrl, payloadStore: store });
 * await queue.sendBatch(shards.map((shard) => ({ body: JSON.stringify({ v: 1, jobId, round, shard }) })));
 * for (const message of await queue.receive({ waitTimeSeconds: 20 })) {
 *   await handle(message.body);
 *   await queue.delete(message.receiptHandle);
 * }
 * ```
 */
export class SqsQueue implements Queue {
  public readonly name: string;
  public readonly fifo: boolean;
  private readonly queueUrl: string;
  private readonly client: SQSClient;
  private readonly payloadStore: ObjectStore | undefined;
  private readonly payloadPrefix: string;
  private readonly maxMessageBytes: number;

  public constructor(options: SqsQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.name =
      options.name ??
      options.queueUrl
        .split('/')
        .filter((s) => s !== '')
        .pop() ??
      options.queueUrl;
    this.fifo = options.fifo ?? this.name.endsWith('.fifo');
    this.client = options.client ?? new SQSClient({});
    this.payloadStore = options.payloadStore;
    this.payloadPrefix = options.payloadPrefix ?? 'sqs-payloads/';
    this.maxMessageBytes = options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
  }

  public async send(body: string, options: SendOptions = {}): Promise<{ messageId: string }> {
    const entry = await this.prepare({ ...options, body });
    try {
      const out = await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, ...entry }));
      if (out.MessageId === undefined) throw new Error('the response carried no MessageId');
      return { messageId: out.MessageId };
    } catch (error) {
      throw infrastructureError(`SQS SendMessage to ${this.name}`, error);
    }
  }

  public async sendBatch(entries: readonly SendEntry[]): Promise<void> {
    const prepared = await Promise.all(entries.map((entry) => this.prepare(entry)));
    const indexed = prepared.map((entry, index) => ({ entry, index }));
    const chunks = chunkBySizeAndCount(
      indexed,
      ({ entry }) => messageBytes(entry.MessageBody, entry.MessageAttributes),
      undefined,
      this.maxMessageBytes,
    );
    const failures: string[] = [];
    for (const chunk of chunks) {
      const batch: SendMessageBatchRequestEntry[] = chunk.map(({ entry, index }) => ({
        Id: String(index),
        ...entry,
      }));
      let out: SendMessageBatchCommandOutput;
      try {
        out = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch }),
        );
      } catch (error) {
        throw infrastructureError(`SQS SendMessageBatch to ${this.name}`, error);
      }
      for (const failed of out.Failed ?? []) {
        failures.push(
          `entry ${failed.Id ?? '?'} (${failed.Code ?? 'unknown'}: ${failed.Message ?? 'no message'})`,
        );
      }
    }
    if (failures.length > 0) {
      throw new InfrastructureError(
        `SQS SendMessageBatch to ${this.name}: ${failures.length} of ${entries.length} entries failed: ` +
          `${failures.join('; ')}. The other entries were sent; retrying the failed ones is safe.`,
      );
    }
  }

  public async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const maxMessages = Math.min(10, Math.max(1, options.maxMessages ?? 10));
    let messages: Message[];
    try {
      const out = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: maxMessages,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          WaitTimeSeconds: options.waitTimeSeconds ?? 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
          // The deprecated name too: some SQS emulators (local-aws-sqs) read only this one.
          AttributeNames: ['All'],
          MessageAttributeNames: [PAYLOAD_KEY_ATTRIBUTE],
        }),
      );
      messages = out.Messages ?? [];
    } catch (error) {
      throw infrastructureError(`SQS ReceiveMessage from ${this.name}`, error);
    }
    const received = await Promise.all(messages.map((message) => this.toReceived(message)));
    return received.filter((message): message is ReceivedMessage => message !== undefined);
  }

  public async delete(receiptHandle: string): Promise<void> {
    const { handle, payloadKey } = parseHandle(receiptHandle);
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }));
    } catch (error) {
      throw infrastructureError(`SQS DeleteMessage from ${this.name}`, error);
    }
    // The object goes only after the message: the other order could leave a pointer to nothing.
    if (payloadKey !== undefined) await this.requirePayloadStore(payloadKey).delete(payloadKey);
  }

  public async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    const { handle } = parseHandle(receiptHandle);
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      throw infrastructureError(`SQS ChangeMessageVisibility on ${this.name}`, error);
    }
  }

  public async depth(): Promise<QueueDepth> {
    try {
      const out = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const attributes = out.Attributes ?? {};
      return {
        visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    } catch (error) {
      throw infrastructureError(`SQS GetQueueAttributes of ${this.name}`, error);
    }
  }

  /** Maps a send to SDK fields, offloading the body when it is over the limit. */
  private async prepare(entry: SendEntry): Promise<PreparedEntry> {
    const base = {
      MessageGroupId: entry.groupId,
      MessageDeduplicationId: entry.deduplicationId,
      DelaySeconds: entry.delaySeconds,
    };
    const bytes = messageBytes(entry.body);
    if (bytes <= this.maxMessageBytes) return { ...base, MessageBody: entry.body };
    if (this.payloadStore === undefined) {
      throw new UsageError(
        `SQS message for ${this.name} is ${bytes} bytes, over the ${this.maxMessageBytes}-byte limit; ` +
          'send a smaller body or give SqsQueue a payloadStore to offload large bodies',
      );
    }
    const key = `${this.payloadPrefix}${randomUUID()}`;
    await this.payloadStore.put(key, entry.body, { contentType: 'text/plain; charset=utf-8' });
    return {
      ...base,
      MessageBody: JSON.stringify({ shardtrainPayload: { v: 1, key, bytes } }),
      MessageAttributes: { [PAYLOAD_KEY_ATTRIBUTE]: { DataType: 'String', StringValue: key } },
      // The pointer differs on every send; deduplicate FIFO sends on the real body instead.
      MessageDeduplicationId:
        entry.deduplicationId ??
        (this.fifo ? createHash('sha256').update(entry.body, 'utf8').digest('hex') : undefined),
    };
  }

  private async toReceived(message: Message): Promise<ReceivedMessage | undefined> {
    const attributes = message.Attributes ?? {};
    const handle = message.ReceiptHandle ?? '';
    const payloadKey = message.MessageAttributes?.[PAYLOAD_KEY_ATTRIBUTE]?.StringValue;
    let body = message.Body ?? '';
    let receiptHandle = handle;
    if (payloadKey !== undefined) {
      const stored = await this.requirePayloadStore(payloadKey).get(payloadKey);
      if (stored === undefined) {
        await this.delete(handle);
        return undefined;
      }
      body = new TextDecoder().decode(stored.body);
      receiptHandle = `${HANDLE_MARKER}${payloadKey}|${handle}`;
    }
    const groupId = attributes.MessageGroupId;
    return {
      messageId: message.MessageId ?? '',
      body,
      receiptHandle,
      receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
      ...(groupId === undefined ? {} : { groupId }),
      sentAt: new Date(Number(attributes.SentTimestamp ?? 0)),
    };
  }

  private requirePayloadStore(key: string): ObjectStore {
    if (this.payloadStore === undefined) {
      throw new ProtocolError(
        `SQS message on ${this.name} points to an offloaded body "${key}", but this SqsQueue has no ` +
          'payloadStore; construct it with the same payloadStore as the sender',
      );
    }
    return this.payloadStore;
  }
}

function parseHandle(receiptHandle: string): { handle: string; payloadKey?: string } {
  if (!receiptHandle.startsWith(HANDLE_MARKER)) return { handle: receiptHandle };
  const rest = receiptHandle.slice(HANDLE_MARKER.length);
  // SQS receipt handles never contain '|'; the key might, so split at the last one.
  const bar = rest.lastIndexOf('|');
  return { payloadKey: rest.slice(0, bar), handle: rest.slice(bar + 1) };
}
