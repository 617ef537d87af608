import type { Context } from 'aws-lambda';
import { createHandler as createAggregator } from '../../functions/aggregator.js';
import { createHandler as createPreprocess } from '../../functions/preprocess.js';
import { createHandler as createWorker } from '../../functions/worker.js';
import { lambdaContext, s3PutEvent, sqsEvent } from '../../lib/adapters/local/lambda-events.js';
import type { LocalRuntimeConfig } from '../../lib/app/config.js';
import type { UploadRecord } from '../../lib/engine/datasets/uploads.js';
import type { Queue } from '../../lib/ports.js';

type SqsHandler = (event: ReturnType<typeof sqsEvent>, context: Context) => Promise<unknown>;

/**
 * The preprocess, worker and aggregator handlers of a local home, driven by hand as the local
 * cloud drives them (an S3 event per uploaded object, SQS batches of up to 10), with no threads
 * and no polling: a test decides when each message is delivered.
 */
export function localHandlers(config: LocalRuntimeConfig) {
  const context = (name: string) => lambdaContext(name) as Context;
  const preprocess = createPreprocess(config);
  const worker = createWorker(config) as unknown as SqsHandler;
  const aggregator = createAggregator(config) as unknown as SqsHandler;

  /** Receives up to 10 messages and hands them to `handler` as one batch; deletes those it did not fail. */
  async function deliver(queue: Queue, handler: SqsHandler): Promise<{ count: number; failed: string[] }> {
    const messages = await queue.receive({ maxMessages: 10 });
    if (messages.length === 0) return { count: 0, failed: [] };
    const out = (await handler(sqsEvent(queue.name, messages), context(queue.name))) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    const failed = out.batchItemFailures.map((f) => f.itemIdentifier);
    for (const m of messages) if (!failed.includes(m.messageId)) await queue.delete(m.receiptHandle);
    return { count: messages.length, failed };
  }

  return {
    worker,
    aggregator,
    deliver,
    /** The preprocess handler's answer to one event with the ObjectCreated records of `keys`. */
    preprocess: (...keys: string[]) =>
      preprocess(
        { Records: keys.flatMap((key) => s3PutEvent('bucket', key, 0, 'etag').Records) },
        context('preprocess'),
      ) as Promise<UploadRecord[]>,
    /**
     * Delivers work and aggregate messages until both queues are empty twice in a row; returns
     * how many work messages were handled. Throws on a failed message.
     */
    async drain(queues: { workQueue: Queue; aggregateQueue: Queue }): Promise<number> {
      let work = 0;
      for (let i = 0, idle = 0; i < 1000 && idle < 2; i++) {
        const w = await deliver(queues.workQueue, worker);
        const a = await deliver(queues.aggregateQueue, aggregator);
        if (w.failed.length + a.failed.length > 0)
          throw new Error(`failed messages: ${[...w.failed, ...a.failed]}`);
        work += w.count;
        idle = w.count + a.count === 0 ? idle + 1 : 0;
      }
      return work;
    },
  };
}
