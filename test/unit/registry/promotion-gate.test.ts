import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { decidePromotion, defaultGateMetric } from '../../../lib/registry/index.js';

describe('Function: decidePromotion', () => {
  it('promotes when there is no champion', () => {
    // Act
    const decision = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0.1,
      challenger: { rmse: 2.5 },
    });

    // Assess
    expect(decision.promote).toBe(true);
    expect(decision.reason).toContain('no champion');
    expect(decision.reason).toContain('2.5');
  });

  it('promotes a lower rmse that beats the absolute margin and names both numbers', () => {
    // Act: improvement = 1.00 − 0.90 = 0.10 ≥ 0.05
    const decision = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0.05,
      champion: { rmse: 1 },
      challenger: { rmse: 0.9 },
    });

    // Assess
    expect(decision).toMatchObject({ promote: true, championValue: 1, challengerValue: 0.9 });
    expect(decision.improvement).toBeCloseTo(0.1, 12);
    expect(decision.reason).toBe(
      'promote: challenger rmse 0.9 beats champion rmse 1 by 0.1 (required: 0.05 absolute, lower is better)',
    );
  });

  it('keeps the champion when the improvement is below the margin, or the challenger is worse', () => {
    // Act: 1.00 − 0.98 = 0.02 < 0.05; and 1.00 − 1.20 = −0.20
    const small = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0.05,
      champion: { rmse: 1 },
      challenger: { rmse: 0.98 },
    });
    const worse = decidePromotion({
      metric: 'rmse',
      higherIsBetter: false,
      margin: 0,
      champion: { rmse: 1 },
      challenger: { rmse: 1.2 },
    });

    // Assess
    expect(small.promote).toBe(false);
    expect(small.reason).toMatch(/^keep champion: challenger rmse 0\.98 beats champion rmse 1 by 0\.02/);
    expect(worse.promote).toBe(false);
    expect(worse.reason).toContain('is worse than champion rmse 1 by 0.2');
  });

  it('counts an improvement exactly equal to the margin despite floating-point error', () => {
    // Act: in doubles 0.3 − 0.2 = 0.09999999999999998, which must still meet a margin of 0.1
    const decision = decidePromotion({
      metric: 'auc',
      higherIsBetter: true,
      margin: 0.1,
      champion: { auc: 0.2 },
      challenger: { auc: 0.3 },
    });

    // Assess
    expect(0.3 - 0.2 < 0.1).toBe(true);
    expect(decision.promote).toBe(true);
  });

  it('reads a relative margin as a fraction of the champion value', () => {
    // Prepare: required = 10 % of 0.5 = 0.05
    const base = { metric: 'logloss', higherIsBetter: false, margin: 0.1, mode: 'relative' as const };

    // Act: improvements 0.5 − 0.46 = 0.04 (< 0.05) and 0.5 − 0.45 = 0.05 (= 0.05)
    const short = decidePromotion({ ...base, champion: { logloss: 0.5 }, challenger: { logloss: 0.46 } });
    const enough = decidePromotion({ ...base, champion: { logloss: 0.5 }, challenger: { logloss: 0.45 } });

    // Assess
    expect(short.promote).toBe(false);
    expect(enough.promote).toBe(true);
    expect(enough.reason).toContain('required: 10% of champion = 0.05');
  });

  it('fails closed when a metric is missing or not finite, and rejects a negative margin', () => {
    // Act
    const noChallengerMetric = decidePromotion({
      metric: 'auc',
      higherIsBetter: true,
      margin: 0,
      challenger: { rmse: 1 },
    });
    const noChampionMetric = decidePromotion({
      metric: 'auc',
      higherIsBetter: true,
      margin: 0,
      champion: { rmse: 1 },
      challenger: { auc: 0.9 },
    });
    const nan = decidePromotion({
      metric: 'auc',
      higherIsBetter: true,
      margin: 0,
      champion: { auc: 0.5 },
      challenger: { auc: Number.NaN },
    });

    // Assess
    expect([noChallengerMetric.promote, noChampionMetric.promote, nan.promote]).toEqual([
      false,
      false,
      false,
    ]);
    expect(noChampionMetric.reason).toContain('champion has no finite auc');
    expect(() =>
      decidePromotion({ metric: 'auc', higherIsBetter: true, margin: -1, challenger: { auc: 1 } }),
    ).toThrow(UsageError);
  });
});

describe('Function: defaultGateMetric', () => {
  it('picks rmse for linear and logloss for logistic and softmax, all lower-is-better', () => {
    // Act + Assess
    expect(defaultGateMetric('linear')).toEqual({ metric: 'rmse', higherIsBetter: false });
    expect(defaultGateMetric('logistic')).toEqual({ metric: 'logloss', higherIsBetter: false });
    expect(defaultGateMetric('softmax')).toEqual({ metric: 'logloss', higherIsBetter: false });
    expect(() => defaultGateMetric('mlp')).toThrow(UsageError);
  });
});
