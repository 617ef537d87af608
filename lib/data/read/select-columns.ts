import { DatasetError } from '../../errors.js';
import type { DatasetManifest } from '../manifest.js';
import type { Shard } from '../shard/shard-codec.js';

export interface SelectColumnsOptions {
  /** Target column name. */
  readonly target: string;
  /** Feature column names, in the order the model sees them; default: every other column. */
  readonly features?: readonly string[];
  /**
   * Class target only: the stored values that are the classes, in class-index order (see
   * `validateTarget(...).classValues`). Each y becomes its position in this list.
   */
  readonly classValues?: readonly number[];
  /**
   * Which rows of the block to keep (by index in the block); default all. Every row's target is
   * still checked; leaving rows out here saves copying the kept ones a second time.
   */
  readonly keepRow?: (r: number) => boolean;
}

/** Features and target split out of a block of rows. */
export interface Selection {
  readonly rows: number;
  /** Number of features. */
  readonly d: number;
  readonly features: string[];
  /** rows × d, row-major. */
  readonly x: Float32Array;
  /** One target value (or class index) per row. */
  readonly y: Float32Array;
}

function columnIndex(manifest: DatasetManifest, name: string): number {
  const column = manifest.columns.find((c) => c.name === name);
  if (column === undefined) {
    const available = manifest.columns.map((c) => c.name).join(', ');
    throw new DatasetError(
      { file: manifest.source.file, column: name },
      `no such column; available columns: ${available}`,
    );
  }
  return column.index;
}

/**
 * Splits rows (from `loadRows`) into features `x` and target `y`.
 *
 * @throws DatasetError when a column is unknown, the target is also a feature, or a target value
 *   is not one of `classValues`.
 * @example
 * const { x, y, d } = selectColumns(manifest, await loadRows(store, manifest, 0, n), { target: 'price' });
 */
export function selectColumns(
  manifest: DatasetManifest,
  block: Shard,
  options: SelectColumnsOptions,
): Selection {
  const t = columnIndex(manifest, options.target);
  const features = options.features
    ? [...options.features]
    : manifest.columns.map((c) => c.name).filter((n) => n !== options.target);
  if (features.includes(options.target)) {
    throw new DatasetError(
      { file: manifest.source.file, column: options.target },
      'the target column cannot also be a feature',
    );
  }
  const indices = features.map((name) => columnIndex(manifest, name));
  const { rows, cols, data } = block;
  const d = indices.length;
  const keepRow = options.keepRow;
  let kept = rows;
  if (keepRow !== undefined) {
    kept = 0;
    for (let r = 0; r < rows; r++) if (keepRow(r)) kept++;
  }
  const x = new Float32Array(kept * d);
  const y = new Float32Array(kept);
  const classOf = options.classValues
    ? new Map(options.classValues.map((v, i) => [Math.fround(v), i]))
    : undefined;
  let i = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const value = data[base + t]!;
    let k = value;
    if (classOf !== undefined) {
      const c = classOf.get(value);
      if (c === undefined) {
        throw new DatasetError(
          { file: manifest.source.file, column: options.target },
          `value ${value} is not one of the classes ${options.classValues!.join(', ')}`,
        );
      }
      k = c;
    }
    if (keepRow !== undefined && !keepRow(r)) continue;
    for (let j = 0; j < d; j++) x[i * d + j] = data[base + indices[j]!]!;
    y[i] = k;
    i++;
  }
  return { rows: kept, d, features, x, y };
}
