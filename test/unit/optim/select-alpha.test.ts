import { describe, expect, it } from 'vitest';
import {
  type Batch,
  fit as fitModel,
  isValidationRow,
  type ModelSpec,
  predict,
  resolveTrainConfig,
  selectMlpAlpha,
  splitValidation,
} from '../../../lib/optim/index.js';

/** Two noisy interleaved classes in 2-d (XOR-like), 240 rows: alpha matters on them. */
function xorBatch(rows: number, seed: number): Batch {
  const x = new Float32Array(rows * 2);
  const y = new Float32Array(rows);
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < rows; i++) {
    const a = rnd() * 2 - 1;
    const b = rnd() * 2 - 1;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a * b > 0 !== rnd() < 0.1 ? 1 : 0; // 10 % label noise
  }
  return { x, y, rows, d: 2 };
}

const spec: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [12], head: 'logistic' };

describe('Function: isValidationRow', () => {
  it('marks about the fraction asked for, the same rows for the same seed', () => {
    const marked = Array.from({ length: 10_000 }, (_, r) => isValidationRow(r, 0.2, 7));
    const share = marked.filter(Boolean).length / marked.length;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.22);
    expect(Array.from({ length: 10_000 }, (_, r) => isValidationRow(r, 0.2, 7))).toEqual(marked);
    expect(Array.from({ length: 10_000 }, (_, r) => isValidationRow(r, 0.2, 8))).not.toEqual(marked);
  });
});

describe('Function: splitValidation', () => {
  it('splits by row position over the partitions, whatever their boundaries', () => {
    // Prepare: the same 240 rows as one partition and as three
    const all = xorBatch(240, 1);
    const three = [0, 80, 160].map(
      (s): Batch => ({
        x: all.x.subarray(s * 2, (s + 80) * 2),
        y: all.y.subarray(s, s + 80),
        rows: 80,
        d: 2,
      }),
    );
    // Act
    const a = splitValidation([all], 0.2, 3);
    const b = splitValidation(three, 0.2, 3);
    // Assess: the validation rows are the marked ones, in order, both ways
    const marked = Array.from({ length: 240 }, (_, r) => r).filter((r) => isValidationRow(r, 0.2, 3));
    expect(Array.from(a.validation.y)).toEqual(marked.map((r) => all.y[r]));
    expect(Array.from(b.validation.x)).toEqual(Array.from(a.validation.x));
    expect(a.fit[0]!.rows + a.validation.rows).toBe(240);
    expect(b.fit.reduce((s, p) => s + p.rows, 0)).toBe(a.fit[0]!.rows);
  });
});

describe('Function: selectMlpAlpha', () => {
  it('scores each candidate as a fit on the non-validation rows scored on the validation rows', () => {
    // Prepare
    const train = xorBatch(240, 1);
    const candidates = [1e-4, 1, 30];
    // Act
    const sel = selectMlpAlpha({ spec, seed: 0 }, [train], { candidates, validationFraction: 0.25, seed: 5 });
    // Assess: the reference, written here: mask rows by hand, fit, count P(1) ≥ ½ agreeing with y
    const rows = Array.from({ length: 240 }, (_, r) => r);
    const val = rows.filter((r) => isValidationRow(r, 0.25, 5));
    const fitRows = rows.filter((r) => !isValidationRow(r, 0.25, 5));
    const take = (rs: number[]): Batch => ({
      x: Float32Array.from(rs.flatMap((r) => [train.x[2 * r]!, train.x[2 * r + 1]!])),
      y: Float32Array.from(rs.map((r) => train.y[r]!)),
      rows: rs.length,
      d: 2,
    });
    const fitBatch = take(fitRows);
    const valBatch = take(val);
    const reference = candidates.map((alpha) => {
      const config = resolveTrainConfig(
        { spec: { ...spec, l2: alpha / fitRows.length }, seed: 0 },
        { rows: fitRows.length, partitions: 1 },
      );
      const p = predict(config.spec, fitModel(config, [fitBatch]).params, valBatch);
      return val.filter((_, i) => (p[i]! >= 0.5 ? 1 : 0) === valBatch.y[i]).length / val.length;
    });
    expect(sel.scores.map((s) => s.score)).toEqual(reference);
    expect(sel.validationRows).toBe(val.length);
    expect(sel.fitRows).toBe(fitRows.length);
    const best = Math.max(...reference);
    expect(sel.alpha).toBe(Math.max(...candidates.filter((_, i) => reference[i] === best)));
    expect(sel.reason).toContain(`(${val.length} of 240;`);
  });
});
