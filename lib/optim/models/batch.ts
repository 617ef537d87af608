/**
 * A block of training rows: `x` is rows×d, row-major float32 (the shard format); `y` holds the
 * target (linear), the 0/1 label (logistic) or the class index as a float (softmax).
 */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly d: number;
}

/**
 * Which rows of a batch a kernel reads, without copying them.
 * - `indices` absent or null: rows `start .. end-1` of the batch;
 * - `indices` present: rows `indices[start] .. indices[end-1]` (a slice of a permutation).
 */
export interface RowSelection {
  readonly batch: Batch;
  readonly indices?: Uint32Array | null;
  readonly start: number;
  readonly end: number;
}

/** Selects every row of a batch. */
export function allRows(batch: Batch): RowSelection {
  return { batch, indices: null, start: 0, end: batch.rows };
}
