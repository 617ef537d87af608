/** A column keeps its distinct values only while it has at most this many. */
export const MAX_DISTINCT = 64;

/**
 * Distinct values of a column with their counts, ascending by value; absent (`undefined`) once
 * the column has more than {@link MAX_DISTINCT}. Lets a numeric 0/1 column serve as a class target.
 */
export interface DistinctValues {
  readonly values: number[];
  readonly counts: number[];
}

/** Counts distinct values until there are too many, then stops paying for it. */
export class DistinctCounter {
  private counts: Map<number, number> | undefined = new Map();

  public add(value: number): void {
    const counts = this.counts;
    if (counts === undefined) return;
    const n = counts.get(value);
    if (n !== undefined) {
      counts.set(value, n + 1);
    } else if (counts.size >= MAX_DISTINCT) {
      this.counts = undefined;
    } else {
      counts.set(value, 1);
    }
  }

  /** Whether the column has already exceeded the limit. */
  public get overflowed(): boolean {
    return this.counts === undefined;
  }

  public build(): DistinctValues | undefined {
    if (this.counts === undefined) return undefined;
    const values = [...this.counts.keys()].sort((a, b) => a - b);
    return { values, counts: values.map((v) => this.counts!.get(v)!) };
  }
}

/** Exact merge; `undefined` (too many) wins, and so does a union larger than the limit. */
export function mergeDistinct(
  a: DistinctValues | undefined,
  b: DistinctValues | undefined,
): DistinctValues | undefined {
  if (a === undefined || b === undefined) return undefined;
  const counts = new Map<number, number>();
  for (const side of [a, b]) {
    side.values.forEach((v, i) => {
      counts.set(v, (counts.get(v) ?? 0) + side.counts[i]!);
    });
  }
  if (counts.size > MAX_DISTINCT) return undefined;
  const values = [...counts.keys()].sort((x, y) => x - y);
  return { values, counts: values.map((v) => counts.get(v)!) };
}
