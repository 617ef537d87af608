/**
 * A fitted feature transform, plain JSON so it can be stored with a model version:
 * `z_j = (x_j − means_j) / stds_j` for each original feature j, then, when `projection` is present,
 * `out_k = Σ_j z_j · matrix[j][k]`. The whole map is affine, which is what lets
 * {@link toOriginalUnits} fold it into a model's coefficients.
 */
export interface FeatureTransform {
  readonly v: 1;
  /** Original feature names, in input order. */
  readonly features: string[];
  readonly means: number[];
  /** Population standard deviations; 1 for a constant column. */
  readonly stds: number[];
  readonly projection?: Projection;
}

/** d × k matrix mapping standardised features to k outputs. */
export interface Projection {
  readonly kind: 'pca' | 'random';
  readonly k: number;
  /** `matrix[j][k]`: weight of standardised feature j in output k. */
  readonly matrix: number[][];
  /** PCA only: variance of each component (eigenvalues of the correlation matrix), descending. */
  readonly explainedVariance?: number[];
  /** PCA only: each component's share of the total variance. */
  readonly explainedVarianceRatio?: number[];
  /** Random projection only: the seed used. */
  readonly seed?: number;
}

/** Number of values per row after the transform. */
export function outputDimension(t: FeatureTransform): number {
  return t.projection?.k ?? t.features.length;
}

/**
 * Applies the transform to `rows` rows of `x` (row-major, rows × features.length).
 *
 * @param inPlace - write the result over `x` when it has the same shape (no projection, or one
 *   that keeps the dimension): each row is read whole before it is written, so the values are
 *   those of a separate output, without another array of this size to allocate and fault in.
 * @returns rows × {@link outputDimension} values, row-major.
 */
export function applyTransform(
  t: FeatureTransform,
  x: Float32Array,
  rows: number,
  inPlace = false,
): Float32Array {
  const d = t.features.length;
  if (x.length !== rows * d) throw new RangeError(`x has ${x.length} values, expected ${rows} × ${d}`);
  const k = outputDimension(t);
  const out = inPlace && k === d ? x : new Float32Array(rows * k);
  const z = new Float64Array(d);
  const p = t.projection?.matrix;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) z[j] = (x[r * d + j]! - t.means[j]!) / t.stds[j]!;
    if (p === undefined) {
      for (let j = 0; j < d; j++) out[r * k + j] = z[j]!;
    } else {
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += z[j]! * p[j]![c]!;
        out[r * k + c] = s;
      }
    }
  }
  return out;
}

/**
 * Folds the transform into a linear model trained on transformed features. With
 * `ŷ = b + Σ_k w_k out_k` and `out_k = Σ_j P_jk (x_j − m_j)/s_j`:
 * `c_j = (Σ_k P_jk w_k) / s_j` and `b' = b − Σ_j c_j m_j`, so `ŷ = b' + Σ_j c_j x_j`.
 * For softmax, call it once per class.
 *
 * @param weights - one per transformed feature ({@link outputDimension}).
 */
export function toOriginalUnits(
  t: FeatureTransform,
  weights: readonly number[],
  intercept: number,
): { coefficients: number[]; intercept: number } {
  const d = t.features.length;
  const k = outputDimension(t);
  if (weights.length !== k) throw new RangeError(`expected ${k} weights, got ${weights.length}`);
  const p = t.projection?.matrix;
  const coefficients = new Array<number>(d);
  let b = intercept;
  for (let j = 0; j < d; j++) {
    let s = 0;
    if (p === undefined) s = weights[j]!;
    else for (let c = 0; c < k; c++) s += p[j]![c]! * weights[c]!;
    const cj = s / t.stds[j]!;
    coefficients[j] = cj;
    b -= cj * t.means[j]!;
  }
  return { coefficients, intercept: b };
}

/**
 * PCA: variance captured by each kept component and its share of the total; `undefined` for
 * other transforms.
 */
export function explainedVariance(t: FeatureTransform): { variance: number[]; ratio: number[] } | undefined {
  const p = t.projection;
  if (p?.kind !== 'pca' || p.explainedVariance === undefined || p.explainedVarianceRatio === undefined)
    return undefined;
  return { variance: [...p.explainedVariance], ratio: [...p.explainedVarianceRatio] };
}
