import { z } from 'zod';
import { readDocument, storedAs } from '../../documents.js';
import { ProtocolError } from '../../errors.js';
import type { ShardResult } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { excerpt } from '../../validation/text.js';
import { keys } from '../keys.js';

/**
 * Queue messages between the coordinator, the workers and the aggregator. Every schema carries
 * `v` so a deployed handler refuses what it does not understand instead of guessing.
 */
export const PROTOCOL_VERSION = 1 as const;

/**
 * Largest round state (JSON bytes) that rides inline in a work message. Well under SQS's 256 KiB
 * so that a batch of 10 work messages still fits one SendMessageBatch (256 KiB in all); a larger
 * state is read from the store by each worker, as before.
 */
export const INLINE_STATE_MAX_BYTES = 24_576;

/**
 * Work queue (standard): compute partition `shard`'s contribution to round `round` of job `jobId`.
 * `state`, when present, is the round's stored state itself (parameters, optimizer state,
 * bookkeeping — the bytes of `jobs/<id>/state/<round>.json` parsed, vectors as base64 of their
 * float64 bytes, see `state-codec.ts`), so the worker needs no object-store read per round and
 * has the very bits the store holds.
 */
export const workMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('work'),
  jobId: z.string().min(1),
  round: z.number().int().nonnegative(),
  shard: z.number().int().nonnegative(),
  state: z
    .looseObject({
      round: z.number().int().nonnegative(),
      params: z.union([z.string(), z.array(z.number())]),
    })
    .optional(),
});
export type WorkMessage = z.infer<typeof workMessageSchema>;

/**
 * Largest worker result (JSON bytes) that rides inline in its result message instead of being
 * stored at `scratch/jobs/<id>/results/<round>/<shard>.json`: no PUT per worker and no GET at the
 * aggregator when a round's results arrive together. Far under SQS's 256 KiB, so that a batch of
 * 10 result messages stays a small Lambda event.
 */
export const INLINE_RESULT_MAX_BYTES = 24_576;

/**
 * Most workers a job may have for its results to ride inline: one SQS FIFO batch (10 messages)
 * can then carry a whole round. With more, a round's notifications reach the aggregator in several
 * batches, one after the other in the job's message group, and each earlier batch must store what
 * it carries before it is acknowledged: those stores add up serially, where the workers' own
 * stores run in parallel. `shardtrain simulate` at W = 32 and 64 (mean AWS latencies) measured
 * 25–43 % longer rounds inline than stored; up to W = 16 inline was as fast or faster.
 */
export const INLINE_RESULT_MAX_WORKERS = 10;

/** A worker's result as stored or carried inline (the fields every reader checks). */
export const shardResultShape = storedAs<ShardResult>(
  z.looseObject({
    v: z.literal(1),
    kind: z.string(),
    round: z.number().int().nonnegative(),
    partition: z.number().int().nonnegative(),
  }),
);

/**
 * Aggregate queue (FIFO, group = jobId): the result of (job, round, shard) is ready. `result`,
 * when present, is the result itself (the JSON the store would hold, parsed, so the same bits);
 * otherwise it is stored under `keys.job.result`. An aggregator that acknowledges an inline result
 * without applying its round stores it first (see `handleResultBatch`).
 */
export const resultMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('result'),
  jobId: z.string().min(1),
  round: z.number().int().nonnegative(),
  shard: z.number().int().nonnegative(),
  result: shardResultShape.optional(),
});
export type ResultMessage = z.infer<typeof resultMessageSchema>;

/**
 * Parses a message body, with an error that says which rule it broke. Unknown versions get their
 * own message because they mean "deploy a newer handler", not "the sender is broken".
 */
export function parseMessage<T>(schema: z.ZodType<T>, body: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (cause) {
    throw new ProtocolError(`message is not JSON: ${excerpt(body, 80)}`, { cause });
  }
  if (typeof raw === 'object' && raw !== null && 'v' in raw && raw.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `message has protocol version ${String(JSON.stringify(raw.v)).slice(0, 40)}; this handler understands v${PROTOCOL_VERSION}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new ProtocolError(`message does not follow the schema at ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * What `keys.failure(messageId)` holds: the last failure of a queue message (written by the SQS
 * batch wrapper), so a dead letter comes with its reason.
 */
export const messageFailureSchema = z.looseObject({ messageId: z.string(), reason: z.string() });

/** The recorded reason of a queue message's last failure, if one was recorded. */
export async function messageFailureReason(
  store: ObjectStore,
  messageId: string,
): Promise<string | undefined> {
  return (await readDocument(store, keys.failure(messageId), messageFailureSchema))?.reason;
}

/** FIFO deduplication id for a result notification: one per (job, round, shard). */
export function resultDeduplicationId(m: Pick<ResultMessage, 'jobId' | 'round' | 'shard'>): string {
  return `${m.jobId}:${m.round}:${m.shard}`;
}
