import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { decidePromotion, defaultGateMetric } from '../../../lib/registry/promotion-gate.js';

/** The gate's reasons word for word, and the cases the mutation run found unpinned. */
describe('Function: decidePromotion (reasons and edges)', () => {
  it('says why a margin is refused', () => {
    expect(() =>
      decidePromotion({ metric: 'rmse', higherIsBetter: false, margin: -1, challenger: { rmse: 1 } }),
    ).toThrow(new UsageError('promotion margin must be a finite number ≥ 0, got -1'));
  });

  it('says "nothing" for a missing challenger metric and the value for a non-finite one', () => {
    const base = { metric: 'rmse', higherIsBetter: false, margin: 0, champion: { rmse: 1 } };
    expect(decidePromotion({ ...base, challenger: {} })).toEqual({
      promote: false,
      reason: 'keep champion: challenger has no finite rmse (got nothing)',
    });
    expect(decidePromotion({ ...base, challenger: { rmse: Number.NaN } }).reason).toBe(
      'keep champion: challenger has no finite rmse (got NaN)',
    );
  });

  it('keeps the champion when its own metric is not finite, and says to compare by hand', () => {
    expect(
      decidePromotion({
        metric: 'rmse',
        higherIsBetter: false,
        margin: 0,
        champion: { rmse: Number.POSITIVE_INFINITY },
        challenger: { rmse: 0.9 },
      }),
    ).toEqual({
      promote: false,
      reason:
        'keep champion: champion has no finite rmse to compare with challenger rmse 0.9; compare them by hand',
      challengerValue: 0.9,
    });
  });

  it('measures a higher-is-better improvement as challenger minus champion', () => {
    const d = decidePromotion({
      metric: 'auc',
      higherIsBetter: true,
      margin: 0.01,
      champion: { auc: 0.8 },
      challenger: { auc: 0.85 },
    });
    expect(d.promote).toBe(true);
    expect(d.improvement).toBeCloseTo(0.05, 12);
    expect(d.reason).toBe(
      'promote: challenger auc 0.85 beats champion auc 0.8 by 0.05 (required: 0.01 absolute, higher is better)',
    );
  });

  it('reads an absolute margin in metric units, not scaled by the champion', () => {
    // Improvement 10 − 9 = 1 ≥ 0.5; a relative reading would need 0.5 × 10 = 5.
    const d = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0.5,
      mode: 'absolute',
      champion: { rmse: 10 },
      challenger: { rmse: 9 },
    });
    expect(d.promote).toBe(true);
    expect(d.reason).toBe(
      'promote: challenger rmse 9 beats champion rmse 10 by 1 (required: 0.5 absolute, lower is better)',
    );
  });

  it('scales the floating-point slack with the values compared', () => {
    // 1000000.4 − 1000000.3 is 0.0999999999767… in doubles: short of 0.1 by 2.3e-11, which is
    // within 1e-12 × 1000000.4 ≈ 1e-6 of slack but not within a fixed 1e-12.
    const d = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0.1,
      champion: { rmse: 1000000.4 },
      challenger: { rmse: 1000000.3 },
    });
    expect(d.improvement).toBeLessThan(0.1 - 1e-12);
    expect(d.promote).toBe(true);
  });

  it('says "ties" with no "by" when the values are equal', () => {
    const d = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0,
      champion: { rmse: 1 },
      challenger: { rmse: 1 },
    });
    expect(d).toEqual({
      promote: true,
      reason: 'promote: challenger rmse 1 ties champion rmse 1 (required: 0 absolute, lower is better)',
      challengerValue: 1,
      championValue: 1,
      improvement: 0,
    });
  });

  it('says "is worse than" for a worse challenger', () => {
    const d = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0,
      champion: { rmse: 1 },
      challenger: { rmse: 1.5 },
    });
    expect(d.reason).toBe(
      'keep champion: challenger rmse 1.5 is worse than champion rmse 1 by 0.5 (required: 0 absolute, lower is better)',
    );
  });
});

describe('Function: defaultGateMetric (unknown kind)', () => {
  it('lists the kinds it knows', () => {
    expect(() => defaultGateMetric('tree')).toThrow(
      new UsageError(
        'no default promotion metric for model kind "tree": expected one of linear, logistic, softmax',
      ),
    );
  });
});
