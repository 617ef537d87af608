import type { S3Event } from 'aws-lambda';
import { keys } from '../../engine/keys.js';
import type { ObjectStore } from '../../ports.js';
import { lambdaContext } from './lambda-events.js';
import type { SqsHandler } from './queue-consumer.js';

/** A handler of S3 notifications, as `functions/preprocess.ts` exports. */
export type S3Handler = (event: S3Event, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/**
 * S3 notifications are queued as events (the S3 → Lambda async invoke), then handed over: this
 * turns the queue's messages back into the S3 events the handler gets on AWS. A handler that
 * throws leaves the message to be retried, and its reason goes with the message, like an async
 * invoke's on-failure record, so its dead letter (after the retries) says why (`shardtrain dlq`).
 */
export function s3EventConsumer(handler: S3Handler, store: ObjectStore): SqsHandler {
  return async (event) => {
    for (const record of event.Records as { body: string; messageId?: string }[]) {
      try {
        await handler(JSON.parse(record.body) as S3Event, lambdaContext('preprocess'));
      } catch (error) {
        if (record.messageId !== undefined) {
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          await store
            .put(
              keys.failure(record.messageId),
              JSON.stringify({
                messageId: record.messageId,
                body: record.body,
                reason,
                at: new Date().toISOString(),
              }),
            )
            .catch(() => undefined);
        }
        throw error;
      }
    }
    return undefined;
  };
}
