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
    for (let c = 0; c < cols; c++) {
      this.stats[c] = mergeStats(this.stats[c]!, stridedStats(data, c, cols, rows));
      const distinct = this.distinct[c]!;
      const histogram = this.histograms[c];
      const classes = this.classCounts[c];
      for (let r = 0, p = c; r < rows; r++, p += cols) {
        const v = data[p]!;
        if (!distinct.overflowed) distinct.add(v);
        if (histogram !== undefined) histogram.add(v);
        if (classes !== undefined) classes[v] = (classes[v] ?? 0) + 1;
      }
    }
    if (this.comomentColumns !== undefined) {
      const block = blockComoments(data, rows, cols, this.comomentColumns);
      this.comoments = this.comoments === undefined ? block : mergeComoments(this.comoments, block);
    }
  }

  public result(): {
    columns: ColumnSummary[];
    comoments: { columns: number[]; value: Comoments } | undefined;
  } {
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
