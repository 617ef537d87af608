import { describe, expect, it, vi } from 'vitest';
import { InfrastructureError, PreconditionFailedError, UsageError } from '../../../lib/errors.js';
import { aliasesAt, filterHistory, lastMove, nextMoveTime } from '../../../lib/registry/alias-history.js';
import { realSleep, retryOnConflict } from '../../../lib/registry/cas-retry.js';
import { hasFiniteNumbers } from '../../../lib/registry/finite.js';
import { casCondition, writeDocument } from '../../../lib/registry/json-documents.js';
import { registryKeys, versionFromKey } from '../../../lib/registry/keys.js';
import { isLogBucketHistogram, logBucketView } from '../../../lib/registry/log-bucket-histogram.js';
import { AliasConflictError } from '../../../lib/registry/registry-errors.js';
import type { AliasMove } from '../../../lib/registry/schemas.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

/**
 * The registry's small helpers, each on inputs whose answer is worked out by hand: alias history
 * replay and its boundaries (a move exactly at the queried instant counts), the conflict-retry
 * loop's backoff arithmetic, the key layout, the finite-number check of an artifact, the
 * conditional-write helpers and the conflict error's message.
 */

const move = (alias: string, from: number | null, to: number | null, at: string): AliasMove => ({
  alias,
  from,
  to,
  at,
  reason: 'test',
});

/** champion 1 → 2 → deleted; staging 3; times one second apart. */
const HISTORY: readonly AliasMove[] = [
  move('champion', null, 1, '2026-01-01T00:00:01.000Z'),
  move('staging', null, 3, '2026-01-01T00:00:02.000Z'),
  move('champion', 1, 2, '2026-01-01T00:00:03.000Z'),
  move('champion', 2, null, '2026-01-01T00:00:04.000Z'),
];
const at = (s: number) => new Date(`2026-01-01T00:00:0${s}.000Z`);

describe('Function: filterHistory', () => {
  it('keeps every move without a query, and filters by alias and by instant (inclusive)', () => {
    expect(filterHistory(HISTORY)).toEqual(HISTORY);
    expect(filterHistory(HISTORY, { alias: 'staging' })).toEqual([HISTORY[1]]);
    // A move stamped exactly at the instant is included; one a millisecond later is not.
    expect(filterHistory(HISTORY, { at: at(3) })).toEqual(HISTORY.slice(0, 3));
    expect(filterHistory(HISTORY, { at: new Date(at(3).getTime() - 1) })).toEqual(HISTORY.slice(0, 2));
    expect(filterHistory(HISTORY, { alias: 'champion', at: at(3) })).toEqual([HISTORY[0], HISTORY[2]]);
  });
});

describe('Function: aliasesAt', () => {
  it('replays the moves up to and including the instant, deletions included', () => {
    expect(aliasesAt(HISTORY, at(0))).toStrictEqual({});
    expect(aliasesAt(HISTORY, at(1))).toStrictEqual({ champion: 1 });
    expect(aliasesAt(HISTORY, new Date(at(3).getTime() - 1))).toStrictEqual({ champion: 1, staging: 3 });
    expect(aliasesAt(HISTORY, at(3))).toStrictEqual({ champion: 2, staging: 3 });
    expect(aliasesAt(HISTORY, at(4))).toStrictEqual({ staging: 3 });
  });
});

describe('Function: lastMove', () => {
  it('finds the newest move of the alias, and nothing for an alias that never moved', () => {
    expect(lastMove(HISTORY, 'champion')).toBe(HISTORY[3]);
    expect(lastMove(HISTORY, 'staging')).toBe(HISTORY[1]);
    expect(lastMove(HISTORY, 'canary')).toBeUndefined();
    expect(lastMove([], 'champion')).toBeUndefined();
  });
});

describe('Function: nextMoveTime', () => {
  it('stamps now, unless the last move is stamped later (a lagging clock): then that stamp', () => {
    expect(nextMoveTime([], at(5))).toBe('2026-01-01T00:00:05.000Z');
    expect(nextMoveTime(HISTORY, at(5))).toBe('2026-01-01T00:00:05.000Z');
    // The last move is at 4 s; a writer whose clock says 2 s stamps 4 s.
    expect(nextMoveTime(HISTORY, at(2))).toBe('2026-01-01T00:00:04.000Z');
  });
});

describe('Function: retryOnConflict', () => {
  const conflict = () => new PreconditionFailedError('registry/models/m/aliases.json');

  it('backs off random · min(cap, base · 2^(n−1)) before attempt n + 1 and returns the first success', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const out = await retryOnConflict(
      'k',
      async () => {
        calls += 1;
        if (calls < 5) throw conflict();
        return 'done';
      },
      { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 35 },
      { random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(out).toBe('done');
    expect(calls).toBe(5);
    // n = 1..4: 0.5 · min(35, 10, 20, 40 → 35, 80 → 35)
    expect(sleeps).toEqual([5, 10, 17.5, 17.5]);
  });

  it('defaults to 30 attempts with base 5 ms and cap 250 ms, then gives up with the key and the last conflict', async () => {
    const sleeps: number[] = [];
    const last = conflict();
    let calls = 0;
    const result = retryOnConflict(
      'registry/models/m/aliases.json',
      async () => {
        calls += 1;
        throw calls === 30 ? last : conflict();
      },
      {},
      { random: () => 1, sleep: async (ms) => void sleeps.push(ms) },
    );
    await expect(result).rejects.toBeInstanceOf(InfrastructureError);
    const error = await result.catch((e: unknown) => e as InfrastructureError);
    expect(error.message).toBe(
      'gave up updating "registry/models/m/aliases.json" after 30 attempts: other writers changed it every time; ' +
        'try again later or raise the registry retry.maxAttempts',
    );
    expect(error.cause).toBe(last);
    expect(calls).toBe(30);
    // 29 waits: 5, 10, 20, 40, 80, 160, then the 250 ms cap for the other 23.
    expect(sleeps).toEqual([5, 10, 20, 40, 80, 160, ...Array(23).fill(250)]);
  });

  it('does not retry any other error', async () => {
    const other = new UsageError('bad alias');
    const sleep = vi.fn(async () => undefined);
    let calls = 0;
    await expect(
      retryOnConflict(
        'k',
        async () => {
          calls += 1;
          throw other;
        },
        {},
        { random: () => 1, sleep },
      ),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('realSleep resolves after a timer', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const p = realSleep(20).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(19);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await p;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Function: registryKeys and versionFromKey', () => {
  it('lays out keys under the prefix (trailing slashes dropped), versions padded to six digits', () => {
    for (const prefix of ['reg', 'reg/', 'reg//']) {
      const k = registryKeys(prefix);
      expect(k.models).toBe('reg/models/');
      expect(k.versionsPrefix('m')).toBe('reg/models/m/versions/');
      expect(k.version('m', 12)).toBe('reg/models/m/versions/000012.json');
      expect(k.aliases('m')).toBe('reg/models/m/aliases.json');
      expect(k.tags('m')).toBe('reg/models/m/tags.json');
    }
    expect(registryKeys().version('m', 1)).toBe('registry/models/m/versions/000001.json');
    expect(registryKeys().version('m', 1234567)).toBe('registry/models/m/versions/1234567.json');
  });

  it('reads the version number back, and nothing from other keys', () => {
    expect(versionFromKey('registry/models/m/versions/000012.json')).toBe(12);
    expect(versionFromKey('registry/models/m/aliases.json')).toBeUndefined();
    expect(versionFromKey('registry/models/m/versions/000012.json.tmp')).toBeUndefined();
    expect(versionFromKey('registry/models/m/versions/12a.json')).toBeUndefined();
    expect(versionFromKey('registry/models/m/versions/.json')).toBeUndefined();
  });
});

describe('Function: hasFiniteNumbers', () => {
  it('accepts finite numbers in every numeric field, nested, and artifacts without them', () => {
    expect(hasFiniteNumbers({ kind: 'linear', coefficients: { x: 1.5, y: -2 }, intercept: 0.25 })).toBe(true);
    expect(hasFiniteNumbers({ kind: 'softmax', params: [[1, 2], [3]] })).toBe(true);
    expect(hasFiniteNumbers({ kind: 'none' })).toBe(true);
    expect(hasFiniteNumbers({ layers: { dense: [{ w: [1, 2], b: [0] }] } })).toBe(true);
  });

  it('refuses null (JSON’s NaN), ±Infinity, strings and booleans in any numeric field or layer', () => {
    expect(hasFiniteNumbers({ coefficients: { x: null } })).toBe(false);
    expect(hasFiniteNumbers({ coefficients: { x: 1 }, intercept: Number.POSITIVE_INFINITY })).toBe(false);
    expect(hasFiniteNumbers({ params: [1, [2, Number.NaN]] })).toBe(false);
    expect(hasFiniteNumbers({ params: ['1'] })).toBe(false);
    expect(hasFiniteNumbers({ intercept: true })).toBe(false);
    expect(hasFiniteNumbers({ layers: { dense: [{ w: [1, null] }] } })).toBe(false);
    expect(hasFiniteNumbers({ layers: null })).toBe(false);
    expect(hasFiniteNumbers({ layers: 3 })).toBe(false);
    expect(hasFiniteNumbers({ layers: {} })).toBe(false);
  });
});

describe('Function: writeDocument and casCondition', () => {
  it('writes JSON with the condition and the JSON content type, and answers the etag', async () => {
    const store = new MemoryObjectStore();
    const put = vi.spyOn(store, 'put');
    const etag = await writeDocument(store, 'doc.json', { a: 1 }, { ifNoneMatch: '*' });
    expect(put).toHaveBeenCalledWith('doc.json', '{"a":1}', {
      ifNoneMatch: '*',
      contentType: 'application/json',
    });
    expect(etag).toBe((await store.head('doc.json'))!.etag);
    // Created once only: the same condition now fails.
    await expect(writeDocument(store, 'doc.json', { a: 2 }, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('creates when nothing was read, else matches the etag read', () => {
    expect(casCondition(undefined)).toStrictEqual({ ifNoneMatch: '*' });
    expect(casCondition({ doc: {}, etag: '"e1"' })).toStrictEqual({ ifMatch: '"e1"' });
  });
});

describe('Class: AliasConflictError', () => {
  it('says where the alias points and where the caller expected it, and keeps both', () => {
    const e = new AliasConflictError('m', 'champion', 2, null);
    expect(e.name).toBe('AliasConflictError');
    expect(e.message).toBe(
      'alias "champion" of model "m" points at no version, not at version 2 as expected: ' +
        'another writer moved it; re-read the alias and decide again',
    );
    expect([e.model, e.alias, e.expected, e.actual]).toEqual(['m', 'champion', 2, null]);
    expect(new AliasConflictError('m', 'a', null, 3).message).toMatch(
      /^alias "a" of model "m" points at version 3, not at no version as expected/,
    );
  });
});

describe('Function: logBucketView and isLogBucketHistogram (edges)', () => {
  const h = (positive: Record<string, number>, negative: Record<string, number> = {}, zeroCount = 0) => ({
    gamma: 2,
    zeroCount,
    positive,
    negative,
    count: 0,
  });

  it('orders buckets by index whatever the key order, and skips empty buckets and non-numeric keys', () => {
    // γ = 2: index −1 → (0.25, 0.5], index 2 → (2, 4]; object keys list "2" before "-1".
    const pos = logBucketView(h({ '2': 1, '-1': 1, '3': 0, x: 5 }));
    expect([pos.cdf(0.5), pos.cdf(3)]).toEqual([0.5, 0.75]);
    // quantile(0): the lowest non-empty bucket's lower end; quantile(0.25) = 0.25 + 0.5·0.25
    expect([pos.quantile(0), pos.quantile(0.25)]).toEqual([0.25, 0.375]);
    // negative: index 3 → (−8, −4], index 1 → (−2, −1]: F(−6) = (1·(−6 + 8)/4)/2; F(−3) = 1/2
    const neg = logBucketView(h({}, { '1': 1, '3': 1 }));
    expect([neg.cdf(-6), neg.cdf(-3)]).toEqual([0.25, 0.5]);
    // No zero bucket when zeroCount is 0: quantile(0) is the lowest bucket's end, not 0.
    expect(logBucketView(h({ '2': 2, '1': 0 })).quantile(0)).toBe(2);
  });

  it('answers the upper end of a bucket whose count reaches the target exactly (buckets apart)', () => {
    // (1, 2] and (4, 8], one value each: the median is 2, not 4.
    expect(logBucketView(h({ '1': 1, '3': 1 })).quantile(0.5)).toBe(2);
  });

  it('refuses γ ≤ 1 and an empty histogram with their messages', () => {
    expect(() => logBucketView({ ...h({ '1': 1 }), gamma: 1 })).toThrow(
      new UsageError('histogram gamma must be > 1, got 1'),
    );
    expect(() => logBucketView(h({ '1': 0 }))).toThrow(
      new UsageError('histogram is empty: drift needs at least one value per column'),
    );
  });

  it('tells a histogram from a view: both gamma and positive are needed', () => {
    const view = { cdf: () => 0, quantile: () => 0 };
    expect(isLogBucketHistogram(h({ '1': 1 }))).toBe(true);
    expect(isLogBucketHistogram({ ...view, gamma: 2 } as never)).toBe(false);
    expect(isLogBucketHistogram(view)).toBe(false);
  });
});

describe('Helpers: the last few edges', () => {
  it('nextMoveTime stamps now in canonical form when the last stamp is the same instant written otherwise', () => {
    const last = [move('champion', null, 1, '2026-01-01T00:00:04Z')];
    expect(nextMoveTime(last, at(4))).toBe('2026-01-01T00:00:04.000Z');
  });

  it('hasFiniteNumbers refuses an object with one bad value among good ones', () => {
    expect(hasFiniteNumbers({ coefficients: { x: 1, y: null } })).toBe(false);
  });

  it('registryKeys keeps slashes inside the prefix', () => {
    expect(registryKeys('a/b').models).toBe('a/b/models/');
  });
});
