import { UsageError } from '../errors.js';

/** How a margin is read: `absolute` in the metric's units, `relative` as a fraction of the champion's value. */
export const MarginMode = { Absolute: 'absolute', Relative: 'relative' } as const;
export type MarginMode = (typeof MarginMode)[keyof typeof MarginMode];

/** Input of {@link decidePromotion}. */
export interface PromotionInput {
  readonly metric: string;
  readonly higherIsBetter: boolean;
  /** Minimum improvement needed (≥ 0). */
  readonly margin: number;
  /** @default 'absolute' */
  readonly mode?: MarginMode;
  /** The current champion's metrics; absent when there is no champion yet. */
  readonly champion?: Readonly<Record<string, number>>;
  readonly challenger: Readonly<Record<string, number>>;
}

/** Outcome of {@link decidePromotion}; `reason` is a sentence with both numbers, fit for the alias history. */
export interface PromotionDecision {
  readonly promote: boolean;
  readonly reason: string;
  readonly challengerValue?: number;
  readonly championValue?: number;
  /** Challenger's improvement over the champion in the "better" direction (negative = worse). */
  readonly improvement?: number;
}

/** Floating-point slack so that e.g. 0.3 − 0.2 counts as an improvement of at least 0.1. */
const EPS = 1e-12;

function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/**
 * Decides whether a challenger replaces the champion: always when there is no champion; else
 * when it is better on `metric` by at least `margin` (absolute, or relative to the champion's
 * value). A missing or non-finite metric never promotes: the gate fails closed.
 *
 * @example
 * decidePromotion({ metric: 'rmse', higherIsBetter: false, margin: 0.05, champion: { rmse: 1 }, challenger: { rmse: 0.9 } });
 * // { promote: true, reason: 'promote: challenger rmse 0.9 beats champion rmse 1 by 0.1 (required: 0.05 absolute)', ... }
 */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { metric, higherIsBetter, margin } = input;
  const mode = input.mode ?? MarginMode.Absolute;
  if (!Number.isFinite(margin) || margin < 0) {
    throw new UsageError(`promotion margin must be a finite number ≥ 0, got ${margin}`);
  }
  const challengerValue = input.challenger[metric];
  if (challengerValue === undefined || !Number.isFinite(challengerValue)) {
    return {
      promote: false,
      reason: `keep champion: challenger has no finite ${metric} (got ${challengerValue ?? 'nothing'})`,
    };
  }
  if (input.champion === undefined) {
    return {
      promote: true,
      reason: `promote: no champion yet; challenger ${metric} ${fmt(challengerValue)}`,
      challengerValue,
    };
  }
  const championValue = input.champion[metric];
  if (championValue === undefined || !Number.isFinite(championValue)) {
    return {
      promote: false,
      reason: `keep champion: champion has no finite ${metric} to compare with challenger ${metric} ${fmt(challengerValue)}; compare them by hand`,
      challengerValue,
    };
  }
  const improvement = higherIsBetter ? challengerValue - championValue : championValue - challengerValue;
  const required = mode === MarginMode.Relative ? margin * Math.abs(championValue) : margin;
  const slack = EPS * Math.max(1, Math.abs(championValue), Math.abs(challengerValue));
  const promote = improvement >= required - slack;
  const requiredText =
    mode === MarginMode.Relative
      ? `${fmt(margin * 100)}% of champion = ${fmt(required)}`
      : `${fmt(margin)} absolute`;
  const verdict = improvement > 0 ? 'beats' : improvement < 0 ? 'is worse than' : 'ties';
  const byText = improvement === 0 ? '' : ` by ${fmt(Math.abs(improvement))}`;
  const reason =
    `${promote ? 'promote' : 'keep champion'}: challenger ${metric} ${fmt(challengerValue)} ${verdict} ` +
    `champion ${metric} ${fmt(championValue)}${byText} (required: ${requiredText}, ${higherIsBetter ? 'higher' : 'lower'} is better)`;
  return { promote, reason, challengerValue, championValue, improvement };
}

/** Model kinds the engine trains. */
export const ModelKind = { Linear: 'linear', Logistic: 'logistic', Softmax: 'softmax' } as const;
export type ModelKind = (typeof ModelKind)[keyof typeof ModelKind];

/** The metric a promotion gate compares by default, and its direction. */
export interface GateMetric {
  readonly metric: string;
  readonly higherIsBetter: boolean;
}

/**
 * Default gate metric per model kind: `rmse` for linear; `logloss` (the training loss, which
 * the engine always reports) for logistic and softmax. All are lower-is-better. Override with
 * `auc` / `accuracy` (higher is better) in the job spec when those are reported.
 */
export function defaultGateMetric(kind: string): GateMetric {
  switch (kind) {
    case ModelKind.Linear:
      return { metric: 'rmse', higherIsBetter: false };
    case ModelKind.Logistic:
    case ModelKind.Softmax:
      return { metric: 'logloss', higherIsBetter: false };
    default:
      throw new UsageError(
        `no default promotion metric for model kind "${kind}": expected one of ${Object.values(ModelKind).join(', ')}`,
      );
  }
}
