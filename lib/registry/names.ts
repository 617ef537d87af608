import { UsageError } from '../errors.js';
import { excerpt } from '../validation/text.js';

/**
 * Model names become one key segment (`registry/models/<name>/...`), so they may not hold `/`
 * or `@` (the `name@alias` separator); they start with a letter or digit so `.`/`..` are impossible.
 */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Alias names (`champion`, `challenger`, ...). They start with a letter, so `name@3` is never an alias. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** `name@latest` always means the newest version; it cannot be set as an alias. */
export const LATEST_SELECTOR = 'latest';

/** What a model reference (`name`, `name@3`, `name@champion`) points at. */
export type ModelRef =
  | { readonly kind: 'latest'; readonly name: string }
  | { readonly kind: 'version'; readonly name: string; readonly version: number }
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string };

/** Throws a `UsageError` unless `name` is a valid model name. */
export function assertModelName(name: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `model name ${excerpt(name)} is not valid: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/** Throws a `UsageError` unless `alias` is a settable alias name. */
export function assertAlias(alias: string): void {
  if (!ALIAS_PATTERN.test(alias)) {
    throw new UsageError(
      `alias ${excerpt(alias)} is not valid: use 1-63 lowercase letters, digits or "-", starting with a letter`,
    );
  }
  if (alias === LATEST_SELECTOR) {
    throw new UsageError(
      `alias "${LATEST_SELECTOR}" is reserved: "name@latest" always means the newest version`,
    );
  }
}

/** Throws a `UsageError` unless `version` is a positive integer. */
export function assertVersionNumber(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new UsageError(`model version ${version} is not valid: versions are integers 1, 2, 3, ...`);
  }
}

/**
 * Parses `name` (newest version), `name@latest`, `name@3` (version 3) or `name@champion` (an alias).
 *
 * @example
 * parseModelRef('churn@champion'); // { kind: 'alias', name: 'churn', alias: 'champion' }
 */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  assertModelName(name);
  if (at === -1) return { kind: 'latest', name };
  const selector = ref.slice(at + 1);
  if (selector === LATEST_SELECTOR) return { kind: 'latest', name };
  if (/^[0-9]+$/.test(selector)) {
    const version = Number(selector);
    assertVersionNumber(version);
    return { kind: 'version', name, version };
  }
  if (!ALIAS_PATTERN.test(selector)) {
    throw new UsageError(
      `model reference ${excerpt(ref)} is not valid: write "name", "name@<version number>" or "name@<alias>"`,
    );
  }
  return { kind: 'alias', name, alias: selector };
}
