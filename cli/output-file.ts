import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../lib/errors.js';
import { excerpt } from '../lib/validation/text.js';
import { fileError } from './home.js';

/**
 * An output file written atomically: lines go to a temp file next to it, which is renamed over
 * `path` only when everything was written (`commit`); `abort` removes the temp file. A reader
 * never sees a half-written file, and a failed run leaves nothing behind.
 */
export interface AtomicOutput {
  write(line: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Checks `path` before any work: its folder exists and `path` is not a folder.
 * @throws UsageError naming the flag and the path
 */
export async function checkOutputPath(flag: string, path: string): Promise<void> {
  const dir = dirname(path);
  const folder = await stat(dir).catch(() => undefined);
  if (folder === undefined || !folder.isDirectory())
    throw new UsageError(`${flag} ${excerpt(path)}: the folder ${excerpt(dir)} does not exist`);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory() === true)
    throw new UsageError(`${flag} ${excerpt(path)} is a folder, not a file`);
}

/** Opens `path` for an atomic write (see {@link AtomicOutput}). */
export async function openAtomicOutput(flag: string, path: string): Promise<AtomicOutput> {
  await checkOutputPath(flag, path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const stream: WriteStream = createWriteStream(temp, { flags: 'wx' });
  let failure: unknown;
  stream.on('error', (e) => {
    failure ??= e;
  });
  await new Promise<void>((ok, fail) => {
    stream.once('open', () => ok());
    stream.once('error', (e) => fail(fileError(path, e)));
  });
  const check = () => {
    if (failure !== undefined) throw fileError(path, failure);
  };
  return {
    async write(line) {
      check();
      if (!stream.write(`${line}\n`)) {
        await Promise.race([once(stream, 'drain'), once(stream, 'close')]);
        check();
      }
    },
    async commit() {
      check();
      stream.end();
      await Promise.race([once(stream, 'finish'), once(stream, 'close')]);
      check();
      await rename(temp, path).catch((e: unknown) => {
        throw fileError(path, e);
      });
    },
    async abort() {
      stream.destroy();
      await unlink(temp).catch(() => undefined);
    },
  };
}
