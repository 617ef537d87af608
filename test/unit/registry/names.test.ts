import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { parseModelRef } from '../../../lib/registry/index.js';

describe('Function: parseModelRef', () => {
  it('reads the three reference forms', () => {
    // Act + Assess
    expect(parseModelRef('churn')).toEqual({ kind: 'latest', name: 'churn' });
    expect(parseModelRef('churn@latest')).toEqual({ kind: 'latest', name: 'churn' });
    expect(parseModelRef('churn.v2_eu-1@12')).toEqual({
      kind: 'version',
      name: 'churn.v2_eu-1',
      version: 12,
    });
    expect(parseModelRef('churn@champion')).toEqual({ kind: 'alias', name: 'churn', alias: 'champion' });
    expect(parseModelRef('churn@blue-2')).toEqual({ kind: 'alias', name: 'churn', alias: 'blue-2' });
  });

  it('rejects malformed references with UsageError', () => {
    for (const bad of [
      '',
      '@x',
      'churn@',
      'churn@0',
      'churn@-1',
      'churn@1.5',
      'churn@Champion',
      'a b',
      '../x',
      'a/b',
    ]) {
      expect(() => parseModelRef(bad), bad).toThrow(UsageError);
    }
  });
});
