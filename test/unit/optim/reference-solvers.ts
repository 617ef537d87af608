/**
 * Independent reference solvers and data generators for the optim tests. Nothing here imports
 * lib/optim: the normal equations and Newton's method are written out from the textbook formulas.
 */

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller. */
export function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** A dataset as plain arrays: rows of features and targets. */
export interface Data {
  readonly x: number[][];
  readonly y: number[];
}

/** Column-wise (x − mean)/sd with the population sd: what the caller of lib/optim does. */
export function standardise(x: number[][]): { z: number[][]; mean: number[]; sd: number[] } {
  const n = x.length;
  const d = x[0]!.length;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const row of x) for (let j = 0; j < d; j++) mean[j] = mean[j]! + row[j]! / n;
  for (const row of x) for (let j = 0; j < d; j++) sd[j] = sd[j]! + (row[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!);
  return { z: x.map((row) => row.map((v, j) => (v - mean[j]!) / sd[j]!)), mean, sd };
}

/** Packs plain rows into the lib's Batch shape (float32, row-major). */
export function toBatch(
  x: number[][],
  y: number[],
): { x: Float32Array; y: Float32Array; rows: number; d: number } {
  const d = x[0]!.length;
  return { x: Float32Array.from(x.flat()), y: Float32Array.from(y), rows: x.length, d };
}

/** Splits rows into `w` contiguous partitions. */
export function partition(x: number[][], y: number[], w: number): ReturnType<typeof toBatch>[] {
  const out: ReturnType<typeof toBatch>[] = [];
  const size = Math.ceil(x.length / w);
  for (let p = 0; p < w; p++)
    out.push(toBatch(x.slice(p * size, (p + 1) * size), y.slice(p * size, (p + 1) * size)));
  return out;
}

/** Solves A·s = b by Gaussian elimination with partial pivoting. */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  const s = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let acc = m[r]![n]!;
    for (let k = r + 1; k < n; k++) acc -= m[r]![k]! * s[k]!;
    s[r] = acc / m[r]![r]!;
  }
  return s;
}

/** Values as float32 would store them (the lib reads float32 shards; so do the references). */
const f32 = (v: number): number => Math.fround(v);

/** Ridge/OLS by the normal equations: (X̃ᵀX̃/n + λI')θ = X̃ᵀy/n, X̃ = [1 | x], I' skips the intercept. */
export function normalEquations(x: number[][], y: number[], l2 = 0): number[] {
  const n = x.length;
  const p = x[0]!.length + 1;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  x.forEach((row, i) => {
    const xt = [1, ...row.map(f32)];
    for (let j = 0; j < p; j++) {
      b[j] = b[j]! + (xt[j]! * f32(y[i]!)) / n;
      for (let k = 0; k < p; k++) a[j]![k] = a[j]![k]! + (xt[j]! * xt[k]!) / n;
    }
  });
  for (let j = 1; j < p; j++) a[j]![j] = a[j]![j]! + l2;
  return solve(a, b);
}

/** Mean squared-error objective J = 1/(2n) Σ (y − ŷ)² + (λ/2)‖w‖². */
export function mseLoss(x: number[][], y: number[], theta: number[], l2 = 0): number {
  let s = 0;
  x.forEach((row, i) => {
    let z = theta[0]!;
    for (let j = 0; j < row.length; j++) z += theta[j + 1]! * f32(row[j]!);
    s += (f32(y[i]!) - z) ** 2;
  });
  return s / (2 * x.length) + (l2 / 2) * theta.slice(1).reduce((a, w) => a + w * w, 0);
}

/**
 * Multinomial (K ≥ 2, softmax) or binary (K = 1, logistic) regression by damped Newton:
 * θ ← θ − (H + μI)⁻¹ g, g = X̃ᵀ(P − Y)/n + λw, H = Σ_i x̃x̃ᵀ ⊗ (diag p − ppᵀ)/n + λI'.
 * μ = 1e-10 only removes softmax's one-direction-per-feature null space (adding a constant to every
 * class block), in which g has no component. Returns θ in the lib's layout.
 */
export function newtonGlm(x: number[][], y: number[], k: number, l2 = 0, iterations = 40): number[] {
  const n = x.length;
  const d1 = x[0]!.length + 1;
  const p = k * d1;
  const theta = new Array<number>(p).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(p).fill(0);
    const h = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    x.forEach((row, i) => {
      const xt = [1, ...row.map(f32)];
      const probs = classProbs(theta, xt, k);
      const label = f32(y[i]!);
      for (let a = 0; a < k; a++) {
        const ya = k === 1 ? label : label === a ? 1 : 0;
        const ra = probs[a]! - ya;
        for (let j = 0; j < d1; j++) g[a * d1 + j] = g[a * d1 + j]! + (ra * xt[j]!) / n;
        for (let b = 0; b < k; b++) {
          const s = k === 1 ? probs[0]! * (1 - probs[0]!) : probs[a]! * ((a === b ? 1 : 0) - probs[b]!);
          for (let j = 0; j < d1; j++) {
            for (let l = 0; l < d1; l++)
              h[a * d1 + j]![b * d1 + l] = h[a * d1 + j]![b * d1 + l]! + (s * xt[j]! * xt[l]!) / n;
          }
        }
      }
    });
    for (let a = 0; a < k; a++) {
      for (let j = 1; j < d1; j++) {
        g[a * d1 + j] = g[a * d1 + j]! + l2 * theta[a * d1 + j]!;
        h[a * d1 + j]![a * d1 + j] = h[a * d1 + j]![a * d1 + j]! + l2;
      }
    }
    for (let i = 0; i < p; i++) h[i]![i] = h[i]![i]! + 1e-10;
    const step = solve(h, g);
    for (let i = 0; i < p; i++) theta[i] = theta[i]! - step[i]!;
    if (Math.sqrt(step.reduce((a, s) => a + s * s, 0)) < 1e-12) break;
  }
  return theta;
}

/** Mean log-loss (K = 1) or cross-entropy (K ≥ 2), plus (λ/2)‖w‖². */
export function glmLoss(x: number[][], y: number[], theta: number[], k: number, l2 = 0): number {
  const d1 = x[0]!.length + 1;
  let s = 0;
  x.forEach((row, i) => {
    const probs = classProbs(theta, [1, ...row.map(f32)], k);
    const label = f32(y[i]!);
    s -=
      k === 1 ? label * Math.log(probs[0]!) + (1 - label) * Math.log(1 - probs[0]!) : Math.log(probs[label]!);
  });
  let w2 = 0;
  for (let a = 0; a < k; a++) for (let j = 1; j < d1; j++) w2 += theta[a * d1 + j]! ** 2;
  return s / x.length + (l2 / 2) * w2;
}

/** Predicted class per row (K = 1: p ≥ ½). */
export function classify(x: number[][], theta: number[], k: number): number[] {
  return x.map((row) => {
    const probs = classProbs(theta, [1, ...row.map(f32)], k);
    if (k === 1) return probs[0]! >= 0.5 ? 1 : 0;
    return probs.indexOf(Math.max(...probs));
  });
}

function classProbs(theta: number[], xt: number[], k: number): number[] {
  const d1 = xt.length;
  const z = Array.from({ length: k }, (_, a) => xt.reduce((acc, v, j) => acc + v * theta[a * d1 + j]!, 0));
  if (k === 1) return [1 / (1 + Math.exp(-z[0]!))];
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Subtracts the across-class mean from each softmax coordinate (removes the null-space shift). */
export function centreClasses(theta: ArrayLike<number>, k: number): number[] {
  const d1 = theta.length / k;
  const out = Array.from(theta);
  for (let j = 0; j < d1; j++) {
    let m = 0;
    for (let a = 0; a < k; a++) m += theta[a * d1 + j]! / k;
    for (let a = 0; a < k; a++) out[a * d1 + j] = theta[a * d1 + j]! - m;
  }
  return out;
}

/** max_i |a_i − b_i| / max(1, max_i |b_i|): relative error on the scale of the reference. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

/** Linear data y = x·w + b + σε with correlated standard-normal features (x_j += ρ·x_{j−1}). */
export function linearData(seed: number, n: number, w: number[], b: number, noise: number, rho = 0.3): Data {
  const z = normal(rng(seed));
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < w.length; j++) row.push(3 * z() + 1 + (j > 0 ? rho * row[j - 1]! : 0));
    x.push(row);
    y.push(row.reduce((a, v, j) => a + v * w[j]!, b) + noise * z());
  }
  return { x, y };
}

/** Classification data: labels drawn from a softmax (K ≥ 2) / logistic (K = 1) model with these weights. */
export function classData(seed: number, n: number, weights: number[][], separable = false): Data {
  const u = rng(seed);
  const z = normal(u);
  const k = weights.length;
  const d = weights[0]!.length;
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: d }, () => 2 * z() - 0.5);
    const logits = weights.map((w) => w.reduce((a, wj, j) => a + wj * row[j]!, 0));
    let label: number;
    if (k === 1) {
      const pr = 1 / (1 + Math.exp(-logits[0]!));
      label = separable ? (logits[0]! > 0 ? 1 : 0) : u() < pr ? 1 : 0;
    } else if (separable) {
      label = logits.indexOf(Math.max(...logits));
    } else {
      const m = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      let r = u() * s;
      label = 0;
      while (label < k - 1 && r >= e[label]!) r -= e[label++]!;
    }
    x.push(row);
    y.push(label);
  }
  return { x, y };
}
