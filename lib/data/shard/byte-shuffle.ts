/**
 * Byte-plane shuffle (as in Blosc/HDF5): byte b of every float goes to plane b. Exponent and
 * high mantissa bytes of similar numbers then sit together, which zlib and brotli compress far
 * better (about +12 % ratio on 6-digit data) and faster than interleaved floats.
 */
export function shuffleBytes(raw: Uint8Array, width = 4): Uint8Array {
  const n = raw.byteLength / width;
  const out = new Uint8Array(raw.byteLength);
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
