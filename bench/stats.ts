/**
 * Small numeric helpers shared by the bench sections: percentiles, rounding, environment knobs.
 */

/** Summary of a sample of durations (ms). */
export interface DurationSummary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (numpy's default),
 * NaN for an empty sample.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** p50 / p95 / mean / min / max of `values`, rounded to `digits` decimals. */
export function summarize(values: readonly number[], digits = 2): DurationSummary {
  const mean = values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
  return {
    n: values.length,
    p50: roundTo(quantile(values, 0.5), digits),
    p95: roundTo(quantile(values, 0.95), digits),
    mean: roundTo(mean, digits),
    min: roundTo(values.length === 0 ? Number.NaN : Math.min(...values), digits),
    max: roundTo(values.length === 0 ? Number.NaN : Math.max(...values), digits),
  };
}

/** Differences of consecutive values: `[t1 − t0, t2 − t1, …]`. */
export function diffs(times: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(times[i]! - times[i - 1]!);
  return out;
}

/** `x` rounded to `digits` decimals (NaN and ±Infinity pass through). */
export function roundTo(x: number, digits = 2): number {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : x;
}

/** True when `BENCH_QUICK` is set to anything but "" or "0": every section shrinks. */
export function quickMode(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.BENCH_QUICK;
  return v !== undefined && v !== '' && v !== '0';
}

/** A positive integer knob from the environment, `fallback` when unset or not a positive number. */
export function intKnob(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  return Number.isFinite(v) && v > 0 ? Math.round(v) : fallback;
}

/** Seconds since `t0` (a `performance.now()` reading), 2 decimals. */
export function secondsSince(t0: number): number {
  return roundTo((performance.now() - t0) / 1000, 2);
}
