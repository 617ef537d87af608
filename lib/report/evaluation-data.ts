import type { DatasetManifest } from '../data/index.js';
import { isHoldoutRow } from '../engine/datasets/holdout.js';
import { modelRows } from '../engine/evaluation/evaluate.js';
import { type ModelArtifact, outputKind, predictRows } from '../engine/serving/model-artifact.js';
import { HOLDOUT_SEED } from '../engine/training/job-plan.js';
import type { ObjectStore } from '../ports.js';
import {
  binaryCharts,
  type EvaluationCharts,
  multiclassCharts,
  regressionCharts,
} from './evaluation-charts.js';

/** Rows scored for the report's evaluation charts at most (the first ones, in dataset order). */
export const MAX_EVALUATION_ROWS = 100_000;

/**
 * Scores `model` on the rows of a dataset version that `keep` selects (the job's holdout mask,
 * or every row of a `--data` file) and turns labels and predictions into the charts of its
 * kind. Labels are matched to the model's classes by name; a label the model does not know is
 * left out (and counted in `skipped`).
 */
export async function evaluationCharts(
  store: ObjectStore,
  manifest: DatasetManifest,
  model: ModelArtifact,
  keep: (row: number) => boolean,
): Promise<{ charts: EvaluationCharts; skipped: number } | undefined> {
  const target = manifest.columns.find((c) => c.name === model.target);
  const classes = model.classes ?? [];
  const label = (v: number): string =>
    target?.type === 'categorical' ? (target.categories?.[v] ?? String(v)) : String(v);
  const ys: number[] = [];
  const preds: number[] = [];
  let skipped = 0;
  let row = 0;
  let k = 1;
  for await (const block of modelRows(store, manifest, model, true)) {
    const scored = predictRows(model, block.x, block.rows);
    k = scored.k;
    for (let r = 0; r < block.rows && ys.length < MAX_EVALUATION_ROWS; r++, row++) {
      if (!keep(row)) continue;
      const y = outputKind(model) === 'linear' ? block.y[r]! : classes.indexOf(label(block.y[r]!));
      if (outputKind(model) !== 'linear' && y < 0) {
        skipped++;
        continue;
      }
      ys.push(y);
      for (let c = 0; c < k; c++) preds.push(scored.values[r * k + c]!);
    }
    if (ys.length >= MAX_EVALUATION_ROWS) break;
  }
  if (ys.length === 0) return undefined;
  const charts =
    outputKind(model) === 'linear'
      ? regressionCharts(ys, preds)
      : outputKind(model) === 'logistic'
        ? binaryCharts(ys, preds, classes)
        : multiclassCharts(ys, preds, k, classes);
  return { charts, skipped };
}

/** The deterministic holdout row mask every job on a dataset uses. */
export const holdoutRows =
  (fraction: number) =>
  (row: number): boolean =>
    isHoldoutRow(row, fraction, HOLDOUT_SEED);
