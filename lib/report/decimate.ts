/**
 * Indices to draw for a long series: the first and last point and, in each of `buckets` equal
 * index ranges, the points holding the range's minimum and maximum (min–max decimation, as
 * TensorBoard and Grafana do). Spikes and the envelope survive, which a plain stride would drop.
 * At most `2 * buckets + 2` indices, ascending; every index when the series is short enough.
 */
export function decimateIndices(values: ArrayLike<number | null>, buckets: number): number[] {
  const n = values.length;
  if (n <= 2 * buckets + 2) return Array.from({ length: n }, (_, i) => i);
  const keep = new Set<number>([0, n - 1]);
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (lo < 0 || v < (values[lo] as number)) lo = i;
      if (hi < 0 || v > (values[hi] as number)) hi = i;
    }
    if (lo >= 0) keep.add(lo);
    if (hi >= 0) keep.add(hi);
  }
  return [...keep].sort((a, b) => a - b);
}
