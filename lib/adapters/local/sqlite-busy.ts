/**
 * Waiting for another connection's write lock, at a finer grain than SQLite's own busy handler.
 *
 * SQLite's default handler (what `busy_timeout` installs) sleeps 1, 2, 5, 10, 15, 20, 25 … ms
 * between tries, so a thread that loses one race for the lock of a transaction that lasts a
 * tenth of a millisecond waits 1–18 ms: on the local cloud, where a worker thread, the aggregator
 * and the CLI share one queue file, that was most of a round's tail latency. Here the connection
 * has `busy_timeout = 0` and a busy statement is retried after 50 µs, doubling to 2 ms, with
 * jitter, until `timeoutMs` has passed.
 */

/** A four-byte shared buffer to `Atomics.wait` on: a sleep that neither spins nor needs the event loop. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** True for SQLite's "database is locked" errors (`SQLITE_BUSY` and its extended codes). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `work` (one statement or one whole transaction), retrying while the database is locked by
 * another connection, for at most `timeoutMs`; then the last `SQLITE_BUSY` error is thrown.
 * `work` must be safe to repeat after a busy failure (a failed transaction is rolled back).
 */
export function retryWhileBusy<T>(work: () => T, timeoutMs: number): T {
  let deadline: number | undefined;
  let waitMs = 0.05;
  for (;;) {
    try {
      return work();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const now = performance.now();
      deadline ??= now + timeoutMs;
      if (now >= deadline) throw error;
      sleepMs(Math.min(waitMs * (0.5 + Math.random()), deadline - now));
      waitMs = Math.min(waitMs * 2, 2);
    }
  }
}
