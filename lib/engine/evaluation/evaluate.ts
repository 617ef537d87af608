import type { DatasetManifest } from '../../data/index.js';
import { loadRows } from '../../data/index.js';
import { DatasetError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import { type ModelArtifact, outputKind, predictRows } from '../serving/model-artifact.js';
import {
  type BinaryMetrics,
  binaryMetrics,
  type MulticlassMetrics,
  multiclassMetrics,
  type RegressionMetrics,
  regressionMetrics,
} from './metrics.js';

export type EvaluationMetrics = RegressionMetrics | BinaryMetrics | MulticlassMetrics;

function columnOf(manifest: DatasetManifest, name: string, role: string) {
  const column = manifest.columns.find((c) => c.name === name);
  if (column === undefined) {
    throw new DatasetError(
      { file: manifest.source.file, column: name },
      `the model needs this ${role} column but the file has: ${manifest.columns.map((c) => c.name).join(', ')}`,
    );
  }
  if (role === 'feature' && column.type !== 'numeric') {
    throw new DatasetError({ file: manifest.source.file, column: name }, 'feature column is not numeric');
  }
  return column;
}

/**
 * Feature rows of a dataset in the model's feature order, one shard at a time, so memory stays
 * bounded by shard size. Also yields the raw target cells when `withTarget`.
 */
export async function* modelRows(
  store: ObjectStore,
  manifest: DatasetManifest,
  model: ModelArtifact,
  withTarget: boolean,
): AsyncGenerator<{ rows: number; x: Float64Array; y: Float64Array }> {
  const idx = model.features.map((f) => columnOf(manifest, f, 'feature').index);
  const t = withTarget ? columnOf(manifest, model.target, 'target').index : -1;
  for (const shard of manifest.shards) {
    const block = await loadRows(store, manifest, shard.firstRow, shard.firstRow + shard.rows);
    const d = idx.length;
    const x = new Float64Array(block.rows * d);
    const y = new Float64Array(withTarget ? block.rows : 0);
    for (let r = 0; r < block.rows; r++) {
      for (let j = 0; j < d; j++) x[r * d + j] = block.data[r * block.cols + idx[j]!]!;
      if (t >= 0) y[r] = block.data[r * block.cols + t]!;
    }
    yield { rows: block.rows, x, y };
  }
}

/** Maps the stored target values of `manifest` to the model's class indices (by label). */
function classMapper(manifest: DatasetManifest, model: ModelArtifact): (v: number, row: number) => number {
  const column = columnOf(manifest, model.target, 'target');
  const classes = model.classes ?? [];
  const label = (v: number): string =>
    column.type === 'categorical' ? (column.categories?.[v] ?? String(v)) : String(v);
  return (v, row) => {
    const c = classes.indexOf(label(v));
    if (c < 0) {
      throw new DatasetError(
        { file: manifest.source.file, line: row + 2, column: model.target },
        `label "${label(v)}" is not a class the model knows (${classes.join(', ')})`,
      );
    }
    return c;
  };
}

/** Scores a model on a labelled dataset: {mse, rmse, r2} | {accuracy, logloss, auc} | {accuracy, logloss}. */
export async function evaluateModel(
  store: ObjectStore,
  manifest: DatasetManifest,
  model: ModelArtifact,
): Promise<EvaluationMetrics> {
  const ys: number[] = [];
  const preds: number[] = [];
  const toClass = outputKind(model) === 'linear' ? undefined : classMapper(manifest, model);
  let row = 0;
  for await (const block of modelRows(store, manifest, model, true)) {
    const { values } = predictRows(model, block.x, block.rows);
    for (let r = 0; r < block.rows; r++, row++) ys.push(toClass ? toClass(block.y[r]!, row) : block.y[r]!);
    for (const v of values) preds.push(v);
  }
  if (outputKind(model) === 'linear') return regressionMetrics(ys, preds);
  if (outputKind(model) === 'logistic') return binaryMetrics(ys, preds);
  return multiclassMetrics(ys, preds, model.classes?.length ?? 0);
}
