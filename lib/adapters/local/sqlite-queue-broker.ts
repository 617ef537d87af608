import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InfrastructureError, NotFoundError, UsageError } from '../../errors.js';
import { privateQueueWakeups, queueWakeups } from './queue-wakeups.js';
import { retryWhileBusy } from './sqlite-busy.js';
import { WAL_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { QUEUE_LIMITS, SqliteQueue, type SqliteQueueAttributes } from './sqlite-queue.js';
import { QUEUE_SCHEMA, type QueueRow } from './sqlite-queue-schema.js';

/** Options of {@link SqliteQueueBroker}. */
export interface SqliteQueueBrokerOptions {
  /** Database file (created with its folder if missing); `':memory:'` for a private in-memory one. */
  readonly path: string;
  /** Clock in milliseconds since the epoch; tests pass their own to move time without sleeping. */
  readonly now?: () => number;
  /**
   * How often a long poll (`waitTimeSeconds > 0`) looks for messages sent by other processes.
   * Sends from this thread, and from threads sharing this file's wake-ups (`queue-wakeups.ts`:
   * the local cloud's handler threads), wake it at once.
   * @default 50
   */
  readonly pollIntervalMs?: number;
  /**
   * How long a statement waits for another connection's write lock before failing (retried
   * every 50 µs–2 ms, see `sqlite-busy.ts`, rather than SQLite's coarser busy handler).
   * @default 10_000
   */
  readonly busyTimeoutMs?: number;
  /**
   * Share one connection with the other sharing brokers of this thread on the same file (closed
   * with the last of them). The local cloud's consumer and its handler's outbox then commit on
   * one connection, whose page cache no commit of the other invalidates.
   * @default false
   */
  readonly shareConnection?: boolean;
}

/** Connections opened with `shareConnection`, per file, in this thread; `refs` brokers use each. */
const sharedConnections = new Map<string, { db: Database.Database; refs: number }>();

/** Options of {@link SqliteQueueBroker.createQueue}; defaults follow SQS. */
export interface CreateQueueOptions {
  /** SQS rules: 1–80 of `A-Za-z0-9_-`, and FIFO queues end in `.fifo`. */
  readonly name: string;
  /** @default whether `name` ends in `.fifo` */
  readonly fifo?: boolean;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** With `deadLetterQueue`: deliveries before a message is moved there (1–1000). */
  readonly maxReceiveCount?: number;
  /** Name of an existing queue of the same kind (standard or FIFO). */
  readonly deadLetterQueue?: string;
  /** @default 345_600 (4 days) */
  readonly messageRetentionSeconds?: number;
  /** FIFO only: deduplicate on the body's SHA-256 when a message has no deduplication id. @default false */
  readonly contentBasedDeduplication?: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$/;

function rowToAttributes(row: QueueRow): SqliteQueueAttributes {
  return {
    name: row.name,
    fifo: row.fifo === 1,
    visibilityTimeoutSeconds: row.visibility_timeout_s,
    maxReceiveCount: row.max_receive_count ?? undefined,
    deadLetterQueue: row.dead_letter_queue ?? undefined,
    messageRetentionSeconds: row.retention_s,
    contentBasedDeduplication: row.content_based_dedup === 1,
  };
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/**
 * Durable local queues with SQS semantics in one SQLite file (WAL mode), shared safely by any
 * number of processes and threads: the laptop stand-in for SQS. Everything is committed before
 * a call returns, so a killed process loses no message.
 *
 * @example
 * ```ts
 * const broker = new SqliteQueueBroker({ path: '.shardtrain/queues.db' });
 * broker.createQueue({ name: 'work-dlq' });
 * const work = broker.createQueue({ name: 'work', maxReceiveCount: 3, deadLetterQueue: 'work-dlq' });
 * await work.send(JSON.stringify({ v: 1, jobId, round, shard }));
 * const [message] = await work.receive({ waitTimeSeconds: 5 });
 * if (message) await work.delete(message.receiptHandle);
 * ```
 */
export class SqliteQueueBroker {
  private readonly db: Database.Database;
  /** The database file (`':memory:'` for a private one). */
  public readonly file: string;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly busyTimeoutMs: number;
  private readonly wakeups: Int32Array;
  /** Whether {@link SqliteQueueBrokerOptions.shareConnection} holds for this broker's connection. */
  private readonly shared: boolean;
  private closed = false;

  public constructor(options: SqliteQueueBrokerOptions) {
    const file = options.path === ':memory:' ? options.path : path.resolve(options.path);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.file = file;
    this.shared = options.shareConnection === true && file !== ':memory:';
    const open = this.shared ? sharedConnections.get(file) : undefined;
    try {
      this.db = open?.db ?? this.open(file);
    } catch (error) {
      throw new InfrastructureError(`cannot open the local queue database ${file}`, { cause: error });
    }
    if (open !== undefined) open.refs++;
    else if (this.shared) sharedConnections.set(file, { db: this.db, refs: 1 });
    this.now = options.now ?? Date.now;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    // An in-memory database is private to this broker, so its wake-ups must be too.
    this.wakeups = file === ':memory:' ? privateQueueWakeups() : queueWakeups(file);
  }

  /** Opens `file` and sets the connection up (WAL, busy waits left to `retryWhileBusy`, schema). */
  private open(file: string): Database.Database {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      // Busy statements are retried by `retryWhileBusy`, not by SQLite's sleeping handler.
      db.pragma('busy_timeout = 0');
      this.locked(() => db.pragma('journal_mode = WAL'));
      db.pragma('synchronous = NORMAL');
      // The local cloud checkpoints from a thread of its own (sqlite-checkpointer.ts).
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      this.locked(() => db.transaction(() => db.exec(QUEUE_SCHEMA)).immediate());
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Creates a queue, or returns it when one with the same attributes exists (as SQS
   * `CreateQueue`); a queue of that name with other attributes is a `UsageError`.
   */
  public createQueue(options: CreateQueueOptions): SqliteQueue {
    const wanted = this.resolve(options);
    const existing = this.findRow(options.name);
    if (existing !== undefined) {
      const have = rowToAttributes(existing);
      if (JSON.stringify(have) !== JSON.stringify(wanted)) {
        throw new UsageError(
          `queue "${options.name}" already exists with other attributes (${JSON.stringify(have)}); delete it or ask for the same ones`,
        );
      }
      return this.queueOf(have);
    }
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO queues (name, fifo, visibility_timeout_s, max_receive_count, dead_letter_queue,
           retention_s, content_based_dedup, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.locked(() =>
      insert.run(
        wanted.name,
        wanted.fifo ? 1 : 0,
        wanted.visibilityTimeoutSeconds,
        wanted.maxReceiveCount ?? null,
        wanted.deadLetterQueue ?? null,
        wanted.messageRetentionSeconds,
        wanted.contentBasedDeduplication ? 1 : 0,
        this.now(),
      ),
    );
    // Another process may have created it between our look and our insert: re-check.
    return this.createQueue(options);
  }

  /**
   * Changes the visibility timeout and redrive count of an existing queue, like SQS
   * `SetQueueAttributes` (messages already in flight keep their current deadline).
   */
  public setQueueAttributes(
    name: string,
    attributes: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number },
  ): void {
    const row = this.findRow(name);
    if (row === undefined) throw new NotFoundError(`queue "${name}" does not exist`);
    const update = this.db.prepare(
      'UPDATE queues SET visibility_timeout_s = ?, max_receive_count = ? WHERE name = ?',
    );
    this.locked(() =>
      update.run(
        attributes.visibilityTimeoutSeconds ?? row.visibility_timeout_s,
        attributes.maxReceiveCount ?? row.max_receive_count,
        name,
      ),
    );
  }

  /** The queue called `name`, created by this or any other process; `NotFoundError` if none. */
  public getQueue(name: string): SqliteQueue {
    const row = this.findRow(name);
    if (row === undefined) throw new NotFoundError(`no local queue named "${name}"; create it first`);
    return this.queueOf(rowToAttributes(row));
  }

  /** Names of all queues in the database, sorted. */
  public listQueues(): string[] {
    const select = this.db.prepare('SELECT name FROM queues ORDER BY name');
    return (this.locked(() => select.all()) as { name: string }[]).map((r) => r.name);
  }

  /** Deletes a queue and its messages. */
  public deleteQueue(name: string): void {
    const drop = this.db.transaction(() => {
      this.db.prepare('DELETE FROM messages WHERE queue = ?').run(name);
      this.db.prepare('DELETE FROM dedup WHERE queue = ?').run(name);
      this.db.prepare('DELETE FROM queues WHERE name = ?').run(name);
    });
    this.locked(() => drop.immediate());
  }

  /** Closes the database connection; queues from this broker stop working. */
  public close(): void {
    if (this.closed) return;
    this.closed = true;
    const open = this.shared ? sharedConnections.get(this.file) : undefined;
    if (open?.db === this.db && --open.refs > 0) return;
    if (open?.db === this.db) sharedConnections.delete(this.file);
    this.db.close();
  }

  private findRow(name: string): QueueRow | undefined {
    const select = this.db.prepare('SELECT * FROM queues WHERE name = ?');
    return this.locked(() => select.get(name)) as QueueRow | undefined;
  }

  /** Runs one statement or transaction, waiting while another connection holds the lock. */
  private locked<T>(work: () => T): T {
    return retryWhileBusy(work, this.busyTimeoutMs);
  }

  private queueOf(attributes: SqliteQueueAttributes): SqliteQueue {
    return new SqliteQueue(attributes, {
      db: this.db,
      now: this.now,
      pollIntervalMs: this.pollIntervalMs,
      busyTimeoutMs: this.busyTimeoutMs,
      wakeups: this.wakeups,
    });
  }

  private resolve(options: CreateQueueOptions): SqliteQueueAttributes {
    const { name } = options;
    if (!NAME_PATTERN.test(name) || name.length > 80) {
      throw new UsageError(`queue name "${name}" must be 1-80 of A-Za-z0-9_- (FIFO names end in ".fifo")`);
    }
    const fifo = options.fifo ?? name.endsWith('.fifo');
    if (fifo !== name.endsWith('.fifo')) {
      throw new UsageError(`queue "${name}": FIFO queue names end in ".fifo" and only theirs do (as SQS)`);
    }
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    checkRange(
      'visibilityTimeoutSeconds',
      visibilityTimeoutSeconds,
      0,
      QUEUE_LIMITS.maxVisibilityTimeoutSeconds,
    );
    const messageRetentionSeconds = options.messageRetentionSeconds ?? 345_600;
    checkRange('messageRetentionSeconds', messageRetentionSeconds, 60, 1_209_600);
    const { maxReceiveCount, deadLetterQueue } = options;
    if ((maxReceiveCount === undefined) !== (deadLetterQueue === undefined)) {
      throw new UsageError(
        `queue "${name}": give maxReceiveCount and deadLetterQueue together (a redrive policy)`,
      );
    }
    if (maxReceiveCount !== undefined) checkRange('maxReceiveCount', maxReceiveCount, 1, 1000);
    if (deadLetterQueue !== undefined) {
      const target = this.findRow(deadLetterQueue);
      if (target === undefined) {
        throw new UsageError(
          `queue "${name}": dead-letter queue "${deadLetterQueue}" does not exist; create it first`,
        );
      }
      if (deadLetterQueue === name || (target.fifo === 1) !== fifo) {
        throw new UsageError(
          `queue "${name}": the dead-letter queue must be another queue of the same kind (FIFO or not)`,
        );
      }
    }
    if (options.contentBasedDeduplication === true && !fifo) {
      throw new UsageError(`queue "${name}": contentBasedDeduplication is for FIFO queues only`);
    }
    return {
      name,
      fifo,
      visibilityTimeoutSeconds,
      maxReceiveCount,
      deadLetterQueue,
      messageRetentionSeconds,
      contentBasedDeduplication: options.contentBasedDeduplication ?? false,
    };
  }
}
