import type { ColumnManifest, DatasetManifest } from '../data/index.js';
import { histogramCdf, histogramQuantile, populationVariance } from '../data/index.js';
import { driftReport } from '../registry/drift.js';
import type { DistributionView } from '../registry/log-bucket-histogram.js';

/** One column as the report shows it: statistics and a histogram ready to draw. */
export interface ColumnSummary {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Bars: numeric → bin centres; categorical/distinct → labels. Counts in rows. */
  readonly bars: { readonly labels: string[]; readonly x: number[]; readonly counts: number[] } | null;
}

/** Bins drawn for a numeric column's histogram. */
export const HISTOGRAM_BINS = 24;

/**
 * A column's histogram as bars. Categorical: rows per category. Numeric with a stored DDSketch:
 * rows in {@link HISTOGRAM_BINS} equal-width bins between min and max, from the sketch's CDF
 * (exact to its 1 % bucket resolution). Few distinct values: one bar per value.
 */
export function columnSummary(c: ColumnManifest): ColumnSummary {
  const base = {
    name: c.name,
    type: c.type,
    count: c.stats.count,
    mean: c.stats.mean,
    std: Math.sqrt(populationVariance(c.stats)),
    min: c.stats.min,
    max: c.stats.max,
  };
  if (c.type === 'categorical') {
    const labels = c.categories ?? [];
    return {
      ...base,
      bars: { labels, x: labels.map((_, i) => i), counts: c.categoryCounts ?? labels.map(() => 0) },
    };
  }
  if (c.distinct !== undefined && c.distinct.values.length <= 12) {
    return {
      ...base,
      bars: { labels: c.distinct.values.map(String), x: c.distinct.values, counts: c.distinct.counts },
    };
  }
  const h = c.histogram;
  if (h === undefined || h.count === 0) return { ...base, bars: null };
  const lo = h.min;
  const width = (h.max - lo) / HISTOGRAM_BINS;
  if (width === 0) return { ...base, bars: { labels: [String(lo)], x: [lo], counts: [h.count] } };
  const x: number[] = [];
  const counts: number[] = [];
  let below = 0;
  for (let b = 0; b < HISTOGRAM_BINS; b++) {
    const upper = b === HISTOGRAM_BINS - 1 ? h.max : lo + (b + 1) * width;
    const cum = b === HISTOGRAM_BINS - 1 ? h.count : Math.round(rowsAtOrBelow(h, upper));
    x.push(lo + (b + 0.5) * width);
    counts.push(cum - below);
    below = cum;
  }
  return { ...base, bars: { labels: x.map((v) => v.toPrecision(3)), x, counts } };
}

type Sketch = NonNullable<ColumnManifest['histogram']>;

/**
 * Rows ≤ x in a sketch, spreading each bucket's rows evenly over its value range (γ^(i−1), γ^i]
 * instead of placing them all at one representative value: equal-width bins narrower than a
 * few buckets would otherwise show comb-like spikes where bucket ranges straddle a bin edge.
 */
export function rowsAtOrBelow(h: Sketch, x: number): number {
  const gamma = (1 + h.alpha) / (1 - h.alpha);
  const within = (lo: number, hi: number, v: number) => (v <= lo ? 0 : v >= hi ? 1 : (v - lo) / (hi - lo));
  let rows = 0;
  // Negative values: bucket i holds |v| in (γ^(i−1), γ^i], i.e. v in [−γ^i, −γ^(i−1)).
  h.negative.counts.forEach((n, j) => {
    const i = h.negative.offset + j;
    rows += n * within(-(gamma ** i), -(gamma ** (i - 1)), x);
  });
  if (x >= 0) rows += h.zeroCount;
  h.positive.counts.forEach((n, j) => {
    const i = h.positive.offset + j;
    rows += n * within(gamma ** (i - 1), gamma ** i, x);
  });
  return rows;
}

/** Every column of a dataset version. */
export function datasetSummary(m: DatasetManifest) {
  return {
    dataset: m.dataset,
    version: m.version,
    createdAt: m.createdAt,
    rows: m.rows,
    file: m.source.file,
    columns: m.columns.map(columnSummary),
  };
}
export type DatasetSummary = ReturnType<typeof datasetSummary>;

function view(h: NonNullable<ColumnManifest['histogram']>): DistributionView {
  return { cdf: (x) => histogramCdf(h, x), quantile: (q) => histogramQuantile(h, q) };
}

/**
 * PSI of every numeric column both versions have, binned at the reference's deciles — the
 * same computation as the pipelines' drift check.
 */
export function versionDrift(reference: DatasetManifest, current: DatasetManifest) {
  const hist = (m: DatasetManifest, names: Set<string>) =>
    Object.fromEntries(
      m.columns.flatMap((c) =>
        c.histogram !== undefined && c.histogram.count > 0 && names.has(c.name)
          ? [[c.name, view(c.histogram)]]
          : [],
      ),
    );
  const both = new Set(
    reference.columns
      .filter(
        (c) => c.histogram !== undefined && current.columns.some((d) => d.name === c.name && d.histogram),
      )
      .map((c) => c.name),
  );
  return driftReport(hist(reference, both), hist(current, both));
}
