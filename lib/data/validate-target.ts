import { DatasetError } from '../errors.js';
import type { ColumnManifest, DatasetManifest } from './manifest.js';

/** Model kinds, as far as the data layer cares: regression or classification with 2 / K classes. */
export const ModelKind = { linear: 'linear', logistic: 'logistic', softmax: 'softmax' } as const;
export type ModelKind = (typeof ModelKind)[keyof typeof ModelKind];

/** What training needs to know about its target. */
export type TargetInfo =
  | { readonly kind: 'regression'; readonly column: ColumnManifest }
  | {
      readonly kind: 'classification';
      readonly column: ColumnManifest;
      /** Stored values of the classes, ascending; class k is `classValues[k]` (pass to `selectColumns`). */
      readonly classValues: number[];
      /** Human-readable class names, same order (labels for a categorical column, numbers otherwise). */
      readonly classLabels: string[];
    };

/**
 * Checks, at train time, that `target` can be trained with `modelKind`:
 * the column exists; `linear` needs a numeric target; `logistic` needs exactly 2 classes and
 * `softmax` at least 2, where classes are a categorical column's labels or a numeric column's
 * distinct values (known when there are at most 64).
 *
 * @throws DatasetError naming the file and column, with what to do instead.
 * @example
 * const info = validateTarget(manifest, 'species', 'softmax'); // info.classValues → [0, 1, 2]
 */
export function validateTarget(manifest: DatasetManifest, target: string, modelKind: ModelKind): TargetInfo {
  const file = manifest.source.file;
  const column = manifest.columns.find((c) => c.name === target);
  if (column === undefined) {
    const available = manifest.columns.map((c) => `"${c.name}"`).join(', ');
    throw new DatasetError(
      { file, column: target },
      `target column not found; available columns: ${available}`,
    );
  }
  const where = { file, column: target };
  if (modelKind === ModelKind.linear) {
    if (column.type === 'categorical') {
      throw new DatasetError(
        where,
        `linear regression needs a numeric target but the column is categorical (${column.categories?.length ?? 0} labels); use --model logistic or softmax`,
      );
    }
    return { kind: 'regression', column };
  }
  let classValues: number[];
  let classLabels: string[];
  if (column.type === 'categorical') {
    const labels = column.categories ?? [];
    classValues = labels.map((_, i) => i);
    classLabels = [...labels];
  } else if (column.distinct !== undefined) {
    classValues = [...column.distinct.values];
    classLabels = classValues.map(String);
  } else {
    throw new DatasetError(
      where,
      `${modelKind} regression needs a class target but this numeric column has more than 64 distinct values; use --model linear`,
    );
  }
  if (classValues.length < 2) {
    throw new DatasetError(
      where,
      `the target has only one class (${classLabels[0] ?? 'none'}); a classifier needs at least two`,
    );
  }
  if (modelKind === ModelKind.logistic && classValues.length !== 2) {
    throw new DatasetError(
      where,
      `logistic regression needs exactly 2 classes but the target has ${classValues.length}; use --model softmax`,
    );
  }
  return { kind: 'classification', column, classValues, classLabels };
}
