/**
 * Byte-plane shuffle (as in Blosc/HDF5): byte b of every float goes to plane b. Exponent and
 * high mantissa bytes of similar numbers then sit together, which zlib and brotli compress far
 * better (about +12 % ratio on 6-digit data) and faster than interleaved floats.
 */
export function shuffleBytes(raw: Uint8Array, width = 4): Uint8Array {
  const n = raw.byteLength / width;
  const out = new Uint8Array(raw.byteLength);
  if (width === 4 && raw.byteOffset % 4 === 0 && Number.isInteger(n)) {
    // One 32-bit load per float instead of four byte loads (little-endian: byte b = bits 8b..8b+7).
    const words = new Uint32Array(raw.buffer, raw.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      out[i] = w;
      out[n + i] = w >>> 8;
      out[2 * n + i] = w >>> 16;
      out[3 * n + i] = w >>> 24;
    }
    return out;
  }
  for (let b = 0; b < width; b++) {
    const plane = b * n;
    for (let i = 0, p = b; i < n; i++, p += width) out[plane + i] = raw[p]!;
  }
  return out;
}

/** Inverse of {@link shuffleBytes}. */
export function unshuffleBytes(planes: Uint8Array, width = 4): Uint8Array {
  const n = planes.byteLength / width;
  const out = new Uint8Array(planes.byteLength);
  for (let b = 0; b < width; b++) {
    const plane = b * n;
    for (let i = 0, p = b; i < n; i++, p += width) out[p] = planes[plane + i]!;
  }
  return out;
}
