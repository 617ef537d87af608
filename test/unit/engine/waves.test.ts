import { describe, expect, it } from 'vitest';
import { inWaves } from '../../../lib/engine/training/waves.js';

describe('inWaves', () => {
  it('answers 7 items in waves of 3, 3 and 1, in order, never more than 3 in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const double = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      // Later items answer first inside a wave: the pairs still come in item order.
      await new Promise((resolve) => setTimeout(resolve, 10 - n));
      inFlight--;
      return 2 * n;
    };
    const waves: Array<Array<[number, number]>> = [];
    for await (const wave of inWaves([1, 2, 3, 4, 5, 6, 7], 3, double)) waves.push(wave);
    expect(waves).toEqual([
      [
        [1, 2],
        [2, 4],
        [3, 6],
      ],
      [
        [4, 8],
        [5, 10],
        [6, 12],
      ],
      [[7, 14]],
    ]);
    expect(most).toBe(3);
  });

  it('starts no wave after the caller stops, and treats a width below 1 as 1', async () => {
    const started: number[] = [];
    const note = async (n: number) => {
      started.push(n);
      return n;
    };
    for await (const wave of inWaves([1, 2, 3, 4, 5], 2, note)) if (wave.some(([n]) => n === 2)) break;
    expect(started).toEqual([1, 2]);
    const one: number[][] = [];
    for await (const wave of inWaves([1, 2], 0, note)) one.push(wave.map(([n]) => n));
    expect(one).toEqual([[1], [2]]);
  });
});
