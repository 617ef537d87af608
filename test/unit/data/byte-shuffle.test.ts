import { describe, expect, it } from 'vitest';
import { shuffleBytes, unshuffleBytes } from '../../../lib/data/shard/byte-shuffle.js';

describe('Function: shuffleBytes', () => {
  it('groups byte b of every 4-byte value into plane b', () => {
    // Prepare: two values, bytes [a0 a1 a2 a3] [b0 b1 b2 b3]
    const raw = new Uint8Array([10, 11, 12, 13, 20, 21, 22, 23]);
    // Act
    const planes = shuffleBytes(raw);
    // Assess: planes [a0 b0] [a1 b1] [a2 b2] [a3 b3]
    expect(Array.from(planes)).toEqual([10, 20, 11, 21, 12, 22, 13, 23]);
    expect(Array.from(unshuffleBytes(planes))).toEqual(Array.from(raw));
  });
});
