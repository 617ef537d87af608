import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL pages after which a committing connection checkpoints by itself (SQLite's default is 1000).
 * With a {@link startCheckpointer} running this is never reached; without one (a CLI command on
 * its own) it still bounds the WAL, at about 40 MB.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The checkpointing thread's code (CommonJS, `eval: true`): a passive checkpoint every
 * `intervalMs`, until told to stop. Busy databases are simply tried again next time.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
parentPort.postMessage('ready');
`;

/** A running checkpointer; `stop` ends its thread. */
export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Checkpoints the queue database's WAL from a thread of its own, every `intervalMs`.
 *
 * In WAL mode with `synchronous = NORMAL` a checkpoint syncs the WAL and the database file to
 * disk. SQLite runs it in whichever connection's commit crosses `wal_autocheckpoint`, which on
 * the local cloud meant a worker or the aggregator stalled for the two fsyncs (milliseconds on a
 * busy disk) every few rounds. A passive checkpoint here runs alongside readers and writers and
 * blocks none of them; the handler connections' own threshold ({@link WAL_AUTOCHECKPOINT_PAGES})
 * is then never reached.
 */
export async function startCheckpointer(file: string, intervalMs = 250): Promise<Checkpointer> {
  // The thread's `require` resolves from the working directory: hand it the driver's own path.
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, { eval: true, workerData: { file, intervalMs, driver } });
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.ref(); // an unreferenced thread's exit would not keep this process waiting for it
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
