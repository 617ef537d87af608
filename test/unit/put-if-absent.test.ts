import { describe, expect, it } from 'vitest';
import { InfrastructureError, PreconditionFailedError } from '../../lib/errors.js';
import type { ObjectStore } from '../../lib/ports.js';
import { putIfAbsentOutcome, putIfAbsentVia } from '../../lib/put-if-absent.js';

/** A `put` that answers with `failure` (or writes, when there is none) and notes its options. */
function storeFailing(failure?: Error) {
  const calls: unknown[] = [];
  const store: Pick<ObjectStore, 'put'> = {
    async put(_key, _body, options) {
      calls.push(options);
      if (failure !== undefined) throw failure;
      return { etag: '"e"' };
    },
  };
  return { store, calls };
}

describe('Function: putIfAbsentOutcome', () => {
  it('writes with If-None-Match and tells a lost race from a write that may have been its own', async () => {
    for (const [failure, outcome] of [
      [undefined, 'written'],
      [new PreconditionFailedError('k', { retried: false }), 'present'],
      [new PreconditionFailedError('k', { retried: true }), 'maybe-own'],
      [new PreconditionFailedError('k'), 'maybe-own'],
    ] as const) {
      const { store, calls } = storeFailing(failure);
      expect(await putIfAbsentOutcome(store, 'k', 'v'), String(failure?.retried)).toBe(outcome);
      expect(calls).toEqual([{ ifNoneMatch: '*' }]);
    }
  });

  it('throws every failure that is not a lost condition', async () => {
    const down = new InfrastructureError('store down');
    await expect(putIfAbsentOutcome(storeFailing(down).store, 'k', 'v')).rejects.toBe(down);
    await expect(putIfAbsentVia(storeFailing(down).store, 'k', 'v')).rejects.toBe(down);
  });
});

describe('Function: putIfAbsentVia', () => {
  it('is true only when this call wrote', async () => {
    expect(await putIfAbsentVia(storeFailing().store, 'k', 'v')).toBe(true);
    for (const retried of [false, true, undefined]) {
      const lost = new PreconditionFailedError('k', { retried });
      expect(await putIfAbsentVia(storeFailing(lost).store, 'k', 'v')).toBe(false);
    }
  });
});
