/**
 * Deterministic holdout split by row index: row i is held out when a hash of (i, seed) falls
 * below the fraction. It needs no coordination between partitions, so every worker filters its
 * own rows and the champion and challenger of a pipeline are scored on the same rows.
 */
export function isHoldoutRow(row: number, fraction: number, seed = 0): boolean {
  if (fraction <= 0) return false;
  return hash32(row, seed) / 4294967296 < fraction;
}

/** A 32-bit integer mix (Murmur3 finaliser), stable across platforms. */
function hash32(row: number, seed: number): number {
  let h = (Math.imul(row, 0x9e3779b1) ^ seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Contiguous row range [start, end) of partition `p` of `w` over `rows` rows. */
export function partitionRange(rows: number, w: number, p: number): { start: number; end: number } {
  return { start: Math.floor((p * rows) / w), end: Math.floor(((p + 1) * rows) / w) };
}
