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
    // Without the early stop every candidate is fitted; the best score wins, ties to the larger alpha.
    const all = selectMlpAlpha({ spec, seed: 0 }, [train], {
      ...{ candidates, validationFraction: 0.25, seed: 5, stopPastTurn: false },
    });
    expect(all.scores.map((s) => s.score)).toEqual(reference);
    expect(all.validationRows).toBe(val.length);
    expect(all.fitRows).toBe(fitRows.length);
    const best = Math.max(...reference);
    expect(all.alpha).toBe(Math.max(...candidates.filter((_, i) => reference[i] === best)));
    expect(all.reason).toContain(`(${val.length} of 240;`);
    // With it (the default), the ascending search ends at the first score below the best so far.
    let fitted = 1;
    while (fitted < reference.length && reference[fitted]! >= Math.max(...reference.slice(0, fitted)))
      fitted++;
    if (fitted < reference.length) fitted++; // the candidate that turned was fitted too
    expect(sel.scores.map((s) => s.score)).toEqual(reference.slice(0, fitted));
    const bestSeen = Math.max(...reference.slice(0, fitted));
    expect(sel.alpha).toBe(
      Math.max(...candidates.slice(0, fitted).filter((_, i) => reference[i] === bestSeen)),
    );
  });

  it('stops the ascending search at the first alpha that scores worse than the best so far', () => {
    // Prepare: alpha 30 on 180 fit rows is l2 = 1/6 per row: a flat, worse model than alpha 1e-4 or 1e-2.
    const train = xorBatch(240, 1);
    const candidates = [30, 1e-4, 1e-2, 1e3]; // given out of order: the search sorts them
    // Act
    const stopped = selectMlpAlpha({ spec, seed: 0 }, [train], {
      candidates,
      seed: 5,
      validationFraction: 0.25,
    });
    const full = selectMlpAlpha({ spec, seed: 0 }, [train], {
      ...{ candidates, seed: 5, validationFraction: 0.25, stopPastTurn: false },
    });
    // Assess: the full search in ascending order, and the stopped one as a prefix of it that ends
    // at the first score below the best before it, choosing what the full search chose.
    expect(full.scores.map((s) => s.alpha)).toEqual([1e-4, 1e-2, 30, 1e3]);
    const k = full.scores.findIndex(
      (c, i) => i > 0 && c.score < Math.max(...full.scores.slice(0, i).map((x) => x.score)),
    );
    expect(k).toBeGreaterThan(0); // the curve turns on this data
    expect(stopped.scores).toEqual(full.scores.slice(0, k + 1));
    expect(stopped.reason).toMatch(/stopped past the turn/);
    expect(stopped.alpha).toBe(full.alpha);
  });
});
