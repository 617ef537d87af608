import type { DatasetManifest } from '../../data/index.js';
import { loadRows } from '../../data/index.js';
import { DatasetError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import { isHoldoutRow } from '../datasets/holdout.js';
import { type ModelArtifact, outputKind, predictRows } from '../serving/model-artifact.js';
import { HOLDOUT_SEED } from '../training/job-plan.js';
import { binaryMetrics, multiclassMetrics, regressionMetrics } from './metrics.js';

/**
 * Scores several models on the SAME held-out rows of a dataset version (the deterministic row
 * mask every job on it uses), so a champion and its challenger are compared on equal terms.
 * Labels are matched by name, so models trained on different versions compare fairly.
 * Returns one metrics object per model, in order.
 */
export async function holdoutMetrics(
  store: ObjectStore,
  manifest: DatasetManifest,
  fraction: number,
  models: readonly ModelArtifact[],
): Promise<Record<string, number>[]> {
  const first = models[0];
  if (first === undefined) return [];
  const cols = manifest.columns;
  const col = (name: string) => {
    const c = cols.find((x) => x.name === name);
    if (c === undefined)
      throw new DatasetError({ file: manifest.source.file, column: name }, 'column missing');
    return c;
  };
  const target = col(first.target);
  const label = (v: number): string =>
    target.type === 'categorical' ? (target.categories?.[v] ?? String(v)) : String(v);
  const rows: Float32Array[] = [];
  for (const shard of manifest.shards) {
    const block = await loadRows(store, manifest, shard.firstRow, shard.firstRow + shard.rows);
    for (let r = 0; r < block.rows; r++) {
      if (isHoldoutRow(shard.firstRow + r, fraction, HOLDOUT_SEED)) {
        rows.push(block.data.slice(r * block.cols, (r + 1) * block.cols));
      }
    }
  }
  if (rows.length === 0)
    throw new DatasetError({ file: manifest.source.file }, 'the holdout split has no rows');
  return models.map((m) => {
    const idx = m.features.map((f) => col(f).index);
    const d = idx.length;
    const x = new Float64Array(rows.length * d);
    rows.forEach((row, i) => {
      for (let j = 0; j < d; j++) x[i * d + j] = row[idx[j]!]!;
    });
    const raw = rows.map((row) => row[target.index]!);
    const { k, values } = predictRows(m, x, rows.length);
    if (outputKind(m) === 'linear') return { ...regressionMetrics(raw, values) };
    const classes = m.classes ?? [];
    // A label the model never saw counts as a miss with probability ~0 (clipped in logloss).
    const y = raw.map((v) => classes.indexOf(label(v)));
    if (outputKind(m) === 'logistic') {
      const mb = binaryMetrics(
        y.map((c) => (c === 1 ? 1 : 0)),
        values,
      );
      return { ...mb };
    }
    const safeY = y.map((c) => Math.max(0, c));
    return { ...multiclassMetrics(safeY, values, k) };
  });
}
