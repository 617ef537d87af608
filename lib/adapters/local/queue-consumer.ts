import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Queue, ReceivedMessage } from '../../ports.js';
import { lambdaContext, sqsEvent } from './lambda-events.js';

/** A Lambda handler for SQS events, as exported by `functions/*.ts`. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/**
 * A queue that may delete a whole batch in one call (SQS `DeleteMessageBatch`), as the ESM does,
 * and (the local SQLite queue) delete a batch and receive the next one in one transaction.
 */
export type ConsumedQueue = Queue & {
  deleteBatch?(receiptHandles: readonly string[]): Promise<void>;
  holdSends?(): void;
  releaseHeldSends?(): Promise<void>;
  deleteAndReceive?(
    receiptHandles: readonly string[],
    options: { maxMessages: number },
  ): Promise<ReceivedMessage[]>;
};

/** Counters of one consumer: handler invocations, messages deleted, messages reported failed. */
export interface ConsumerStats {
  invocations: number;
  succeeded: number;
  failed: number;
  crashed: number;
}

/**
 * What Lambda's SQS event source mapping does, for one queue: receive a batch (up to
 * `batchSize`, at most 10), invoke the handler once with the SQS event shape, delete the messages
 * that did not fail (in one batch call where the queue has one), and leave failed
 * ones to come back after their visibility timeout (or move to the DLQ after maxReceiveCount).
 * A handler that throws leaves the whole batch, like a crashed invocation.
 */
export class QueueConsumer {
  public readonly stats: ConsumerStats = { invocations: 0, succeeded: 0, failed: 0, crashed: 0 };
  private stopping = false;
  private running: Promise<void> | undefined;

  public constructor(
    private readonly queue: ConsumedQueue,
    private readonly handler: SqsHandler,
    private readonly options: {
      functionName: string;
      batchSize?: number;
      waitSeconds?: number;
      /**
       * Commit the handler's sends with the invocation's deletes (where the queue can hold sends,
       * see `SqliteQueue.holdSends`): for a handler whose sends end its work (the worker). A
       * handler that sends and then goes on working (the aggregator's fan-out) would make the
       * receivers wait. @default false
       */
      holdSends?: boolean;
    },
  ) {}

  public start(): void {
    this.running ??= this.loop();
  }

  /** Finishes the invocation in progress, then stops. */
  public async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Handles one batch if there is one; returns the number of messages received. */
  public async pollOnce(waitSeconds = 0): Promise<number> {
    const messages = await this.queue.receive({
      maxMessages: this.options.batchSize ?? 1,
      waitTimeSeconds: waitSeconds,
    });
    if (messages.length > 0) await this.invoke(messages, false);
    return messages.length;
  }

  /**
   * One invocation with `messages`, then the deletes. With `receiveNext` (and a queue that can),
   * the next batch is received in the deletes' transaction and returned: between two
   * invocations of a busy consumer, one commit instead of two.
   */
  private async invoke(messages: ReceivedMessage[], receiveNext: boolean): Promise<ReceivedMessage[]> {
    this.stats.invocations++;
    let response: SQSBatchResponse | undefined;
    if (this.options.holdSends === true) this.queue.holdSends?.();
    try {
      response = await this.handler(
        sqsEvent(this.queue.name, messages),
        lambdaContext(this.options.functionName),
      );
    } catch {
      this.stats.crashed += messages.length;
      // What it sent before it threw goes out, as it would have on Lambda.
      await this.queue.releaseHeldSends?.();
      return [];
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle);
    let next: ReceivedMessage[] = [];
    if (receiveNext && !this.stopping && this.queue.deleteAndReceive !== undefined)
      next = await this.queue.deleteAndReceive(done, { maxMessages: this.options.batchSize ?? 1 });
    else if (this.queue.deleteBatch !== undefined) await this.queue.deleteBatch(done);
    else for (const handle of done) await this.queue.delete(handle);
    this.stats.succeeded += done.length;
    this.stats.failed += messages.length - done.length;
    return next;
  }

  private async loop(): Promise<void> {
    // A batch received with the previous deletes is handled even if `stop` came meanwhile: it
    // is in flight already (the invocation after it receives nothing more).
    let next: ReceivedMessage[] = [];
    while (!this.stopping || next.length > 0) {
      try {
        const messages =
          next.length > 0
            ? next
            : await this.queue.receive({
                maxMessages: this.options.batchSize ?? 1,
                waitTimeSeconds: this.options.waitSeconds ?? 1,
              });
        next = [];
        if (messages.length > 0) next = await this.invoke(messages, true);
      } catch (error) {
        next = [];
        // The queue itself failed (database locked too long, disk full): say so, back off, go on.
        console.error(`shardtrain local cloud: ${this.options.functionName}: ${String(error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
