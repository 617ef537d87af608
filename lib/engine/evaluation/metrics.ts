/**
 * Evaluation metrics for the three model kinds, computed from predictions and labels.
 * Everything is accumulated in float64 whatever the storage type of the inputs.
 */

/** Regression metrics: mean squared error, its root, and the coefficient of determination. */
export interface RegressionMetrics {
  readonly mse: number;
  readonly rmse: number;
  readonly r2: number;
}

/** Binary classification metrics. `logloss` uses clipped probabilities (1e-15), like scikit-learn. */
export interface BinaryMetrics {
  readonly accuracy: number;
  readonly logloss: number;
  readonly auc: number;
}

export interface MulticlassMetrics {
  readonly accuracy: number;
  readonly logloss: number;
}

const EPS = 1e-15;

/**
 * @example regressionMetrics([1, 2], [1, 4]) // { mse: 2, rmse: 1.414…, r2: -1 }
 */
export function regressionMetrics(y: ArrayLike<number>, yHat: ArrayLike<number>): RegressionMetrics {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i]! - yHat[i]!;
    const c = y[i]! - mean;
    sse += r * r;
    sst += c * c;
  }
  const mse = sse / n;
  // A constant target has no variance to explain: R² is 1 for a perfect fit, else 0 (scikit-learn's rule).
  const r2 = sst === 0 ? (sse === 0 ? 1 : 0) : 1 - sse / sst;
  return { mse, rmse: Math.sqrt(mse), r2 };
}

/** `p` holds P(class 1) per row; `y` holds 0/1. */
export function binaryMetrics(y: ArrayLike<number>, p: ArrayLike<number>): BinaryMetrics {
  const n = y.length;
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const pi = Math.min(1 - EPS, Math.max(EPS, p[i]!));
    if ((pi >= 0.5 ? 1 : 0) === yi) correct++;
    loss -= yi === 1 ? Math.log(pi) : Math.log(1 - pi);
  }
  return { accuracy: correct / n, logloss: loss / n, auc: rocAuc(y, p) };
}

/**
 * Area under the ROC curve by the rank-sum (Mann–Whitney U) identity, ties given their mean rank.
 * NaN when only one class is present.
 */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++;
    const meanRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        rankSumPos += meanRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** `probs` is row-major n×K class probabilities; `y` holds class indices. */
export function multiclassMetrics(
  y: ArrayLike<number>,
  probs: ArrayLike<number>,
  k: number,
): MulticlassMetrics {
  const n = y.length;
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c]! > probs[i * k + best]!) best = c;
    const yi = y[i]!;
    if (best === yi) correct++;
    loss -= Math.log(Math.min(1 - EPS, Math.max(EPS, probs[i * k + yi]!)));
  }
  return { accuracy: correct / n, logloss: loss / n };
}
