import { describe, expect, it } from 'vitest';
import { chunkBySizeAndCount, messageBytes } from '../../../../lib/adapters/aws/index.js';

describe('Function: messageBytes', () => {
  it('counts UTF-8 bytes of the body', () => {
    // 'h' 1 + 'é' 2 + 'llo' 3 = 6; '€' is 3 bytes; '😀' is 4 bytes (a surrogate pair, length 2).
    expect(messageBytes('héllo')).toBe(6);
    expect(messageBytes('€')).toBe(3);
    expect(messageBytes('😀')).toBe(4);
  });

  it('adds each attribute name, data type and value', () => {
    // body 6 + name 'ab' 2 + 'String' 6 + value 'xyz' 3 = 17.
    expect(messageBytes('héllo', { ab: { DataType: 'String', StringValue: 'xyz' } })).toBe(17);
  });
});

describe('Function: chunkBySizeAndCount', () => {
  it('cuts at 10 entries', () => {
    // 25 = 10 + 10 + 5.
    const chunks = chunkBySizeAndCount(
      Array.from({ length: 25 }, (_, i) => i),
      () => 1,
    );
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunks[2]).toEqual([20, 21, 22, 23, 24]);
  });

  it('cuts before the summed size passes the limit, and keeps an oversized item alone', () => {
    // Limit 256: 100 + 100 = 200 fits, + 100 = 300 does not; 300 alone is its own chunk; 50 + 200 = 250 fits.
    const chunks = chunkBySizeAndCount([100, 100, 100, 300, 50, 200], (n) => n, 10, 256);
    expect(chunks).toEqual([[100, 100], [100], [300], [50, 200]]);
  });
});
