import { describe, expect, it } from 'vitest';
import { maxAbsDiff, sameBits } from '../../../bench/bench-home.js';
import { selectedSections } from '../../../bench/run.js';
import { diffs, intKnob, quantile, quickMode, summarize } from '../../../bench/stats.js';
import { reportMarkdown } from '../../../bench/summary.js';

describe('Function: quantile', () => {
  it('interpolates between closest ranks', () => {
    // Prepare: sorted [1, 2, 3, 4]; position of q is (n−1)·q
    const values = [4, 1, 3, 2];
    // Act / Assess: q=0.5 → pos 1.5 → 2 + 0.5·(3−2) = 2.5; q=0.95 → pos 2.85 → 3 + 0.85·1 = 3.85
    expect(quantile(values, 0.5)).toBe(2.5);
    expect(quantile(values, 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile(values, 0)).toBe(1);
    expect(quantile(values, 1)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('Function: summarize', () => {
  it('reports n, p50, p95, mean, min and max', () => {
    // Prepare: 1..20 → p50 at pos 9.5 = 10.5; p95 at pos 18.05 = 19.05; mean 210/20 = 10.5
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    // Act
    const s = summarize(values);
    // Assess
    expect(s).toEqual({ n: 20, p50: 10.5, p95: 19.05, mean: 10.5, min: 1, max: 20 });
  });
});

describe('Function: diffs', () => {
  it('returns consecutive differences', () => {
    expect(diffs([1, 4, 9, 16])).toEqual([3, 5, 7]);
    expect(diffs([5])).toEqual([]);
  });
});

describe('Function: quickMode / intKnob', () => {
  it('reads the environment', () => {
    expect(quickMode({})).toBe(false);
    expect(quickMode({ BENCH_QUICK: '0' })).toBe(false);
    expect(quickMode({ BENCH_QUICK: '1' })).toBe(true);
    expect(intKnob('X', 7, {})).toBe(7);
    expect(intKnob('X', 7, { X: '12' })).toBe(12);
    expect(intKnob('X', 7, { X: 'many' })).toBe(7);
    expect(intKnob('X', 7, { X: '-3' })).toBe(7);
  });
});

describe('Function: selectedSections', () => {
  it('runs every section by default and keeps run order for a subset', () => {
    expect(selectedSections(undefined)).toEqual([
      'optim',
      'data',
      'coordination',
      'local-sgd',
      'solvers',
      'whole',
      'mlp',
      'partitions',
      'simulate',
    ]);
    expect(selectedSections('local-sgd, optim')).toEqual(['optim', 'local-sgd']);
  });

  it('rejects an unknown section name', () => {
    expect(() => selectedSections('optim,gpu')).toThrow(/unknown section\(s\) gpu/);
  });
});

describe('Function: sameBits / maxAbsDiff', () => {
  it('tells bit-identical vectors from merely close ones', () => {
    expect(sameBits([1, 0.1 + 0.2], [1, 0.1 + 0.2])).toBe(true);
    expect(sameBits([0.3], [0.1 + 0.2])).toBe(false);
    expect(sameBits([0], [-0])).toBe(false);
    // 0.1 + 0.2 − 0.3 = 2^−54 ≈ 5.55e-17
    expect(maxAbsDiff([0.3], [0.1 + 0.2])).toBeCloseTo(5.551115123125783e-17, 30);
    expect(maxAbsDiff([1], [1, 2])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('Function: reportMarkdown', () => {
  it('renders the optim table with ratios to the typed-array kernel and marks failed sections', () => {
    // Prepare: typed 1e6 rows/s, wasm 2.5e6 → 2.50×
    const report = {
      environment: { cpus: 2 },
      sections: {
        optim: {
          seconds: 0.6,
          results: [
            { size: '100000x32', model: 'linear', kernel: 'typed-array', rowsPerSec: 1_000_000 },
            { size: '100000x32', model: 'linear', kernel: 'tfjs-wasm', rowsPerSec: 2_500_000 },
          ],
        },
        data: { error: 'disk full' },
      },
    };
    // Act
    const md = reportMarkdown(report);
    // Assess
    expect(md).toContain('| 100000x32 linear | 1,000,000 (1.00×) | 2,500,000 (2.50×) |');
    expect(md).toContain('FAILED: disk full');
  });

  it('renders the optim ratios to numpy when numpy was measured', () => {
    // Prepare: numpy 4e6 rows/s, wasm 5e6 → 1.25×, typed 1e6 → 0.25×
    const report = {
      environment: { cpus: 2 },
      sections: {
        optim: {
          seconds: 0.6,
          results: [
            { size: '200000x64', model: 'softmax', kernel: 'numpy-openblas', rowsPerSec: 4_000_000 },
            { size: '200000x64', model: 'softmax', kernel: 'typed-array', rowsPerSec: 1_000_000 },
            { size: '200000x64', model: 'softmax', kernel: 'wasm-simd-2t', rowsPerSec: 5_000_000 },
          ],
        },
      },
    };
    // Act
    const md = reportMarkdown(report);
    // Assess
    expect(md).toContain('(× numpy-openblas in brackets)');
    expect(md).toContain('| 200000x64 softmax | 4,000,000 (1.00×) | 1,000,000 (0.25×) | 5,000,000 (1.25×) |');
  });
});
