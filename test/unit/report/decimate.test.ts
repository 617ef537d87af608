import { describe, expect, it } from 'vitest';
import { decimateIndices } from '../../../lib/report/decimate.js';
import { lineChart, MAX_LINE_POINTS } from '../../../lib/report/html.js';

describe('Function: decimateIndices', () => {
  it('keeps every index of a short series', () => {
    expect(decimateIndices([5, 4, 3], 10)).toEqual([0, 1, 2]);
  });

  it('keeps the ends and each bucket’s minimum and maximum, so a spike survives', () => {
    // 12 values, 2 buckets of 6: [0..5] min idx 0 (1), max idx 3 (spike 99); [6..11] min 11, max 6.
    const v = [1, 2, 2, 99, 2, 2, 8, 7, 6, 5, 4, 3];
    expect(decimateIndices(v, 2)).toEqual([0, 3, 6, 11]);
  });
});

describe('Function: lineChart', () => {
  it('decimates a 10k-round series to at most MAX_LINE_POINTS and records the total', () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i);
    const loss = x.map((i) => 1 / (1 + i) + (i === 5000 ? 5 : 0));
    const c = lineChart({
      id: 'loss',
      title: 't',
      xLabel: 'round',
      yLabel: 'loss',
      x,
      series: [{ label: 'l', values: loss }],
    });
    expect(c.total).toBe(10_000);
    expect(c.x.length).toBeLessThanOrEqual(MAX_LINE_POINTS);
    expect(c.x).toContain(5000); // the spike
    expect(c.x[0]).toBe(0);
    expect(c.x.at(-1)).toBe(9999);
  });
});
