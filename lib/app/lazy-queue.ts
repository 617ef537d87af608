import type { Queue, QueueDepth, ReceivedMessage, ReceiveOptions, SendEntry, SendOptions } from '../ports.js';

/**
 * A {@link Queue} whose backing queue is opened on its first call. The local ports use it so a
 * runtime that never touches a queue — `train --runner inprocess` — neither loads SQLite nor
 * creates the queue database (tens of milliseconds of fsyncs on a fresh home).
 */
export class LazyQueue implements Queue {
  private queue: Promise<Queue> | undefined;

  public constructor(
    public readonly name: string,
    public readonly fifo: boolean,
    private readonly open: () => Promise<Queue>,
  ) {}

  private target(): Promise<Queue> {
    this.queue ??= this.open();
    return this.queue;
  }

  public async send(body: string, options?: SendOptions): Promise<{ messageId: string }> {
    return (await this.target()).send(body, options);
  }

  public async sendBatch(entries: readonly SendEntry[]): Promise<void> {
    return (await this.target()).sendBatch(entries);
  }

  public async receive(options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    return (await this.target()).receive(options);
  }

  public async delete(receiptHandle: string): Promise<void> {
    return (await this.target()).delete(receiptHandle);
  }

  public async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    return (await this.target()).changeVisibility(receiptHandle, visibilityTimeoutSeconds);
  }

  public async depth(): Promise<QueueDepth> {
    return (await this.target()).depth();
  }
}
