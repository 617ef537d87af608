import { UsageError } from '../../errors.js';
import type { DatasetManifest } from '../manifest.js';
import { populationVariance } from '../stats/column-stats.js';
import { comomentAt } from '../stats/comoments.js';
import type { FeatureTransform, Projection } from './feature-transform.js';
import { topEigenvectors } from './pca.js';
import { gaussianProjection } from './random-projection.js';

export interface FitTransformOptions {
  /** Keep the top k principal components of the standardised features. */
  readonly pca?: number;
  /** Project the standardised features onto k seeded Gaussian directions. */
  readonly randomProjection?: { readonly k: number; readonly seed: number };
}

function checkK(k: number, d: number, what: string): void {
  if (!Number.isInteger(k) || k < 1 || k > d) {
    throw new UsageError(
      `${what} k must be an integer between 1 and the number of features (${d}), got ${k}`,
    );
  }
}

/**
 * Fits a {@link FeatureTransform} from a manifest's statistics alone (no pass over the data):
 * standardisation with the population mean and standard deviation (`sqrt(m2/count)`; a constant
 * column gets std 1), optionally followed by PCA or a random projection.
 *
 * PCA decomposes the correlation matrix of the features, `C_ij / sqrt(C_ii C_jj)` from the
 * manifest's co-moments: exactly the covariance of the standardised data (a constant column
 * contributes a zero row and column).
 *
 * @throws UsageError for an unknown feature, both projections at once, a bad k, or PCA without
 *   co-moments (more than 256 numeric columns) or over a categorical feature.
 * @example
 * const t = fitTransform(manifest, ['x1', 'x2', 'x3'], { pca: 2 });
 */
export function fitTransform(
  manifest: DatasetManifest,
  features: readonly string[],
  options: FitTransformOptions = {},
): FeatureTransform {
  const columns = features.map((name) => {
    const column = manifest.columns.find((c) => c.name === name);
    if (column === undefined)
      throw new UsageError(`unknown feature "${name}" in dataset ${manifest.dataset}`);
    return column;
  });
  const means = columns.map((c) => c.stats.mean);
  const stds = columns.map((c) => {
    const std = Math.sqrt(populationVariance(c.stats));
    return std > 0 ? std : 1;
  });
  const base: FeatureTransform = { v: 1, features: [...features], means, stds };
  if (options.pca !== undefined && options.randomProjection !== undefined) {
    throw new UsageError('choose PCA or a random projection, not both');
  }
  const d = features.length;
  if (options.randomProjection !== undefined) {
    const { k, seed } = options.randomProjection;
    checkK(k, d, 'random projection');
    const projection: Projection = { kind: 'random', k, seed, matrix: gaussianProjection(d, k, seed) };
    return { ...base, projection };
  }
  if (options.pca === undefined) return base;
  const k = options.pca;
  checkK(k, d, 'PCA');
  const comoments = manifest.comoments;
  if (comoments === undefined) {
    throw new UsageError(
      `PCA needs the co-moment matrix, which is not computed for datasets with more than 256 numeric columns; use a random projection`,
    );
  }
  const at = features.map((name) => {
    const i = comoments.columns.indexOf(name);
    if (i < 0) throw new UsageError(`PCA works on numeric features; "${name}" is categorical`);
    return i;
  });
  const c = { count: comoments.count, mean: comoments.mean, upper: comoments.upper };
  const diag = at.map((i) => comomentAt(c, i, i));
  const correlation = at.map((i, a) =>
    at.map((j, b) =>
      diag[a]! > 0 && diag[b]! > 0 ? comomentAt(c, i, j) / Math.sqrt(diag[a]! * diag[b]!) : 0,
    ),
  );
  const { vectors, values } = topEigenvectors(correlation, k);
  // Trace = number of non-constant features = total variance of the standardised data.
  const total = diag.filter((v) => v > 0).length;
  const projection: Projection = {
    kind: 'pca',
    k,
    matrix: vectors,
    explainedVariance: values,
    explainedVarianceRatio: values.map((v) => (total > 0 ? v / total : 0)),
  };
  return { ...base, projection };
}
