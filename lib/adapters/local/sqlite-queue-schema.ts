/**
 * Tables of the local queue database. One file holds many queues: `queues` has their
 * attributes, `messages` every message of every queue (a message moved to a dead-letter queue
 * changes its `queue` column and keeps its id, body and receive count), `dedup` the
 * deduplication ids seen in the last five minutes.
 *
 * Times are milliseconds since the epoch from the broker's clock. A message is *visible* when
 * `visible_at <= now`; it is *in flight* when it has been received and `visible_at > now`, and
 * *delayed* when it has never been received and `visible_at > now`.
 */
export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY,
  fifo INTEGER NOT NULL,
  visibility_timeout_s INTEGER NOT NULL,
  max_receive_count INTEGER,
  dead_letter_queue TEXT,
  retention_s INTEGER NOT NULL,
  content_based_dedup INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  group_id TEXT,
  dedup_id TEXT,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt_handle TEXT,
  source_queue TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue, visible_at, seq);
CREATE INDEX IF NOT EXISTS messages_by_group ON messages (queue, group_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_receipt ON messages (receipt_handle) WHERE receipt_handle IS NOT NULL;
CREATE TABLE IF NOT EXISTS dedup (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, dedup_id)
);
CREATE INDEX IF NOT EXISTS dedup_by_expiry ON dedup (expires_at);
`;

/** A row of `queues`. */
export interface QueueRow {
  readonly name: string;
  readonly fifo: number;
  readonly visibility_timeout_s: number;
  readonly max_receive_count: number | null;
  readonly dead_letter_queue: string | null;
  readonly retention_s: number;
  readonly content_based_dedup: number;
  readonly created_at: number;
}

/** A row of `messages`. */
export interface MessageRow {
  readonly seq: number;
  readonly queue: string;
  readonly message_id: string;
  readonly body: string;
  readonly group_id: string | null;
  readonly dedup_id: string | null;
  readonly sent_at: number;
  readonly visible_at: number;
  readonly receive_count: number;
  readonly receipt_handle: string | null;
  readonly source_queue: string | null;
}
