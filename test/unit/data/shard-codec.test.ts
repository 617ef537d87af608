import { describe, expect, it } from 'vitest';
import {
  Compression,
  decodeShard,
  decodeShardAsync,
  encodeShard,
  encodeShardAsync,
  SHARD_HEADER_BYTES,
} from '../../../lib/data/index.js';
import { DatasetError } from '../../../lib/errors.js';

const shard = { rows: 3, cols: 2, data: new Float32Array([1, -2.5, 3, 4e10, 0, 1 / 3]) };

describe('Function: encodeShard', () => {
  for (const compression of Object.values(Compression)) {
    it(`round-trips through ${compression}`, async () => {
      // Act
      const bytes = encodeShard(shard, compression);
      const back = decodeShard(bytes);
      const backAsync = await decodeShardAsync(await encodeShardAsync(shard, compression));
      // Assess
      expect(back.rows).toBe(3);
      expect(back.cols).toBe(2);
      expect(Array.from(back.data)).toEqual(Array.from(shard.data));
      expect(Array.from(backAsync.data)).toEqual(Array.from(shard.data));
    });
  }

  it('writes the header: magic, version 1, compression code, rows, cols, payload length', () => {
    // Act
    const bytes = encodeShard(shard, 'none');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    // Assess: 6 floats × 4 bytes = 24 payload bytes after a 24-byte header
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('STSH');
    expect(bytes[4]).toBe(1);
    expect(bytes[5]).toBe(0);
    expect(view.getUint32(8, true)).toBe(3);
    expect(view.getUint32(12, true)).toBe(2);
    expect(view.getUint32(16, true)).toBe(24);
    expect(bytes.byteLength).toBe(SHARD_HEADER_BYTES + 24);
  });

  it('byte-shuffles before compressing (filter byte 1) but not when uncompressed (0)', () => {
    expect(encodeShard(shard, 'deflate')[6]).toBe(1);
    expect(encodeShard(shard, 'brotli')[6]).toBe(1);
    expect(encodeShard(shard, 'none')[6]).toBe(0);
  });

  it('compresses repetitive data', () => {
    const big = { rows: 1000, cols: 4, data: new Float32Array(4000).fill(1.5) };
    expect(encodeShard(big, 'deflate').byteLength).toBeLessThan(4000 * 4 * 0.1);
  });

  it('refuses data whose length is not rows × cols', () => {
    expect(() => encodeShard({ rows: 2, cols: 2, data: new Float32Array(3) })).toThrow(RangeError);
  });
});

describe('Function: decodeShard', () => {
  it('decodes from an unaligned view', () => {
    // Prepare: shift the bytes by one so the float payload is not 4-byte aligned
    const bytes = encodeShard(shard, 'none');
    const padded = new Uint8Array(bytes.byteLength + 1);
    padded.set(bytes, 1);
    // Act / Assess
    expect(Array.from(decodeShard(padded.subarray(1)).data)).toEqual(Array.from(shard.data));
  });

  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['too short', (b) => b.subarray(0, 10), /shorter than the 24-byte header/],
    ['bad magic', (b) => Object.assign(new Uint8Array(b), { 0: 0x58 }), /bad magic/],
    ['future version', (b) => Object.assign(new Uint8Array(b), { 4: 9 }), /format version 9/],
    ['unknown compression', (b) => Object.assign(new Uint8Array(b), { 5: 7 }), /unknown compression code 7/],
    ['unknown filter', (b) => Object.assign(new Uint8Array(b), { 6: 5 }), /unknown filter code 5/],
    ['truncated payload', (b) => b.subarray(0, b.byteLength - 3), /payload bytes/],
    [
      'damaged payload',
      (b) => {
        const c = new Uint8Array(b);
        c[SHARD_HEADER_BYTES + 3] = c[SHARD_HEADER_BYTES + 3]! ^ 0xff;
        return c;
      },
      /corrupt shard/,
    ],
  ];
  for (const [name, damage, message] of cases) {
    it(`rejects a ${name} shard with a DatasetError`, () => {
      const bytes = damage(encodeShard(shard, 'deflate'));
      expect(() => decodeShard(bytes, 'k/shard-00000.bin')).toThrow(DatasetError);
      expect(() => decodeShard(bytes, 'k/shard-00000.bin')).toThrow(message);
    });
  }

  it('detects a flipped bit in an uncompressed payload by checksum', () => {
    const c = new Uint8Array(encodeShard(shard, 'none'));
    c[SHARD_HEADER_BYTES + 1] = c[SHARD_HEADER_BYTES + 1]! ^ 1;
    expect(() => decodeShard(c)).toThrow(/checksum mismatch/);
  });
});
