import { binaryMetrics, multiclassMetrics, regressionMetrics, rocAuc } from '../engine/evaluation/metrics.js';

/** Counts of values in equal-width bins from `edges[0]` to `edges.at(-1)`. */
export interface Binned {
  readonly edges: number[];
  readonly counts: number[];
}

/** What the report draws for a model's evaluation, by model kind. */
export type EvaluationCharts =
  | {
      readonly kind: 'regression';
      readonly rows: number;
      readonly metrics: Record<string, number>;
      /** Sorted by actual value; at most {@link MAX_SCATTER} points (every k-th row). */
      readonly scatter: { readonly actual: number[]; readonly predicted: number[] };
      readonly residuals: Binned;
    }
  | {
      readonly kind: 'binary';
      readonly rows: number;
      readonly metrics: Record<string, number>;
      readonly classes: string[];
      /** Points of the ROC curve, (0,0) to (1,1), one per distinct score. */
      readonly roc: { readonly fpr: number[]; readonly tpr: number[]; readonly auc: number };
      /** `matrix[actual][predicted]` at threshold 0.5. */
      readonly confusion: number[][];
      /** Ten equal-width probability bins that hold rows: mean predicted vs observed positive rate. */
      readonly calibration: {
        readonly predicted: number[];
        readonly observed: number[];
        readonly counts: number[];
      };
    }
  | {
      readonly kind: 'multiclass';
      readonly rows: number;
      readonly metrics: Record<string, number>;
      readonly classes: string[];
      readonly confusion: number[][];
      /** Per class: correct / rows of that class (recall); NaN → null for a class with no rows. */
      readonly perClassAccuracy: (number | null)[];
    };

/** Most scatter points drawn: beyond this the picture does not change, the file only grows. */
export const MAX_SCATTER = 2000;

/** Equal-width histogram of `values` in `bins` bins (one bin when all values are equal). */
export function binValues(values: ArrayLike<number>, bins: number): Binned {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  if (values.length === 0) return { edges: [], counts: [] };
  if (hi === lo) return { edges: [lo, hi], counts: [values.length] };
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = Math.min(bins - 1, Math.floor((values[i]! - lo) / width));
    counts[b]! += 1;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}

/** Regression: predicted vs actual and the residual (actual − predicted) histogram. */
export function regressionCharts(y: ArrayLike<number>, yHat: ArrayLike<number>): EvaluationCharts {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a]! - y[b]!);
  const step = Math.max(1, Math.ceil(n / MAX_SCATTER));
  const picked = order.filter((_, i) => i % step === 0);
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) residuals[i] = y[i]! - yHat[i]!;
  return {
    kind: 'regression',
    rows: n,
    metrics: { ...regressionMetrics(y, yHat) },
    scatter: { actual: picked.map((i) => y[i]!), predicted: picked.map((i) => yHat[i]!) },
    residuals: binValues(residuals, 30),
  };
}

/**
 * ROC curve: thresholds at every distinct score, highest first; tied scores move both rates in
 * one step (the curve's diagonal segment through a tie), so the trapezoid area equals the
 * rank-sum AUC.
 */
export function rocCurve(y: ArrayLike<number>, score: ArrayLike<number>): { fpr: number[]; tpr: number[] } {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) pos++;
  const neg = n - pos;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && score[order[j]!] === score[order[i]!]) {
      if (y[order[j]!] === 1) tp++;
      else fp++;
      j++;
    }
    fpr.push(neg === 0 ? 0 : fp / neg);
    tpr.push(pos === 0 ? 0 : tp / pos);
    i = j;
  }
  return { fpr, tpr };
}

/** Binary classification: ROC with AUC, the confusion matrix at 0.5, calibration in ten bins. */
export function binaryCharts(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  classes: string[],
): EvaluationCharts {
  const n = y.length;
  const confusion = [
    [0, 0],
    [0, 0],
  ];
  const sumP = new Array<number>(10).fill(0);
  const sumY = new Array<number>(10).fill(0);
  const cnt = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const actual = y[i] === 1 ? 1 : 0;
    confusion[actual]![p[i]! >= 0.5 ? 1 : 0]! += 1;
    const b = Math.min(9, Math.floor(p[i]! * 10));
    sumP[b]! += p[i]!;
    sumY[b]! += actual;
    cnt[b]! += 1;
  }
  const used = cnt.flatMap((c, b) => (c > 0 ? [b] : []));
  return {
    kind: 'binary',
    rows: n,
    metrics: { ...binaryMetrics(y, p) },
    classes,
    roc: { ...rocCurve(y, p), auc: rocAuc(y, p) },
    confusion,
    calibration: {
      predicted: used.map((b) => sumP[b]! / cnt[b]!),
      observed: used.map((b) => sumY[b]! / cnt[b]!),
      counts: used.map((b) => cnt[b]!),
    },
  };
}

/** Multiclass: confusion matrix (argmax) and per-class accuracy. `probs` is n×k row-major. */
export function multiclassCharts(
  y: ArrayLike<number>,
  probs: ArrayLike<number>,
  k: number,
  classes: string[],
): EvaluationCharts {
  const n = y.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c]! > probs[i * k + best]!) best = c;
    confusion[y[i]!]![best]! += 1;
  }
  return {
    kind: 'multiclass',
    rows: n,
    metrics: { ...multiclassMetrics(y, probs, k) },
    classes,
    confusion,
    perClassAccuracy: confusion.map((row, c) => {
      const total = row.reduce((s, v) => s + v, 0);
      return total === 0 ? null : row[c]! / total;
    }),
  };
}
