import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import {
  assertAlias,
  assertModelName,
  assertVersionNumber,
  parseModelRef,
} from '../../../lib/registry/names.js';

/** The one-line refusals of model names, aliases, versions and references say what to write instead. */
describe('Registry names: refusal messages', () => {
  it('model name', () => {
    expect(() => assertModelName('a/b')).toThrow(
      new UsageError(
        'model name "a/b" is not valid: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      ),
    );
  });

  it('alias, and the reserved "latest"', () => {
    expect(() => assertAlias('Champion')).toThrow(
      new UsageError(
        'alias "Champion" is not valid: use 1-63 lowercase letters, digits or "-", starting with a letter',
      ),
    );
    expect(() => assertAlias('latest')).toThrow(
      new UsageError('alias "latest" is reserved: "name@latest" always means the newest version'),
    );
  });

  it('version number', () => {
    expect(() => assertVersionNumber(0)).toThrow(
      new UsageError('model version 0 is not valid: versions are integers 1, 2, 3, ...'),
    );
  });

  it('a selector that starts with digits but is not a number is a bad reference, not a bad version', () => {
    expect(() => parseModelRef('houses@3abc')).toThrow(
      new UsageError(
        'model reference "houses@3abc" is not valid: write "name", "name@<version number>" or "name@<alias>"',
      ),
    );
    expect(() => parseModelRef('houses@0')).toThrow(
      new UsageError('model version 0 is not valid: versions are integers 1, 2, 3, ...'),
    );
    expect(parseModelRef('houses@12')).toEqual({ kind: 'version', name: 'houses', version: 12 });
  });
});
