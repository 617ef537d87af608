import { seededRng } from './random.js';

/** A generated table: column names and row-major values (the target last). */
export interface GeneratedTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (number | string)[])[];
}

/**
 * The worked example of the source material: y = 2x + ε, ε ~ N(0, noise²), x uniform on [0, 2).
 * Least squares on it recovers intercept ≈ 0 and slope ≈ 2.
 */
export function seedExample(options: { rows?: number; noise?: number; seed?: number } = {}): GeneratedTable {
  const { rows = 100, noise = 0.1, seed = 42 } = options;
  const rng = seededRng(seed);
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const x = 2 * rng.uniform();
    out.push([x, 2 * x + noise * rng.normal()]);
  }
  return { columns: ['x', 'y'], rows: out };
}

/** Linear data y = b + Σ w_j x_j + noise, x ~ N(0, 1) scaled per column by `scales`. */
export function linearProblem(options: {
  rows: number;
  weights: readonly number[];
  intercept?: number;
  noise?: number;
  seed?: number;
}): GeneratedTable {
  const { rows, weights, intercept = 0, noise = 0.1, seed = 1 } = options;
  const rng = seededRng(seed);
  const d = weights.length;
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row: number[] = [];
    let y = intercept;
    for (let j = 0; j < d; j++) {
      const x = rng.normal() * (1 + j);
      row.push(x);
      y += weights[j]! * x;
    }
    row.push(y + noise * rng.normal());
    out.push(row);
  }
  return { columns: [...weights.map((_, j) => `x${j + 1}`), 'y'], rows: out };
}

/**
 * Classification data: class c has its centre at `centres[c]`, points are centre + N(0, spread²).
 * Labels are written as strings (`labels[c]`), so the target column is categorical.
 */
export function blobsProblem(options: {
  rows: number;
  centres: readonly (readonly number[])[];
  spread?: number;
  labels?: readonly string[];
  seed?: number;
}): GeneratedTable {
  const { rows, centres, spread = 1, seed = 7 } = options;
  const labels = options.labels ?? centres.map((_, c) => `class${c}`);
  const rng = seededRng(seed);
  const d = centres[0]?.length ?? 0;
  const out: (number | string)[][] = [];
  for (let i = 0; i < rows; i++) {
    const c = i % centres.length;
    const centre = centres[c]!;
    const row: (number | string)[] = [];
    for (let j = 0; j < d; j++) row.push(centre[j]! + spread * rng.normal());
    row.push(labels[c]!);
    out.push(row);
  }
  return { columns: [...Array.from({ length: d }, (_, j) => `f${j + 1}`), 'label'], rows: out };
}

/** Renders a table as CSV text with a header row. Numbers keep full precision. */
export function toCsv(table: GeneratedTable): string {
  const lines = [table.columns.join(',')];
  for (const row of table.rows) lines.push(row.map(String).join(','));
  return `${lines.join('\n')}\n`;
}
