import path from 'node:path';
import { UsageError } from '../../errors.js';

/** Suffix of the temporary files a write goes through before it is renamed into place. */
export const TEMP_SUFFIX = '.st-tmp';
/** Suffix of the per-key lock files that serialise conditional writes. */
export const LOCK_SUFFIX = '.st-lock';

/** S3's limit on a key's length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** True for names the store uses for its own bookkeeping (never listed, never accepted as keys). */
export function isReservedName(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX) || name.endsWith(LOCK_SUFFIX) || name.includes(`${LOCK_SUFFIX}.`);
}

function checkSegments(what: 'key' | 'prefix', value: string, segments: readonly string[]): void {
  for (const segment of segments) {
    if (segment === '.' || segment === '..') {
      throw new UsageError(`object ${what} "${value}" contains a "${segment}" segment; use plain names`);
    }
    if (isReservedName(segment)) {
      throw new UsageError(
        `object ${what} "${value}" ends a segment in "${TEMP_SUFFIX}" or "${LOCK_SUFFIX}", which the local store reserves`,
      );
    }
  }
}

function checkCharacters(what: 'key' | 'prefix', value: string): void {
  if (value.includes('\\') || value.includes('\0')) {
    throw new UsageError(`object ${what} "${value}" contains a backslash or NUL; use "/" as separator`);
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) {
    throw new UsageError(`object ${what} is longer than ${MAX_KEY_BYTES} bytes: "${value.slice(0, 40)}…"`);
  }
}

/**
 * Checks a key and returns the absolute path it maps to under `root`.
 * Keys are `/`-separated, relative, with no empty, `.` or `..` segments, so a key can never
 * name a path outside `root`.
 */
export function keyToPath(root: string, key: string): string {
  checkCharacters('key', key);
  if (key === '') throw new UsageError('object key is empty');
  if (key.startsWith('/')) throw new UsageError(`object key "${key}" is absolute; keys are relative`);
  const segments = key.split('/');
  if (segments.some((segment) => segment === '')) {
    throw new UsageError(`object key "${key}" has an empty segment (a "//" or a trailing "/")`);
  }
  checkSegments('key', key, segments);
  return path.join(root, ...segments);
}

/**
 * Checks a list prefix and returns the directory to walk (the part of the prefix up to its last
 * `/`, as a relative key path; `''` for the root).
 */
export function prefixToDirectory(prefix: string): string {
  checkCharacters('prefix', prefix);
  if (prefix.startsWith('/')) throw new UsageError(`list prefix "${prefix}" is absolute; keys are relative`);
  const cut = prefix.lastIndexOf('/');
  const directory = cut < 0 ? '' : prefix.slice(0, cut);
  const segments = directory === '' ? [] : directory.split('/');
  if (segments.some((segment) => segment === '')) {
    throw new UsageError(`list prefix "${prefix}" has an empty segment ("//")`);
  }
  checkSegments('prefix', prefix, segments);
  return directory;
}
