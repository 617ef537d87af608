/** Numerically stable logistic function σ(z) = 1/(1+e^(−z)). */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Numerically stable softplus log(1+e^z): never overflows, exact for large |z|. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Binary log-loss of one row given the logit z and label y∈{0,1}:
 * −y·log σ(z) − (1−y)·log(1−σ(z)) = softplus(z) − y·z.
 */
export function logisticLoss(z: number, y: number): number {
  return softplus(z) - y * z;
}
