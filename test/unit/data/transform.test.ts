import { describe, expect, it } from 'vitest';
import {
  applyTransform,
  type DatasetManifest,
  explainedVariance,
  fitTransform,
  loadRows,
  preprocessCsv,
  selectColumns,
  toOriginalUnits,
} from '../../../lib/data/index.js';
import { UsageError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

// a = 1..4, b = 2a (perfectly correlated), c = 5 (constant), d alternates
const CSV = 'a,b,c,d,t\n1,2,5,1,0\n2,4,5,-1,1\n3,6,5,1,0\n4,8,5,-1,1\n';

async function fixture(): Promise<{ manifest: DatasetManifest; store: MemoryObjectStore }> {
  const store = new MemoryObjectStore();
  const manifest = await preprocessCsv({ source: csvSource(CSV, 64), file: 't.csv', dataset: 't', store });
  return { manifest, store };
}

describe('Function: fitTransform', () => {
  it('standardises with the population std, and std 1 for a constant column', async () => {
    // Prepare: a = 1..4 → mean 2.5, m2 = 2.25+0.25+0.25+2.25 = 5, population std = sqrt(5/4)
    const { manifest } = await fixture();
    // Act
    const t = fitTransform(manifest, ['a', 'c']);
    const out = applyTransform(t, new Float32Array([1, 5, 4, 5]), 2);
    // Assess
    expect(t.means).toEqual([2.5, 5]);
    expect(t.stds[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(t.stds[1]).toBe(1);
    expect(out[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 6);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(1.5 / Math.sqrt(1.25), 6);
  });

  it('PCA of a, b, d: one component carries a and b, one carries d', async () => {
    // Prepare: corr(a, b) = 1. Centred a = (−1.5, −0.5, 0.5, 1.5), d = (1, −1, 1, −1) (mean 0):
    // Σ a·d = −1.5+0.5+0.5−1.5 = −2, Σa² = 5, Σd² = 4 → r = corr(a, d) = −2/sqrt(20) = −0.4472
    // Correlation matrix R = [[1,1,r],[1,1,r],[r,r,1]] with r = −0.4472; its eigenvalues are
    // 0 and (3 ± sqrt(1 + 8r²))/2 = (3 ± sqrt(2.6))/2 = 2.30623, 0.69377.
    const { manifest } = await fixture();
    // Act
    const t = fitTransform(manifest, ['a', 'b', 'd'], { pca: 2 });
    const ev = explainedVariance(t)!;
    // Assess
    expect(ev.variance[0]).toBeCloseTo((3 + Math.sqrt(2.6)) / 2, 5);
    expect(ev.variance[1]).toBeCloseTo((3 - Math.sqrt(2.6)) / 2, 5);
    expect(ev.ratio[0]! + ev.ratio[1]!).toBeCloseTo(1, 6); // the third eigenvalue is 0 (trace 3)
    // Sign normalised: the largest-magnitude entry of each component is positive
    for (let k = 0; k < 2; k++) {
      const col = t.projection!.matrix.map((row) => row[k]!);
      const big = col.reduce((m, v) => (Math.abs(v) > Math.abs(m) + 1e-12 ? v : m), 0);
      expect(big).toBeGreaterThan(0);
    }
    // Deterministic
    expect(fitTransform(manifest, ['a', 'b', 'd'], { pca: 2 })).toEqual(t);
  });

  it('the PCA outputs are uncorrelated with the eigenvalues as variances', async () => {
    const { manifest, store } = await fixture();
    const t = fitTransform(manifest, ['a', 'b', 'd'], { pca: 2 });
    const s = selectColumns(manifest, await loadRows(store, manifest, 0, 4), {
      target: 't',
      features: ['a', 'b', 'd'],
    });
    const z = applyTransform(t, s.x, 4);
    // population variance of output k over the 4 rows
    const col = (k: number) => [0, 1, 2, 3].map((r) => z[r * 2 + k]!);
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    const cov = (u: number[], v: number[]) => mean(u.map((x, i) => (x - mean(u)) * (v[i]! - mean(v))));
    expect(cov(col(0), col(0))).toBeCloseTo(t.projection!.explainedVariance![0]!, 4);
    expect(cov(col(0), col(1))).toBeCloseTo(0, 4);
  });

  it('a seeded random projection is deterministic and seed-dependent', async () => {
    const { manifest } = await fixture();
    const a = fitTransform(manifest, ['a', 'b', 'd'], { randomProjection: { k: 2, seed: 7 } });
    const b = fitTransform(manifest, ['a', 'b', 'd'], { randomProjection: { k: 2, seed: 7 } });
    const c = fitTransform(manifest, ['a', 'b', 'd'], { randomProjection: { k: 2, seed: 8 } });
    expect(a).toEqual(b);
    expect(a.projection!.matrix).not.toEqual(c.projection!.matrix);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('refuses a bad k, PCA on a categorical feature, and both projections', async () => {
    const store = new MemoryObjectStore();
    const m = await preprocessCsv({
      source: csvSource('x,k\n1,a\n2,b\n', 64),
      file: 'f',
      dataset: 'f',
      store,
    });
    expect(() => fitTransform(m, ['x'], { pca: 2 })).toThrow(UsageError);
    expect(() => fitTransform(m, ['x', 'k'], { pca: 1 })).toThrow(/"k" is categorical/);
    expect(() => fitTransform(m, ['x'], { pca: 1, randomProjection: { k: 1, seed: 1 } })).toThrow(/not both/);
    expect(() => fitTransform(m, ['nope'])).toThrow(/unknown feature/);
  });
});

describe('Function: toOriginalUnits', () => {
  it('predicts the same through the transform and through original-unit coefficients', async () => {
    // Prepare
    const { manifest } = await fixture();
    const x = new Float32Array([1, 2, 5, 1, 3.5, -2, 5, 0.25, 10, 7, 5, -3]);
    for (const options of [{}, { pca: 2 }, { randomProjection: { k: 2, seed: 3 } }]) {
      const t = fitTransform(manifest, ['a', 'b', 'c', 'd'], options);
      const k = t.projection?.k ?? 4;
      const w = [0.5, -1.25, 2, 0.75].slice(0, k);
      const b0 = 0.3;
      // Act
      const z = applyTransform(t, x, 3);
      const { coefficients, intercept } = toOriginalUnits(t, w, b0);
      // Assess: ŷ = b0 + w·z  ==  intercept + coefficients·x, row by row
      for (let r = 0; r < 3; r++) {
        let viaTransform = b0;
        for (let j = 0; j < k; j++) viaTransform += w[j]! * z[r * k + j]!;
        let viaOriginal = intercept;
        for (let j = 0; j < 4; j++) viaOriginal += coefficients[j]! * x[r * 4 + j]!;
        expect(viaOriginal).toBeCloseTo(viaTransform, 4);
      }
    }
  });

  it('undoes standardisation by hand: w = 2 on z = (x − 2.5)/sqrt(1.25)', async () => {
    const { manifest } = await fixture();
    const t = fitTransform(manifest, ['a']);
    // ŷ = 1 + 2(x − 2.5)/s = (1 − 5/s) + (2/s)x with s = sqrt(1.25)
    const s = Math.sqrt(1.25);
    const { coefficients, intercept } = toOriginalUnits(t, [2], 1);
    expect(coefficients[0]).toBeCloseTo(2 / s, 12);
    expect(intercept).toBeCloseTo(1 - 5 / s, 12);
  });
});

describe('Function: applyTransform', () => {
  it('in place writes over x the same values as a separate output', async () => {
    // Prepare: a and d standardised; a's mean 2.5, population sd sqrt(1.25); d's mean 0, sd 1
    const { manifest } = await fixture();
    const t = fitTransform(manifest, ['a', 'd']);
    const x = Float32Array.from([1, 1, 2, -1, 3, 1, 4, -1]);
    const s = Math.sqrt(1.25);
    const expected = [(1 - 2.5) / s, 1, (2 - 2.5) / s, -1, (3 - 2.5) / s, 1, (4 - 2.5) / s, -1];

    // Act
    const separate = applyTransform(t, Float32Array.from(x), 4);
    const inPlace = applyTransform(t, x, 4, true);

    // Assess: the very array passed, holding the float32 of each worked-out value
    expect(inPlace).toBe(x);
    expect([...inPlace]).toEqual(expected.map((v) => Math.fround(v)));
    expect([...inPlace]).toEqual([...separate]);
  });
});

describe('Function: selectColumns', () => {
  it('keeps only the rows asked for, and still checks every row’s class', async () => {
    // Prepare: rows of (a, b, c, d, t) from CSV; keep rows 1 and 3
    const { manifest, store } = await fixture();
    const block = await loadRows(store, manifest, 0, 4);

    // Act
    const sel = selectColumns(manifest, block, {
      target: 't',
      features: ['d', 'a'],
      classValues: [0, 1],
      keepRow: (r) => r % 2 === 1,
    });

    // Assess: row 1 = (d −1, a 2, class 1), row 3 = (d −1, a 4, class 1)
    expect(sel.rows).toBe(2);
    expect([...sel.x]).toEqual([-1, 2, -1, 4]);
    expect([...sel.y]).toEqual([1, 1]);
    // class 1 is unknown to [0]: row 1 is refused even though it is left out
    expect(() =>
      selectColumns(manifest, block, {
        target: 't',
        classValues: [0],
        keepRow: (r) => r % 2 === 0,
      }),
    ).toThrow(/not one of the classes/);
  });
});
