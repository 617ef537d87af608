/**
 * DDSketch-style log-bucket histogram (Masson, Rim & Lee 2019) for drift detection.
 * A positive value x falls in bucket `i = ceil(log_γ x)` with `γ = (1 + α)/(1 − α)`; the bucket's
 * representative value `2γ^i/(γ + 1)` is within relative error α of every value in it.
 * Negative values use the same buckets on |x|, and |x| below {@link MIN_INDEXABLE} counts as zero.
 * Buckets are keyed by integer index, so two histograms with the same α merge exactly by adding
 * counts.
 */
export interface Histogram {
  /** Relative accuracy α. */
  readonly alpha: number;
  readonly count: number;
  readonly zeroCount: number;
  readonly min: number;
  readonly max: number;
  /** Dense bucket counts for positive values: `counts[j]` is bucket `offset + j`. */
  readonly positive: HistogramBuckets;
  /** Same for negative values, indexed by |x|. */
  readonly negative: HistogramBuckets;
}

export interface HistogramBuckets {
  readonly offset: number;
  readonly counts: number[];
}

/** Default relative accuracy: 1 %. */
export const DEFAULT_ALPHA = 0.01;
/** Magnitudes below this count as zero (keeps bucket indices bounded). */
export const MIN_INDEXABLE = 1e-12;

const NO_BUCKETS: HistogramBuckets = Object.freeze({ offset: 0, counts: [] });

/**
 * Dense bucket counts that grow in both directions: a typed array instead of a `Map`, because
 * `add` runs once per value of every numeric column while a file is preprocessed.
 */
class DenseCounts {
  private counts = new Float64Array(0);
  private offset = 0;

  public add(index: number): void {
    let j = index - this.offset;
    if (j < 0 || j >= this.counts.length) j = this.grow(index);
    this.counts[j]!++;
  }

  private grow(index: number): number {
    const old = this.counts;
    if (old.length === 0) {
      this.counts = new Float64Array(64);
      this.offset = index - 32;
      return index - this.offset;
    }
    const lo = Math.min(this.offset, index - 32);
    const hi = Math.max(this.offset + old.length, index + 33);
    this.counts = new Float64Array(hi - lo);
    this.counts.set(old, this.offset - lo);
    this.offset = lo;
    return index - lo;
  }

  /** The mergeable form: from the lowest to the highest non-empty bucket. */
  public build(): HistogramBuckets {
    const counts = this.counts;
    let first = 0;
    while (first < counts.length && counts[first] === 0) first++;
    if (first === counts.length) return NO_BUCKETS;
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    return { offset: this.offset + first, counts: Array.from(counts.subarray(first, last + 1)) };
  }
}

/** Accumulates values one at a time; {@link HistogramBuilder.build} gives the mergeable form. */
export class HistogramBuilder {
  private readonly lnGamma: number;
  private readonly positive = new DenseCounts();
  private readonly negative = new DenseCounts();
  private zeroCount = 0;
  private count = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  public constructor(public readonly alpha: number = DEFAULT_ALPHA) {
    this.lnGamma = Math.log((1 + alpha) / (1 - alpha));
  }

  public add(x: number): void {
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x > MIN_INDEXABLE) {
      this.positive.add(this.index(x));
    } else if (x < -MIN_INDEXABLE) {
      this.negative.add(this.index(-x));
    } else {
      this.zeroCount++;
    }
  }

  /**
   * Bucket of a magnitude above {@link MIN_INDEXABLE}. An infinite magnitude (a float64 such as
   * 1e308 stored as float32) goes to the bucket of `Number.MAX_VALUE`, so the dense bucket array
   * stays bounded (about 36,000 buckets at α = 1 %) instead of being `Infinity` long.
   */
  private index(magnitude: number): number {
    return Math.ceil(Math.log(Math.min(magnitude, Number.MAX_VALUE)) / this.lnGamma);
  }

  public build(): Histogram {
    return {
      alpha: this.alpha,
      count: this.count,
      zeroCount: this.zeroCount,
      min: this.min,
      max: this.max,
      positive: this.positive.build(),
      negative: this.negative.build(),
    };
  }
}

function mergeBuckets(a: HistogramBuckets, b: HistogramBuckets): HistogramBuckets {
  if (a.counts.length === 0) return b;
  if (b.counts.length === 0) return a;
  const lo = Math.min(a.offset, b.offset);
  const hi = Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = new Array<number>(hi - lo).fill(0);
  a.counts.forEach((n, j) => {
    counts[a.offset + j - lo]! += n;
  });
  b.counts.forEach((n, j) => {
    counts[b.offset + j - lo]! += n;
  });
  return { offset: lo, counts };
}

/**
 * Exact merge: bucket counts add. Both histograms must use the same α.
 *
 * @throws RangeError when the accuracies differ.
 */
export function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  if (a.alpha !== b.alpha) throw new RangeError(`cannot merge histograms with α ${a.alpha} and ${b.alpha}`);
  return {
    alpha: a.alpha,
    count: a.count + b.count,
    zeroCount: a.zeroCount + b.zeroCount,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    positive: mergeBuckets(a.positive, b.positive),
    negative: mergeBuckets(a.negative, b.negative),
  };
}

function bucketValue(alpha: number, index: number): number {
  const gamma = (1 + alpha) / (1 - alpha);
  return (2 * gamma ** index) / (gamma + 1);
}

/** Buckets in ascending order of value: (representative value, count). */
function* ascending(h: Histogram): Generator<[number, number]> {
  const neg = h.negative;
  for (let j = neg.counts.length - 1; j >= 0; j--) {
    const n = neg.counts[j]!;
    if (n > 0) yield [-bucketValue(h.alpha, neg.offset + j), n];
  }
  if (h.zeroCount > 0) yield [0, h.zeroCount];
  const pos = h.positive;
  for (let j = 0; j < pos.counts.length; j++) {
    const n = pos.counts[j]!;
    if (n > 0) yield [bucketValue(h.alpha, pos.offset + j), n];
  }
}

/**
 * The q-quantile (0 ≤ q ≤ 1): the value of rank `⌊q·(count − 1)⌋` (0-based), within relative
 * error α (clamped to [min, max]). `NaN` for an empty histogram.
 *
 * @example
 * histogramQuantile(h, 0.5) // median, ±1 %
 */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.count === 0) return Number.NaN;
  if (q <= 0) return h.min;
  if (q >= 1) return h.max;
  const rank = Math.floor(q * (h.count - 1));
  let seen = 0;
  for (const [value, n] of ascending(h)) {
    seen += n;
    if (seen > rank) return Math.min(h.max, Math.max(h.min, value));
  }
  return h.max;
}

/**
 * Approximate cumulative distribution: the fraction of values ≤ x, where a value counts by its
 * bucket's representative value (so the answer is exact at bucket resolution, α). 0 below the
 * minimum, 1 at or above the maximum, `NaN` for an empty histogram.
 */
export function histogramCdf(h: Histogram, x: number): number {
  if (h.count === 0) return Number.NaN;
  if (x < h.min) return 0;
  if (x >= h.max) return 1;
  let below = 0;
  for (const [value, n] of ascending(h)) {
    if (value > x) break;
    below += n;
  }
  return below / h.count;
}
