import { UsageError } from '../errors.js';
import { excerpt } from './text.js';

/**
 * Validators for what a user names: datasets, feature lists and numeric flags. The CLI runs them
 * before anything is uploaded or started, and the handlers and pipelines run the same ones on
 * what they receive, so a request is refused the same way wherever it enters.
 */

/** Dataset names become one object-key segment (`datasets/<name>/...`, `processed/<name>/...`). */
export const DATASET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Most data-parallel workers a job may ask for (one partition each). */
export const MAX_WORKERS = 1024;
/** Seeds are unsigned 32-bit integers (the generators' state). */
export const MAX_SEED = 0xffff_ffff;
/** Most feature columns one `--features` list may name. */
export const MAX_FEATURES = 4096;
/** Longest column name accepted in a feature list. */
export const MAX_COLUMN_NAME = 256;

/** Throws a `UsageError` unless `name` is a valid dataset name; returns it. */
export function assertDatasetName(name: string): string {
  if (!DATASET_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `dataset name ${excerpt(name)} is not valid: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Checks a feature list against the target: not empty, no empty or control-character names, no
 * repeats (a repeated column would split its weight between two copies), and not the target.
 * Names are compared as data (`__proto__` and `constructor` are ordinary column names).
 */
export function assertFeatureList(features: readonly string[], target: string): readonly string[] {
  if (features.length === 0) throw new UsageError('--features is empty: name at least one column');
  if (features.length > MAX_FEATURES)
    throw new UsageError(`--features names ${features.length} columns; at most ${MAX_FEATURES}`);
  const seen = new Set<string>();
  for (const f of features) {
    if (f.length === 0) throw new UsageError('--features has an empty column name (two commas in a row?)');
    if (f.length > MAX_COLUMN_NAME || /\p{Cc}/u.test(f))
      throw new UsageError(`--features column ${excerpt(f)} is not a column name`);
    if (seen.has(f)) throw new UsageError(`--features names column ${excerpt(f)} twice`);
    if (f === target)
      throw new UsageError(
        `--features includes the target ${excerpt(f)}; a model cannot use what it predicts`,
      );
    seen.add(f);
  }
  return features;
}

/** Throws a `UsageError` unless `target` is a plausible column name. */
export function assertColumnName(flag: string, name: string): string {
  if (name.length === 0 || name.length > MAX_COLUMN_NAME || /\p{Cc}/u.test(name))
    throw new UsageError(`${flag} ${excerpt(name)} is not a column name`);
  return name;
}

/**
 * Parses a decimal integer flag value in `[min, max]` (no exponents, hex or fractions).
 * @throws UsageError naming the flag
 */
export function parseIntFlag(flag: string, text: string, min: number, max: number): number {
  const t = text.trim();
  const n = /^[+]?[0-9]{1,16}$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} ${excerpt(text)} must be an integer from ${min} to ${max}`);
  return n;
}

/** Parses a finite decimal number flag value in `[min, max]`. */
export function parseNumberFlag(
  flag: string,
  text: string,
  range: { min: number; max: number; minExclusive?: boolean },
): number {
  const t = text.trim();
  const n = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(t) ? Number(t) : Number.NaN;
  const low = range.minExclusive === true ? n <= range.min : n < range.min;
  if (!Number.isFinite(n) || low || n > range.max) {
    const from = range.minExclusive === true ? `above ${range.min}` : `from ${range.min}`;
    throw new UsageError(`${flag} ${excerpt(text)} must be a number ${from} to ${range.max}`);
  }
  return n;
}
