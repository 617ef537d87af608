import { UsageError } from '../errors.js';
import {
  type DistributionView,
  isLogBucketHistogram,
  type LogBucketHistogram,
  logBucketView,
} from './log-bucket-histogram.js';

/** Floor for a bin's fraction, so an empty bin gives a large but finite term instead of ln(0). */
export const DEFAULT_PSI_EPSILON = 1e-4;

/**
 * Population stability index of two binnings of the same bins:
 * PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ), each fraction floored at `epsilon`.
 */
export function psi(
  expected: readonly number[],
  actual: readonly number[],
  epsilon = DEFAULT_PSI_EPSILON,
): number {
  if (expected.length !== actual.length || expected.length === 0) {
    throw new UsageError(
      `PSI needs two binnings of the same bins, got ${expected.length} and ${actual.length}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const e = Math.max(expected[i] ?? 0, epsilon);
    const a = Math.max(actual[i] ?? 0, epsilon);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * Fractions of a distribution in the bins cut at ascending `edges`:
 * (−∞, e₁], (e₁, e₂], …, (eₖ₋₁, ∞) → [F(e₁), F(e₂) − F(e₁), …, 1 − F(eₖ₋₁)].
 */
export function binFractions(edges: readonly number[], cdf: (x: number) => number): number[] {
  const fractions: number[] = [];
  let previous = 0;
  for (const edge of edges) {
    const at = Math.min(1, Math.max(previous, cdf(edge)));
    fractions.push(at - previous);
    previous = at;
  }
  fractions.push(1 - previous);
  return fractions;
}

/** Input of {@link psiFromCdf}. */
export interface PsiFromCdfInput {
  /** Interior bin edges, ascending (for deciles: the reference's 10 %, 20 %, …, 90 % quantiles). */
  readonly expectedQuantileEdges: readonly number[];
  /** The reference's fraction in each bin (edges.length + 1 of them). Wins over `expectedCdf`. */
  readonly expectedFractions?: readonly number[];
  /** The reference's CDF, used when `expectedFractions` is absent. Default: equal fractions. */
  readonly expectedCdf?: (x: number) => number;
  /** The current data's CDF. */
  readonly actualCdf: (x: number) => number;
  readonly epsilon?: number;
}

/** PSI of the current distribution against the reference's bins; works with any histogram that yields a CDF. */
export function psiFromCdf(input: PsiFromCdfInput): number {
  const edges = input.expectedQuantileEdges;
  for (let i = 1; i < edges.length; i += 1) {
    if (!((edges[i] ?? 0) >= (edges[i - 1] ?? 0))) throw new UsageError('PSI bin edges must be ascending');
  }
  const bins = edges.length + 1;
  const expected =
    input.expectedFractions ??
    (input.expectedCdf === undefined
      ? new Array<number>(bins).fill(1 / bins)
      : binFractions(edges, input.expectedCdf));
  return psi(expected, binFractions(edges, input.actualCdf), input.epsilon);
}

/** The `bins − 1` interior quantile edges of `view` (deciles for 10 bins), duplicates dropped. */
export function quantileEdges(view: DistributionView, bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 2) throw new UsageError(`PSI needs at least 2 bins, got ${bins}`);
  const edges: number[] = [];
  for (let k = 1; k < bins; k += 1) {
    const edge = view.quantile(k / bins);
    if (edges.length === 0 || edge > (edges[edges.length - 1] ?? Number.NEGATIVE_INFINITY)) edges.push(edge);
  }
  return edges;
}

/** A column summary drift can read: the pipeline's log-bucket histogram, or any CDF/quantile view. */
export type HistogramLike = LogBucketHistogram | DistributionView;

/** Options of {@link driftReport}. */
export interface DriftOptions {
  /** PSI above which a feature counts as drifted (0.1–0.2 moderate, > 0.2 significant). @default 0.2 */
  readonly threshold?: number;
  /** Quantile bins cut on the reference. @default 10 */
  readonly bins?: number;
  readonly epsilon?: number;
}

/** Drift of one feature. */
export interface FeatureDrift {
  readonly feature: string;
  readonly psi: number;
  readonly drifted: boolean;
}

/** Result of {@link driftReport}. */
export interface DriftReport {
  /** One entry per reference feature, sorted by name. */
  readonly features: FeatureDrift[];
  readonly drifted: boolean;
  readonly maxPsi: number;
  readonly threshold: number;
}

/**
 * PSI of every reference feature between the reference (training) data and current data,
 * binned at the reference's quantiles. Features only in `current` are ignored; a reference
 * feature missing from `current` is a `UsageError`.
 *
 * @example
 * const report = driftReport(trainManifest.histograms, todayHistograms, { threshold: 0.2 });
 * if (report.drifted) await events.publish({ type: 'DriftDetected', time, detail: report });
 */
export function driftReport(
  reference: Readonly<Record<string, HistogramLike>>,
  current: Readonly<Record<string, HistogramLike>>,
  options: DriftOptions = {},
): DriftReport {
  const threshold = options.threshold ?? 0.2;
  const bins = options.bins ?? 10;
  const missing = Object.keys(reference).filter((f) => current[f] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`current data has no histogram for feature(s) ${missing.join(', ')}`);
  }
  const features = Object.keys(reference)
    .sort()
    .map((feature): FeatureDrift => {
      const ref = toView(reference[feature]!);
      const cur = toView(current[feature]!);
      const value = psiFromCdf({
        expectedQuantileEdges: quantileEdges(ref, bins),
        expectedCdf: (x) => ref.cdf(x),
        actualCdf: (x) => cur.cdf(x),
        ...(options.epsilon === undefined ? {} : { epsilon: options.epsilon }),
      });
      return { feature, psi: value, drifted: value > threshold };
    });
  const maxPsi = features.reduce((max, f) => Math.max(max, f.psi), 0);
  return { features, drifted: features.some((f) => f.drifted), maxPsi, threshold };
}

function toView(h: HistogramLike): DistributionView {
  return isLogBucketHistogram(h) ? logBucketView(h) : h;
}
