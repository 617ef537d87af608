import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Principal components of a symmetric matrix, largest eigenvalue first. */
export interface Components {
  /** `vectors[j][k]`: entry j of eigenvector k (unit length). */
  readonly vectors: number[][];
  readonly values: number[];
}

/**
 * Eigen-decomposes a symmetric matrix and keeps the top `k` eigenvectors. Signs are normalised
 * (the entry of largest magnitude of each vector is positive; the first one on a tie), so the
 * result does not depend on the solver's arbitrary choice of sign.
 */
export function topEigenvectors(symmetric: number[][], k: number): Components {
  const d = symmetric.length;
  const decomposition = new EigenvalueDecomposition(new Matrix(symmetric), { assumeSymmetric: true });
  const values = decomposition.realEigenvalues;
  const vectors = decomposition.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
  const kept = order.slice(0, k);
  const out: number[][] = Array.from({ length: d }, () => new Array<number>(k).fill(0));
  kept.forEach((col, c) => {
    let pivot = 0;
    for (let j = 1; j < d; j++) {
      if (Math.abs(vectors.get(j, col)) > Math.abs(vectors.get(pivot, col)) + 1e-12) pivot = j;
    }
    const sign = vectors.get(pivot, col) < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) out[j]![c] = sign * vectors.get(j, col);
  });
  return { vectors: out, values: kept.map((i) => Math.max(0, values[i]!)) };
}
