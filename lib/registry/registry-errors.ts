import { ShardtrainError } from '../errors.js';

/**
 * An optimistic alias move lost: the alias no longer points at the version the caller expected
 * (someone else promoted in between). Re-read the alias, re-decide, and try again.
 */
export class AliasConflictError extends ShardtrainError {
  public readonly model: string;
  public readonly alias: string;
  public readonly expected: number | null;
  public readonly actual: number | null;

  public constructor(model: string, alias: string, expected: number | null, actual: number | null) {
    super(
      `alias "${alias}" of model "${model}" points at ${describe(actual)}, not at ${describe(expected)} as expected: ` +
        'another writer moved it; re-read the alias and decide again',
    );
    this.name = 'AliasConflictError';
    this.model = model;
    this.alias = alias;
    this.expected = expected;
    this.actual = actual;
  }
}

function describe(version: number | null): string {
  return version === null ? 'no version' : `version ${version}`;
}
