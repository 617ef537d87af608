import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { InfrastructureError, UsageError } from '../../errors.js';
import type {
  Queue,
  QueueDepth,
  ReceivedMessage,
  ReceiveOptions,
  SendEntry,
  SendOptions,
} from '../../ports.js';
import { notifySend, sendCount, waitForSend } from './queue-wakeups.js';
import { retryWhileBusy } from './sqlite-busy.js';
import type { MessageRow } from './sqlite-queue-schema.js';

/** Sends held per connection until its consumer's next commit (see {@link SqliteQueue.holdSends}). */
const heldSends = new WeakMap<
  Database.Database,
  { queue: SqliteQueue; entries: readonly SendEntry[]; ids: readonly string[] }[]
>();

/** SQS limits this queue enforces, so that code that works locally also works on SQS. */
export const QUEUE_LIMITS = {
  /** Entries per `sendBatch` and messages per `receive`. */
  maxBatch: 10,
  /** Body size in UTF-8 bytes (SQS's long-standing 256 KiB; keep payloads in the object store). */
  maxBodyBytes: 262_144,
  maxDelaySeconds: 900,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitTimeSeconds: 20,
  /** How long a deduplication id suppresses repeats. */
  deduplicationWindowMs: 5 * 60 * 1000,
} as const;

/** Attributes of a queue, as stored. */
export interface SqliteQueueAttributes {
  readonly name: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  /** Deliveries after which the next receive moves the message to `deadLetterQueue` instead. */
  readonly maxReceiveCount: number | undefined;
  readonly deadLetterQueue: string | undefined;
  readonly messageRetentionSeconds: number;
  /** FIFO: without a deduplication id, deduplicate on the SHA-256 of the body. */
  readonly contentBasedDeduplication: boolean;
}

/** What the broker shares with each of its queues. */
export interface SqliteQueueContext {
  readonly db: Database.Database;
  readonly now: () => number;
  readonly pollIntervalMs: number;
  /** How long a statement waits for another connection's lock (see `retryWhileBusy`). */
  readonly busyTimeoutMs: number;
  /** Send counters of this database file, shared with the threads polling it (`queue-wakeups.ts`). */
  readonly wakeups: Int32Array;
}

/** Where a message is in its life, as {@link SqliteQueue.peek} reports it. */
export const MessageState = {
  visible: 'visible',
  inFlight: 'inFlight',
  delayed: 'delayed',
} as const;
export type MessageState = (typeof MessageState)[keyof typeof MessageState];

/** A message as seen by {@link SqliteQueue.peek}, without receiving it. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly groupId?: string;
  readonly sentAt: Date;
  readonly state: MessageState;
  /** For a message in a dead-letter queue: the queue it was moved from. */
  readonly sourceQueue?: string;
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/**
 * A queue with SQS semantics, stored in SQLite so that several processes can share it and a
 * killed process loses nothing. Create it with `SqliteQueueBroker.createQueue`.
 *
 * - At-least-once: a received message stays stored, invisible for the visibility timeout; if it
 *   is not deleted in time it is delivered again with `receiveCount` one higher.
 * - Redrive: a message that has been delivered `maxReceiveCount` times is moved to the
 *   dead-letter queue by the next receive instead of being delivered (its id, body and receive
 *   count go with it).
 * - FIFO: a group is delivered in send order and only while none of its messages is in flight;
 *   a receive fills up with as many messages of one group as it can before it takes the next
 *   group (groups in the order of their oldest message), as SQS does. The next messages of a
 *   group come only after every delivered one is deleted or visible again.
 * - Receipt handles: each delivery gets a new one. Deleting with a stale handle (the message was
 *   delivered again since) or an unknown one does nothing and does not fail, as on SQS: the
 *   message stays and will be delivered again.
 * - Receives run in `BEGIN IMMEDIATE` transactions, so two processes never receive the same
 *   message while it is in flight. A receive first looks (a read, which WAL never blocks) whether
 *   anything is deliverable, so idle long polls do not take the write lock.
 */
export class SqliteQueue implements Queue {
  public readonly name: string;
  public readonly fifo: boolean;
  public readonly attributes: SqliteQueueAttributes;
  private readonly context: SqliteQueueContext;
  private readonly statements = new Map<string, Database.Statement>();

  public constructor(attributes: SqliteQueueAttributes, context: SqliteQueueContext) {
    this.attributes = attributes;
    this.name = attributes.name;
    this.fifo = attributes.fifo;
    this.context = context;
  }

  public async send(body: string, options: SendOptions = {}): Promise<{ messageId: string }> {
    const held = this.hold([{ ...options, body }]);
    if (held !== undefined) return { messageId: held[0]! };
    const [messageId] = this.transaction(() => this.insertAll([{ ...options, body }]));
    this.signal();
    return { messageId: messageId! };
  }

  public async sendBatch(entries: readonly SendEntry[]): Promise<void> {
    if (entries.length === 0 || entries.length > QUEUE_LIMITS.maxBatch) {
      throw new UsageError(
        `sendBatch to "${this.name}" takes 1 to ${QUEUE_LIMITS.maxBatch} entries (as SQS), got ${entries.length}; split the batch`,
      );
    }
    if (this.hold(entries) !== undefined) return;
    this.transaction(() => this.insertAll(entries));
    this.signal();
  }

  /**
   * From now until the next {@link SqliteQueue.deleteBatch}, {@link SqliteQueue.deleteAndReceive}
   * or {@link SqliteQueue.releaseHeldSends} on a queue of this connection, sends to any queue of
   * the connection are validated and held, then committed in that call's transaction, before its
   * deletes. A local-cloud handler's sends are its invocation's last acts, so they go out with
   * the deletes of the invocation: one commit instead of two. A held send returns the id its
   * message will have (a FIFO duplicate is dropped when the sends are committed).
   */
  public holdSends(): void {
    if (!heldSends.has(this.context.db)) heldSends.set(this.context.db, []);
  }

  /** Commits the sends held on this connection (after a handler that threw), in one transaction. */
  public async releaseHeldSends(): Promise<void> {
    this.commitWithHeldSends(() => undefined);
  }

  public async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const maxMessages = options.maxMessages ?? 1;
    const visibilityTimeoutSeconds =
      options.visibilityTimeoutSeconds ?? this.attributes.visibilityTimeoutSeconds;
    const waitTimeSeconds = options.waitTimeSeconds ?? 0;
    checkRange('maxMessages', maxMessages, 1, QUEUE_LIMITS.maxBatch);
    checkRange(
      'visibilityTimeoutSeconds',
      visibilityTimeoutSeconds,
      0,
      QUEUE_LIMITS.maxVisibilityTimeoutSeconds,
    );
    checkRange('waitTimeSeconds', waitTimeSeconds, 0, QUEUE_LIMITS.maxWaitTimeSeconds);
    // Long polling waits in real time, whatever the injected clock says.
    const deadline = performance.now() + waitTimeSeconds * 1000;
    for (;;) {
      // Read before looking: a send after the look moves the count, and the wait returns at once.
      const seen = sendCount(this.context.wakeups, this.name);
      const received = this.anyDeliverable()
        ? this.transaction(() => this.receiveNow(maxMessages, visibilityTimeoutSeconds))
        : [];
      const left = deadline - performance.now();
      if (received.length > 0 || left <= 0) return received;
      await waitForSend(this.context.wakeups, this.name, seen, Math.min(left, this.context.pollIntervalMs));
    }
  }

  /**
   * Waits, as a long poll does but receiving nothing, until a receive could deliver something
   * (true) or `waitMs` passed (false). A consumer that gathers a batch first waits here.
   */
  public async awaitDeliverable(waitMs: number): Promise<boolean> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const seen = sendCount(this.context.wakeups, this.name);
      if (this.anyDeliverable()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await waitForSend(this.context.wakeups, this.name, seen, Math.min(left, this.context.pollIntervalMs));
    }
  }

  /** Sends to this queue so far, as the threads sharing its wake-ups count them (see `awaitSend`). */
  public sendMark(): number {
    return sendCount(this.context.wakeups, this.name);
  }

  /**
   * Resolves at the first send to this queue after `mark` was read (at once if one came since),
   * or after `waitMs`. Sends from other processes are not seen (they are found by polling).
   */
  public awaitSend(mark: number, waitMs: number): Promise<void> {
    return waitForSend(this.context.wakeups, this.name, mark, waitMs);
  }

  public async delete(receiptHandle: string): Promise<void> {
    await this.deleteBatch([receiptHandle]);
  }

  /**
   * Deletes up to 10 received messages in one transaction, like SQS `DeleteMessageBatch`; as
   * with `delete`, a stale or unknown receipt handle deletes nothing and does not fail.
   */
  public async deleteBatch(receiptHandles: readonly string[]): Promise<void> {
    if (receiptHandles.length > QUEUE_LIMITS.maxBatch) {
      throw new UsageError(
        `deleteBatch on "${this.name}" takes at most ${QUEUE_LIMITS.maxBatch} receipt handles (as SQS), got ${receiptHandles.length}`,
      );
    }
    if (receiptHandles.length === 0 && !heldSends.has(this.context.db)) return;
    const remove = this.statement('DELETE FROM messages WHERE queue = ? AND receipt_handle = ?');
    this.commitWithHeldSends(() => {
      for (const handle of receiptHandles) remove.run(this.name, handle);
    });
  }

  /**
   * What a consumer does between two invocations, in one transaction (one commit instead of two):
   * deletes the handled messages as {@link SqliteQueue.deleteBatch} does, then receives up to
   * `maxMessages` as {@link SqliteQueue.receive} with no wait. A FIFO group freed by the deletes
   * is deliverable to that receive. Nothing deliverable: an empty list (long-poll with `receive`).
   */
  public async deleteAndReceive(
    receiptHandles: readonly string[],
    options: Omit<ReceiveOptions, 'waitTimeSeconds'> = {},
  ): Promise<ReceivedMessage[]> {
    if (receiptHandles.length > QUEUE_LIMITS.maxBatch) {
      throw new UsageError(
        `deleteAndReceive on "${this.name}" takes at most ${QUEUE_LIMITS.maxBatch} receipt handles (as SQS), got ${receiptHandles.length}`,
      );
    }
    const maxMessages = options.maxMessages ?? 1;
    const visibilityTimeoutSeconds =
      options.visibilityTimeoutSeconds ?? this.attributes.visibilityTimeoutSeconds;
    checkRange('maxMessages', maxMessages, 1, QUEUE_LIMITS.maxBatch);
    checkRange(
      'visibilityTimeoutSeconds',
      visibilityTimeoutSeconds,
      0,
      QUEUE_LIMITS.maxVisibilityTimeoutSeconds,
    );
    const remove = this.statement('DELETE FROM messages WHERE queue = ? AND receipt_handle = ?');
    return this.commitWithHeldSends(() => {
      for (const handle of receiptHandles) remove.run(this.name, handle);
      return this.receiveNow(maxMessages, visibilityTimeoutSeconds);
    });
  }

  /**
   * Runs `work` in a transaction after inserting the sends held on this connection, if any, and
   * wakes their queues once it commits. The held sends are let go either way: when the
   * transaction fails, the messages being deleted stay and come back, and their handler sends again.
   */
  private commitWithHeldSends<T>(work: () => T): T {
    const held = heldSends.get(this.context.db);
    heldSends.delete(this.context.db);
    if (held === undefined || held.length === 0) return this.transaction(work);
    const result = this.transaction(() => {
      for (const h of held) h.queue.insertAll(h.entries, h.ids);
      return work();
    });
    for (const queue of new Set(held.map((h) => h.queue.name))) this.signal(queue);
    return result;
  }

  /** Holds `entries` (validated, ids assigned) when this connection holds sends; else undefined. */
  private hold(entries: readonly SendEntry[]): string[] | undefined {
    const held = heldSends.get(this.context.db);
    if (held === undefined) return undefined;
    for (const entry of entries) this.checkEntry(entry);
    const ids = entries.map(() => randomUUID());
    held.push({ queue: this, entries, ids });
    return ids;
  }

  public async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    checkRange(
      'visibilityTimeoutSeconds',
      visibilityTimeoutSeconds,
      0,
      QUEUE_LIMITS.maxVisibilityTimeoutSeconds,
    );
    const now = this.context.now();
    const result = this.transaction(() =>
      this.context.db
        .prepare(
          `UPDATE messages SET visible_at = ?
           WHERE queue = ? AND receipt_handle = ? AND receive_count > 0 AND visible_at > ?`,
        )
        .run(now + visibilityTimeoutSeconds * 1000, this.name, receiptHandle, now),
    );
    if (result.changes === 0) {
      throw new InfrastructureError(
        `cannot change the visibility of a message in "${this.name}": it is not in flight under this receipt handle (its visibility expired, it was received again, or it was deleted)`,
      );
    }
    if (visibilityTimeoutSeconds === 0) this.signal();
  }

  public async depth(): Promise<QueueDepth> {
    const now = this.context.now();
    const count = this.statement(
      `SELECT
         COALESCE(SUM(visible_at <= @now), 0) AS visible,
         COALESCE(SUM(visible_at > @now AND receive_count > 0), 0) AS inFlight,
         COALESCE(SUM(visible_at > @now AND receive_count = 0), 0) AS delayed
       FROM messages WHERE queue = @queue AND sent_at > @expired`,
    );
    const row = this.read(() =>
      count.get({ now, queue: this.name, expired: this.expiredBefore(now) }),
    ) as QueueDepth;
    return { visible: row.visible, inFlight: row.inFlight, delayed: row.delayed };
  }

  /**
   * Lists messages in send order without receiving them (for showing a dead-letter queue).
   * @param options.limit at most this many (default 100)
   */
  public async peek(options: { limit?: number } = {}): Promise<PeekedMessage[]> {
    const now = this.context.now();
    const select = this.statement(
      'SELECT * FROM messages WHERE queue = ? AND sent_at > ? ORDER BY seq LIMIT ?',
    );
    const rows = this.read(() =>
      select.all(this.name, this.expiredBefore(now), options.limit ?? 100),
    ) as MessageRow[];
    return rows.map((row) => ({
      messageId: row.message_id,
      body: row.body,
      receiveCount: row.receive_count,
      ...(row.group_id === null ? {} : { groupId: row.group_id }),
      sentAt: new Date(row.sent_at),
      state:
        row.visible_at <= now
          ? MessageState.visible
          : row.receive_count > 0
            ? MessageState.inFlight
            : MessageState.delayed,
      ...(row.source_queue === null ? {} : { sourceQueue: row.source_queue }),
    }));
  }

  /**
   * Makes every in-flight message visible again at once. The local cloud calls this when it
   * starts: it owns every consumer of its queues, so a message in flight at start-up was being
   * handled by a process that died (`kill -9`), and waiting out its visibility timeout helps nobody.
   */
  public async releaseInFlight(): Promise<number> {
    const now = this.context.now();
    const released = this.transaction(
      () =>
        this.context.db
          .prepare(
            'UPDATE messages SET visible_at = ?, receipt_handle = NULL WHERE queue = ? AND receive_count > 0 AND visible_at > ?',
          )
          .run(now, this.name, now).changes,
    );
    if (released > 0) this.signal();
    return released;
  }

  /** Deletes every message of this queue, in flight or not. Returns how many were deleted. */
  public async purge(): Promise<number> {
    return this.transaction(() =>
      this.context.db.prepare('DELETE FROM messages WHERE queue = ?').run(this.name),
    ).changes;
  }

  /**
   * Moves visible messages to another queue (a dead-letter queue redrive, like SQS
   * `StartMessageMoveTask`), resetting their receive counts. Returns how many moved.
   * @param target name of the queue to move to
   * @param options.limit at most this many (default all)
   */
  public async moveMessagesTo(target: string, options: { limit?: number } = {}): Promise<number> {
    const now = this.context.now();
    const moved = this.transaction(() => {
      const exists = this.context.db.prepare('SELECT fifo FROM queues WHERE name = ?').get(target) as
        | { fifo: number }
        | undefined;
      if (exists === undefined) throw new UsageError(`cannot move messages to "${target}": no such queue`);
      return this.context.db
        .prepare(
          `UPDATE messages SET queue = @target, receive_count = 0, receipt_handle = NULL, visible_at = @now,
             source_queue = NULL
           WHERE seq IN (SELECT seq FROM messages WHERE queue = @queue AND visible_at <= @now ORDER BY seq LIMIT @limit)`,
        )
        .run({ target, now, queue: this.name, limit: options.limit ?? -1 }).changes;
    });
    if (moved > 0) this.signal(target);
    return moved;
  }

  /** A prepared statement, compiled once per queue object. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.context.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** A read outside any transaction (WAL readers rarely wait, but may during recovery). */
  private read<T>(work: () => T): T {
    return retryWhileBusy(work, this.context.busyTimeoutMs);
  }

  private transaction<T>(work: () => T): T {
    try {
      const run = this.context.db.transaction(work);
      return retryWhileBusy(() => run.immediate(), this.context.busyTimeoutMs);
    } catch (error) {
      if (error instanceof UsageError || error instanceof InfrastructureError) throw error;
      throw new InfrastructureError(`queue "${this.name}": the local queue database failed`, {
        cause: error,
      });
    }
  }

  private expiredBefore(now: number): number {
    return now - this.attributes.messageRetentionSeconds * 1000;
  }

  private insertAll(entries: readonly SendEntry[], ids?: readonly string[]): string[] {
    const now = this.context.now();
    this.statement('DELETE FROM dedup WHERE expires_at <= ?').run(now);
    const findDuplicate = this.statement('SELECT message_id FROM dedup WHERE queue = ? AND dedup_id = ?');
    const remember = this.statement(
      'INSERT INTO dedup (queue, dedup_id, message_id, expires_at) VALUES (?, ?, ?, ?)',
    );
    const insert = this.statement(
      `INSERT INTO messages (queue, message_id, body, group_id, dedup_id, sent_at, visible_at)
       VALUES (@queue, @messageId, @body, @groupId, @dedupId, @now, @visibleAt)`,
    );
    return entries.map((entry, i) => {
      const dedupId = this.checkEntry(entry);
      if (dedupId !== undefined) {
        const duplicate = findDuplicate.get(this.name, dedupId) as { message_id: string } | undefined;
        if (duplicate !== undefined) return duplicate.message_id;
      }
      const messageId = ids?.[i] ?? randomUUID();
      insert.run({
        queue: this.name,
        messageId,
        body: entry.body,
        groupId: entry.groupId ?? null,
        dedupId: dedupId ?? null,
        now,
        visibleAt: now + (entry.delaySeconds ?? 0) * 1000,
      });
      if (dedupId !== undefined)
        remember.run(this.name, dedupId, messageId, now + QUEUE_LIMITS.deduplicationWindowMs);
      return messageId;
    });
  }

  /** Validates one entry the way SQS does; returns its deduplication id (FIFO only). */
  private checkEntry(entry: SendEntry): string | undefined {
    const bytes = Buffer.byteLength(entry.body, 'utf8');
    if (bytes === 0 || bytes > QUEUE_LIMITS.maxBodyBytes) {
      throw new UsageError(
        `message to "${this.name}" is ${bytes} bytes; SQS takes 1 to ${QUEUE_LIMITS.maxBodyBytes} (put big payloads in the object store)`,
      );
    }
    if (entry.delaySeconds !== undefined) {
      checkRange('delaySeconds', entry.delaySeconds, 0, QUEUE_LIMITS.maxDelaySeconds);
      if (this.fifo && entry.delaySeconds > 0) {
        throw new UsageError(`FIFO queue "${this.name}" does not take per-message delays (as SQS)`);
      }
    }
    if (!this.fifo) {
      if (entry.deduplicationId !== undefined) {
        throw new UsageError(`deduplicationId is for FIFO queues only; "${this.name}" is a standard queue`);
      }
      return undefined;
    }
    if (entry.groupId === undefined || entry.groupId === '') {
      throw new UsageError(`FIFO queue "${this.name}" needs a groupId on every message`);
    }
    if (entry.deduplicationId !== undefined) return entry.deduplicationId;
    if (this.attributes.contentBasedDeduplication) {
      return createHash('sha256').update(entry.body).digest('hex');
    }
    throw new UsageError(
      `FIFO queue "${this.name}" needs a deduplicationId, or create it with contentBasedDeduplication: true`,
    );
  }

  /**
   * Whether a receive could deliver anything now: a read outside the write lock. A visible
   * message (of a FIFO group with nothing in flight) may still be expired or due for the
   * dead-letter queue; the transaction sorts that out.
   */
  private anyDeliverable(): boolean {
    const now = this.context.now();
    const probe = this.fifo
      ? this.statement(
          `SELECT 1 FROM messages WHERE queue = @queue GROUP BY group_id
           HAVING MAX(visible_at) <= @now LIMIT 1`,
        )
      : this.statement('SELECT 1 FROM messages WHERE queue = @queue AND visible_at <= @now LIMIT 1');
    return this.read(() => probe.get({ queue: this.name, now })) !== undefined;
  }

  /** One receive attempt, inside an immediate transaction. */
  private receiveNow(maxMessages: number, visibilityTimeoutSeconds: number): ReceivedMessage[] {
    const now = this.context.now();
    this.statement('DELETE FROM messages WHERE queue = ? AND sent_at <= ?').run(
      this.name,
      this.expiredBefore(now),
    );
    const moveToDeadLetters = this.statement(
      'UPDATE messages SET queue = ?, receipt_handle = NULL, visible_at = ?, source_queue = ? WHERE seq = ?',
    );
    const deliver = this.statement(
      'UPDATE messages SET receive_count = receive_count + 1, visible_at = ?, receipt_handle = ? WHERE seq = ?',
    );
    const { maxReceiveCount, deadLetterQueue } = this.attributes;
    const received: ReceivedMessage[] = [];
    /** Delivers `row`, or moves it to the dead-letter queue when it has had its deliveries. */
    const take = (row: MessageRow): void => {
      if (
        maxReceiveCount !== undefined &&
        deadLetterQueue !== undefined &&
        row.receive_count >= maxReceiveCount
      ) {
        moveToDeadLetters.run(deadLetterQueue, now, this.name, row.seq);
        return;
      }
      const receiptHandle = `${row.message_id}:${randomUUID()}`;
      deliver.run(now + visibilityTimeoutSeconds * 1000, receiptHandle, row.seq);
      received.push({
        messageId: row.message_id,
        body: row.body,
        receiptHandle,
        receiveCount: row.receive_count + 1,
        ...(row.group_id === null ? {} : { groupId: row.group_id }),
        sentAt: new Date(row.sent_at),
      });
    };
    if (this.fifo) {
      // Groups with nothing in flight (FIFO messages are never delayed, so every message of such a
      // group is visible), oldest first; each is drained in send order before the next is taken.
      // A message moved to the dead-letter queue uncovers the next one of its group.
      const groups = this.statement(
        `SELECT group_id FROM messages WHERE queue = @queue GROUP BY group_id
         HAVING MAX(visible_at) <= @now ORDER BY MIN(seq)`,
      );
      const ofGroup = this.statement(
        `SELECT * FROM messages WHERE queue = @queue AND group_id = @group AND seq > @after
         ORDER BY seq LIMIT @limit`,
      );
      for (const { group_id: group } of groups.all({ queue: this.name, now }) as { group_id: string }[]) {
        // Moves to the dead-letter queue do not count against maxMessages: look again after them.
        let after = 0;
        for (;;) {
          const limit = maxMessages - received.length;
          if (limit <= 0) return received;
          const rows = ofGroup.all({ queue: this.name, group, after, limit }) as MessageRow[];
          if (rows.length === 0) break;
          for (const row of rows) take(row);
          after = rows.at(-1)!.seq;
        }
      }
      return received;
    }
    const candidates = this.statement(
      'SELECT * FROM messages WHERE queue = @queue AND visible_at <= @now ORDER BY seq LIMIT @limit',
    );
    // Rows delivered with a zero visibility timeout stay visible: over-fetch by what was seen.
    const seen = new Set<number>();
    while (received.length < maxMessages) {
      const rows = (
        candidates.all({
          queue: this.name,
          now,
          limit: maxMessages - received.length + seen.size,
        }) as MessageRow[]
      ).filter((row) => !seen.has(row.seq));
      if (rows.length === 0) break;
      for (const row of rows) {
        if (received.length >= maxMessages) break;
        seen.add(row.seq);
        take(row);
      }
    }
    return received;
  }

  private signal(queue = this.name): void {
    notifySend(this.context.wakeups, queue);
  }
}
