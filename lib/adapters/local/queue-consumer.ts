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
  /** Resolves true once a receive could deliver something (receiving nothing), false after `waitMs`. */
  awaitDeliverable?(waitMs: number): Promise<boolean>;
  /** How many sends this queue has seen (in this process), to wait for the next with `awaitSend`. */
  sendMark?(): number;
  /** Resolves at the first send after `mark` (at once if there was one), or after `waitMs`. */
  awaitSend?(mark: number, waitMs: number): Promise<void>;
};

/**
 * How a consumer gathers a batch before it receives (see {@link QueueConsumer}'s `gather`):
 * while `busy()` says the queue's producers are still at work, it waits for their next send, for
 * at most `maxWaitMs` after the first message was there.
 */
export interface GatherOptions {
  readonly busy: () => Promise<boolean>;
  readonly maxWaitMs: number;
}

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
      /**
       * Receive a batch only once the producers are done, where the queue can wait without
       * receiving: the aggregator's consumer waits while work messages are still in flight, so a
       * round's results come as one batch and one invocation instead of one per result. No fixed
       * window: with the producers idle it receives at once; `maxWaitMs` bounds the wait while
       * they stay busy (another job's work, a worker that died holding a message).
       */
      gather?: GatherOptions;
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

  /** The next batch: a long poll, or with `gather`, a wait for messages and then for the producers. */
  private async receiveBatch(): Promise<ReceivedMessage[]> {
    const maxMessages = this.options.batchSize ?? 1;
    const waitSeconds = this.options.waitSeconds ?? 1;
    const { gather } = this.options;
    const q = this.queue;
    if (
      gather === undefined ||
      q.awaitDeliverable === undefined ||
      q.sendMark === undefined ||
      q.awaitSend === undefined
    )
      return q.receive({ maxMessages, waitTimeSeconds: waitSeconds });
    if (!(await q.awaitDeliverable(waitSeconds * 1000))) return [];
    const end = performance.now() + gather.maxWaitMs;
    for (;;) {
      // Read before asking: a send after the question moves the mark, and the wait returns at once.
      const mark = q.sendMark();
      const left = end - performance.now();
      if (left <= 0 || this.stopping || !(await gather.busy())) break;
      await q.awaitSend(mark, left);
    }
    return q.receive({ maxMessages, waitTimeSeconds: 0 });
  }

  private async loop(): Promise<void> {
    // A batch received with the previous deletes is handled even if `stop` came meanwhile: it
    // is in flight already (the invocation after it receives nothing more).
    let next: ReceivedMessage[] = [];
    while (!this.stopping || next.length > 0) {
      try {
        const messages = next.length > 0 ? next : await this.receiveBatch();
        next = [];
        // A gathering consumer does not take the next batch with the deletes: it waits for it.
        if (messages.length > 0) next = await this.invoke(messages, this.options.gather === undefined);
      } catch (error) {
        next = [];
        // The queue itself failed (database locked too long, disk full): say so, back off, go on.
        console.error(`shardtrain local cloud: ${this.options.functionName}: ${String(error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
