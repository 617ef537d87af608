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
      await recordFailure(store, record, error, options.log);
    }
  }
  return { batchItemFailures: failures };
}

/** Item `index` of the items handed to a {@link processFifoBatch} handler failed with `cause`. */
export class BatchItemFailure extends Error {
  public constructor(
    public readonly index: number,
    cause: unknown,
  ) {
    super(`batch item ${index} failed`, { cause });
    this.name = 'BatchItemFailure';
  }
}

/**
 * A FIFO batch handled as one (the aggregator: one set of look-ups per round and batch). `parse`
 * reads each record; `handle` takes the parsed items in batch order and either handles them all
 * or throws a {@link BatchItemFailure} naming the first that failed (the ones before it are done,
 * the ones after it untried; any other error counts as a failure of its first item).
 *
 * What fails, as Lambda's FIFO partial batch responses require: a record that does not parse or
 * whose handling fails, and every later record of its message group (reported untried, so the
 * group keeps its order when SQS delivers them again). Records of other groups go on: after a
 * failure, `handle` is called again with the untried items of the groups still whole.
 */
export async function processFifoBatch<T>(
  event: SQSEvent,
  store: ObjectStore,
  parse: (record: SQSRecord) => T,
  handle: (items: readonly T[]) => Promise<void>,
  options: { log?: (line: Record<string, unknown>) => void } = {},
): Promise<SQSBatchResponse> {
  const group = (r: SQSRecord): string => r.attributes.MessageGroupId ?? '';
  // Per group, the position in the batch of its first failure: from there on, the group fails.
  const failedGroups = new Map<string, number>();
  const position = new Map(event.Records.map((r, i) => [r.messageId, i]));
  const fail = async (record: SQSRecord, error: unknown): Promise<void> => {
    const at = position.get(record.messageId)!;
    failedGroups.set(group(record), Math.min(at, failedGroups.get(group(record)) ?? at));
    await recordFailure(store, record, error, options.log);
  };
  // Whether a record comes after the first failure of its group (so it fails, untried).
  const cut = (r: SQSRecord): boolean =>
    position.get(r.messageId)! > (failedGroups.get(group(r)) ?? Infinity);
  // A record that does not parse fails before anything is handled, and takes its group's later ones.
  let pending: { record: SQSRecord; item: T }[] = [];
  for (const record of event.Records) {
    if (cut(record)) continue;
    try {
      pending.push({ record, item: parse(record) });
    } catch (error) {
      await fail(record, error);
    }
  }
  pending = pending.filter((p) => !cut(p.record));
  while (pending.length > 0) {
    try {
      await handle(pending.map((p) => p.item));
      break;
    } catch (error) {
      const named = error instanceof BatchItemFailure && error.index < pending.length;
      const at = named ? error.index : 0;
      const cause = named ? error.cause : error;
      await fail(pending[at]!.record, cause);
      pending = pending.slice(at + 1).filter((p) => !cut(p.record));
    }
  }
  // Reported in batch order: each failed one and the later (untried) ones of its group.
  return {
    batchItemFailures: event.Records.filter((r, i) => i >= (failedGroups.get(group(r)) ?? Infinity)).map(
      (r) => ({ itemIdentifier: r.messageId }),
    ),
  };
}

/** Stores the reason a message failed (the last failure wins), so a message in a DLQ comes with it. */
async function recordFailure(
  store: ObjectStore,
  record: SQSRecord,
  error: unknown,
  log: ((line: Record<string, unknown>) => void) | undefined,
): Promise<void> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  log?.({ level: 'error', messageId: record.messageId, reason });
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
