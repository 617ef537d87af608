import { randomUUID } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import { InfrastructureError } from '../../errors.js';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** A lock file older than this is taken to belong to a crashed process and is broken. */
  readonly staleMs: number;
  /** Give up (with an `InfrastructureError`) after waiting this long for the lock. */
  readonly timeoutMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Breaks a lock whose file is older than `staleMs`. The lock is renamed away rather than
 * unlinked so that, of several processes that saw the same stale lock, only one breaks it; the
 * inode check puts back a fresh lock that was created between our `stat` and our `rename`.
 */
async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  let seen: Stats;
  try {
    seen = await fs.stat(lockPath);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if (Date.now() - seen.mtimeMs < staleMs) return;
  const aside = `${lockPath}.${randomUUID()}.stale`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await fs.stat(aside);
  if (moved.ino !== seen.ino) {
    // We took a live lock by mistake: give it back if nobody has taken the name meanwhile.
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
}

/**
 * Runs `critical` while holding an exclusive lock file at `lockPath`, across processes.
 *
 * The lock is taken by creating the file with `O_CREAT | O_EXCL` (`'wx'`), which the kernel makes
 * atomic; a holder that dies leaves the file behind, so a lock older than `staleMs` is broken.
 * Waiting uses jittered exponential backoff (1 ms doubling to 50 ms).
 */
export async function withFileLock<T>(
  lockPath: string,
  options: FileLockOptions,
  critical: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let backoffMs = 1;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`).finally(() => handle.close());
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        throw new InfrastructureError(`cannot create lock file ${lockPath}`, { cause: error });
      }
    }
    await breakIfStale(lockPath, options.staleMs);
    if (Date.now() > deadline) {
      throw new InfrastructureError(
        `timed out after ${options.timeoutMs} ms waiting for lock ${lockPath}; if no process holds it, delete the file`,
      );
    }
    await sleep(backoffMs * (0.5 + Math.random()));
    backoffMs = Math.min(backoffMs * 2, 50);
  }
  try {
    return await critical();
  } finally {
    await fs.unlink(lockPath).catch(() => undefined);
  }
}
