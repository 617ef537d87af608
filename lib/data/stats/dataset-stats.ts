import type { ColumnType } from '../csv/row-decoder.js';
import { type ColumnStats, EMPTY_STATS, mergeStats, stridedStats } from './column-stats.js';
import { blockComoments, type Comoments, mergeComoments } from './comoments.js';
import { DistinctCounter, type DistinctValues } from './distinct.js';
import { type Histogram, HistogramBuilder } from './histogram.js';

/** What {@link DatasetStatsAccumulator.result} returns for one column. */
export interface ColumnSummary {
  readonly stats: ColumnStats;
  readonly distinct: DistinctValues | undefined;
  readonly histogram: Histogram | undefined;
  /** Categorical only: rows per class index. */
  readonly classCounts: number[] | undefined;
}

/** Everything {@link DatasetStatsAccumulator} gathered (plain data: it crosses threads). */
export interface DatasetSummary {
  readonly columns: ColumnSummary[];
  readonly comoments: { columns: number[]; value: Comoments } | undefined;
}

/**
 * Statistics of a whole dataset, fed one row-major block (a shard) at a time: per-column
 * {@link ColumnStats} (block summary merged into the running one), distinct values, a histogram
 * per numeric column, rows per class for categorical columns, and the co-moments of the numeric
 * columns when there are at most `maxComomentColumns` of them. Memory: O(columns²) at most.
 */
export class DatasetStatsAccumulator {
  private readonly stats: ColumnStats[];
  private readonly distinct: DistinctCounter[];
  private readonly histograms: (HistogramBuilder | undefined)[];
  private readonly classCounts: (number[] | undefined)[];
  private readonly comomentColumns: number[] | undefined;
  private comoments: Comoments | undefined;

  public constructor(
    private readonly types: readonly ColumnType[],
    maxComomentColumns: number,
  ) {
    this.stats = types.map(() => EMPTY_STATS);
    this.distinct = types.map(() => new DistinctCounter());
    this.histograms = types.map((t) => (t === 'numeric' ? new HistogramBuilder() : undefined));
    this.classCounts = types.map((t) => (t === 'categorical' ? [] : undefined));
    const numeric = types.flatMap((t, i) => (t === 'numeric' ? [i] : []));
    this.comomentColumns = numeric.length <= maxComomentColumns ? numeric : undefined;
  }

  /** Adds `rows` rows of `data` (row-major, one value per column per row). */
  public addBlock(data: Float32Array, rows: number): void {
    const cols = this.types.length;
    // Column-major copy first: the per-column passes below then read memory in order instead of
    // one cache line per value. Each column still sees its values in row order, so every sum is
    // the same as a strided pass over `data`.
    const columns = this.transpose(data, rows, cols);
    for (let c = 0; c < cols; c++) {
      const start = c * rows;
      this.stats[c] = mergeStats(this.stats[c]!, stridedStats(columns, start, 1, rows));
      const distinct = this.distinct[c]!;
      const histogram = this.histograms[c];
      const classes = this.classCounts[c];
      const end = start + rows;
      // One loop per summary: each stays monomorphic, and distinct counting stops at overflow.
      for (let p = start; p < end && !distinct.overflowed; p++) distinct.add(columns[p]!);
      if (histogram !== undefined) {
        for (let p = start; p < end; p++) histogram.add(columns[p]!);
      }
      if (classes !== undefined) {
        for (let p = start; p < end; p++) {
          const v = columns[p]!;
          classes[v] = (classes[v] ?? 0) + 1;
        }
      }
    }
    if (this.comomentColumns !== undefined) {
      const block = blockComoments(data, rows, cols, this.comomentColumns);
      this.comoments = this.comoments === undefined ? block : mergeComoments(this.comoments, block);
    }
  }

  private scratch = new Float32Array(0);

  private transpose(data: Float32Array, rows: number, cols: number): Float32Array {
    if (this.scratch.length < rows * cols) this.scratch = new Float32Array(rows * cols);
    const out = this.scratch;
    const TILE = 64;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(rows, r0 + TILE);
      for (let c = 0; c < cols; c++) {
        const base = c * rows;
        for (let r = r0, p = r0 * cols + c; r < r1; r++, p += cols) out[base + r] = data[p]!;
      }
    }
    return out;
  }

  public result(): DatasetSummary {
    return {
      columns: this.types.map((_, c) => ({
        stats: this.stats[c]!,
        distinct: this.distinct[c]!.build(),
        histogram: this.histograms[c]?.build(),
        classCounts: this.classCounts[c],
      })),
      comoments:
        this.comomentColumns !== undefined && this.comoments !== undefined
          ? { columns: this.comomentColumns, value: this.comoments }
          : undefined,
    };
  }
}
