/**
 * Deterministic synthetic CSV files for the training benches: a linear-regression problem
 * (`y = x·w + ε`) and a binary logistic problem (`P(y=1) = σ(x·w)`), with mildly correlated
 * Gaussian features so gradient descent needs more than a handful of rounds.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { seededRng } from '../lib/examples/random.js';

/** What to generate. `noise` is the sd of ε (linear) relative to the signal's sd. */
export interface SyntheticProblem {
  readonly kind: 'linear' | 'logistic';
  readonly rows: number;
  readonly features: number;
  readonly seed: number;
  /** Linear only: sd(ε) / sd(x·w). @default 0.5 */
  readonly noise?: number;
}

/**
 * Writes the problem as CSV (`x0..x{d-1},y`) to `file`; resolves with its size in bytes.
 * Features: x_j = z_j + 0.5·s (a shared factor s makes them correlated, condition number ≈ 1 + d/4).
 */
export async function writeSyntheticCsv(file: string, p: SyntheticProblem): Promise<number> {
  const rng = seededRng(p.seed);
  const normal = (): number => rng.normal();
  const weights = Array.from({ length: p.features }, (_, j) => ((j % 7) - 3) / 3 + 0.25);
  // sd of x·w: Var = Σw² + 0.25·(Σw)²
  const sumW = weights.reduce((s, w) => s + w, 0);
  const signalSd = Math.sqrt(weights.reduce((s, w) => s + w * w, 0) + 0.25 * sumW * sumW);
  const noiseSd = (p.noise ?? 0.5) * signalSd;
  const out = createWriteStream(file);
  let bytes = 0;
  const header = `${weights.map((_, j) => `x${j}`).join(',')},y\n`;
  out.write(header);
  bytes += header.length;
  const cells = new Array<string>(p.features + 1);
  const labels = seededRng(p.seed ^ 0x5bd1e995);
  const uniform = (): number => labels.uniform();
  let lines: string[] = [];
  for (let i = 0; i < p.rows; i++) {
    const s = normal();
    let z = 0;
    for (let j = 0; j < p.features; j++) {
      const x = normal() + 0.5 * s;
      z += weights[j]! * x;
      cells[j] = x.toPrecision(6);
    }
    cells[p.features] =
      p.kind === 'linear'
        ? (z + noiseSd * normal()).toPrecision(6)
        : uniform() < 1 / (1 + Math.exp(-z / (signalSd / 3))) // scaled so the classes overlap
          ? '1'
          : '0';
    const line = `${cells.join(',')}\n`;
    bytes += line.length;
    lines.push(line);
    if (lines.length === 4096) {
      if (!out.write(lines.join(''))) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.join(''));
  await once(out, 'finish');
  return bytes;
}
