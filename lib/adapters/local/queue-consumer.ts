import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Queue } from '../../ports.js';
import { lambdaContext, sqsEvent } from './lambda-events.js';

/** A Lambda handler for SQS events, as exported by `functions/*.ts`. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** A queue that may delete a whole batch in one call (SQS `DeleteMessageBatch`), as the ESM does. */
export type ConsumedQueue = Queue & { deleteBatch?(receiptHandles: readonly string[]): Promise<void> };

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
    private readonly options: { functionName: string; batchSize?: number; waitSeconds?: number },
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
    if (messages.length === 0) return 0;
    this.stats.invocations++;
    let response: SQSBatchResponse | undefined;
    try {
      response = await this.handler(
        sqsEvent(this.queue.name, messages),
        lambdaContext(this.options.functionName),
      );
    } catch {
      this.stats.crashed += messages.length;
      return messages.length;
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle);
    if (this.queue.deleteBatch !== undefined) await this.queue.deleteBatch(done);
    else for (const handle of done) await this.queue.delete(handle);
    this.stats.succeeded += done.length;
    this.stats.failed += messages.length - done.length;
    return messages.length;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pollOnce(this.options.waitSeconds ?? 1);
      } catch (error) {
        // The queue itself failed (database locked too long, disk full): say so, back off, go on.
        console.error(`shardtrain local cloud: ${this.options.functionName}: ${String(error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
