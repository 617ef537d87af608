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

describe('Function: isHoldoutRow, against a BigInt reference of the hash', () => {
  // Murmur3's 32-bit finaliser on (row·0x9e3779b1 mod 2³²) XOR seed, written with BigInt
  // arithmetic modulo 2³² (no Math.imul, no >>> tricks).
  const M = 2n ** 32n;
  const mul = (a: bigint, b: bigint) => (a * b) % M;
  function reference(row: number, seed: number): number {
    let h = mul(BigInt(row), 0x9e3779b1n) ^ BigInt(seed >>> 0);
    h ^= h >> 16n;
    h = mul(h, 0x85ebca6bn);
    h ^= h >> 13n;
    h = mul(h, 0xc2b2ae35n);
    h ^= h >> 16n;
    return Number(h) / 2 ** 32;
  }

  it.each([0, 1, 20_241_126, 0xdeadbeef])(
    'holds out row i exactly when hash(i, %i)/2³² < fraction',
    (seed) => {
      for (const fraction of [0.05, 0.2, 0.5, 0.9]) {
        for (let i = 0; i < 300; i++)
          expect(isHoldoutRow(i, fraction, seed)).toBe(reference(i, seed) < fraction);
      }
      // rows past 2³¹ and 2³² wrap the same way
      for (const i of [2 ** 31 + 5, 2 ** 32 + 7, 123_456_789])
        expect(isHoldoutRow(i, 0.5, seed)).toBe(reference(i, seed) < 0.5);
    },
  );

  it('uses seed 0 by default, and holds out every row at fraction 1', () => {
    for (let i = 0; i < 100; i++) {
      expect(isHoldoutRow(i, 0.3)).toBe(reference(i, 0) < 0.3);
      expect(isHoldoutRow(i, 1, 7)).toBe(true);
    }
  });
});
