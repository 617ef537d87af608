import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { keys } from '../../lib/engine/keys.js';
import type { ObjectStore } from '../../lib/ports.js';

/**
 * Runs `handle` on each record and reports the failed ones as `batchItemFailures` (never fails
 * the whole batch for one bad message). FIFO batches stop at the first failure and report the
 * rest too, so a message group keeps its order. Each failure's reason is stored for the DLQ view.
 */
export async function processSqsBatch(
  event: SQSEvent,
  store: ObjectStore,
  handle: (record: SQSRecord) => Promise<void>,
  options: { fifo?: boolean; log?: (line: Record<string, unknown>) => void } = {},
): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  let stop = false;
  for (const record of event.Records) {
    if (stop) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      await handle(record);
    } catch (error) {
      failures.push({ itemIdentifier: record.messageId });
      if (options.fifo === true) stop = true;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      options.log?.({ level: 'error', messageId: record.messageId, reason });
      await store
        .put(
          keys.failure(record.messageId),
          JSON.stringify({
            messageId: record.messageId,
            body: record.body,
            reason,
            receiveCount: Number(record.attributes.ApproximateReceiveCount),
            at: new Date().toISOString(),
          }),
        )
        .catch(() => undefined);
    }
  }
  return { batchItemFailures: failures };
}
