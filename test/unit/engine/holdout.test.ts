import { describe, expect, it } from 'vitest';
import { isHoldoutRow, partitionRange } from '../../../lib/engine/datasets/holdout.js';

describe('Function: isHoldoutRow', () => {
  it('holds out close to the asked fraction, the same rows every time', () => {
    // 20 000 rows at 0.2: binomial sd = sqrt(20000·0.2·0.8) ≈ 57, so ±400 is > 7 sd.
    let held = 0;
    for (let i = 0; i < 20_000; i++) if (isHoldoutRow(i, 0.2)) held++;
    expect(Math.abs(held - 4000)).toBeLessThan(400);
    const again = Array.from({ length: 100 }, (_, i) => isHoldoutRow(i, 0.2));
    expect(Array.from({ length: 100 }, (_, i) => isHoldoutRow(i, 0.2))).toEqual(again);
  });
  it('holds out nothing at fraction 0', () => {
    expect(Array.from({ length: 50 }, (_, i) => isHoldoutRow(i, 0)).some(Boolean)).toBe(false);
  });
});

describe('Function: partitionRange', () => {
  it('covers all rows once, sizes differing by at most one', () => {
    // 10 rows over 4 partitions: floor(10p/4) = 0, 2, 5, 7, 10 → sizes 2, 3, 2, 3.
    const parts = [0, 1, 2, 3].map((p) => partitionRange(10, 4, p));
    expect(parts).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 5 },
      { start: 5, end: 7 },
      { start: 7, end: 10 },
    ]);
  });
});
