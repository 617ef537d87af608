import type { Shard } from '../shard/shard-codec.js';

/**
 * Keeps every row a preprocessing run parses, in one row-major float32 array, so a job that
 * trains right after the upload (`train --data … --runner inprocess`) reads the rows from memory
 * instead of fetching and decoding the shards it has just written. The values are the shards'
 * values (the same float32 block is stored and kept), so training gives the same bits either way.
 *
 * Pass {@link add} as `preprocessCsv`'s `onRows`. With `bytesHint` (the file's size) the array is
 * sized once from the first block's bytes per row; it grows by doubling when the estimate falls
 * short (the last block then trims nothing: {@link rows} hands out subarrays).
 *
 * @example
 * const rows = new RowCollector(stat.size);
 * const manifest = await preprocessCsv({ source, file, dataset, store, onRows: rows.add });
 * const { data, cols } = rows.range(0, manifest.rows);
 */
export class RowCollector {
  private data = new Float32Array(0);
  private cols = 0;
  private filled = 0;

  /** @param bytesHint the file's size in bytes, when known (the array is then sized once). */
  public constructor(public bytesHint?: number) {}

  /** Rows collected so far. */
  public get rows(): number {
    return this.filled;
  }

  /**
   * Copies a block of `block.length / cols` rows that starts at row `firstRow` (blocks come in
   * order). `bytesRead` is how much of the file was read when the block was cut (for sizing).
   */
  public readonly add = (block: Float32Array, firstRow: number, cols: number, bytesRead = 0): void => {
    if (firstRow !== this.filled)
      throw new RangeError(`rows must come in order: got ${firstRow}, have ${this.filled}`);
    if (this.filled > 0 && cols !== this.cols)
      throw new RangeError(`a block of ${cols} columns after ${this.cols}`);
    this.cols = cols;
    const rows = block.length / cols;
    const need = (this.filled + rows) * cols;
    if (need > this.data.length) {
      let capacity = Math.max(need, 2 * this.data.length);
      if (this.filled === 0 && this.bytesHint !== undefined && bytesRead > 0 && rows > 0) {
        // bytes read ≥ bytes of these rows, so this can fall short by a chunk; 5 % slack.
        capacity = Math.max(need, Math.ceil((this.bytesHint / bytesRead) * rows * 1.05) * cols);
      }
      const grown = new Float32Array(capacity);
      grown.set(this.data.subarray(0, this.filled * cols));
      this.data = grown;
    }
    this.data.set(block, this.filled * cols);
    this.filled += rows;
  };

  /** Rows `[start, end)` as a shard (a view of the collected array, not a copy). */
  public range(start: number, end: number): Shard {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.filled) {
      throw new RangeError(`row range [${start}, ${end}) is outside [0, ${this.filled})`);
    }
    return {
      rows: end - start,
      cols: this.cols,
      data: this.data.subarray(start * this.cols, end * this.cols),
    };
  }
}
