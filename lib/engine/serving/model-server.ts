import { toFiniteNumber } from '../../data/csv/parse-number.js';
import { DatasetError } from '../../errors.js';
import type { ModelRegistry } from '../../registry/index.js';
import { excerpt } from '../../validation/text.js';
import { type ModelArtifact, outputKind, parseModelArtifact, predictRows } from './model-artifact.js';

/** One prediction: the value (linear), or the class label and class probabilities. */
export type Prediction =
  | { readonly value: number }
  | { readonly label: string; readonly probabilities: Record<string, number> };

/**
 * Serves predictions for `name@alias` / `name@version` / `name` references. The alias is
 * resolved on every request (one small read) and the model document is cached per version, so
 * a moved alias is picked up at once while the model itself is loaded only once per version.
 */
export class ModelServer {
  private readonly models = new Map<string, ModelArtifact>();

  public constructor(private readonly registry: ModelRegistry) {}

  public async model(ref: string): Promise<{ name: string; version: number; artifact: ModelArtifact }> {
    const { name, version } = await this.registry.resolveVersion(ref);
    const key = `${name}@${version}`;
    let artifact = this.models.get(key);
    if (artifact === undefined) {
      artifact = parseModelArtifact((await this.registry.getVersion(name, version)).artifact, key);
      this.models.set(key, artifact);
    }
    return { name, version, artifact };
  }

  /**
   * Predicts for rows given as `{ feature: number | numeric string }`. Every feature must be
   * present and finite; errors name the row (1-based) and column, like preprocessing does.
   */
  public async predict(
    ref: string,
    rows: readonly Record<string, unknown>[],
  ): Promise<{ model: string; predictions: Prediction[] }> {
    const { name, version, artifact } = await this.model(ref);
    const d = artifact.features.length;
    const x = new Float64Array(rows.length * d);
    rows.forEach((row, i) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row))
        throw new DatasetError({ file: 'request', line: i + 1 }, 'a row must be an object of feature values');
      artifact.features.forEach((f, j) => {
        // Feature names are data: only the row's own properties count (`__proto__` is a column).
        const cell = Object.hasOwn(row, f) ? row[f] : undefined;
        if (cell === undefined)
          throw new DatasetError({ file: 'request', line: i + 1, column: f }, 'missing feature');
        // The same number syntax as a CSV upload (decimal only: "0x10" is not a number there either).
        const v =
          typeof cell === 'number'
            ? cell
            : typeof cell === 'string'
              ? (toFiniteNumber(cell) ?? Number.NaN)
              : Number.NaN;
        if (!Number.isFinite(v)) {
          throw new DatasetError(
            { file: 'request', line: i + 1, column: f },
            `${excerpt(typeof cell === 'string' ? cell : String(JSON.stringify(cell)))} is not a finite number`,
          );
        }
        x[i * d + j] = v;
      });
    });
    const { k, values } = predictRows(artifact, x, rows.length);
    // Out-of-range inputs can overflow the dot product; never answer NaN or null silently.
    for (let i = 0; i < rows.length; i++) {
      for (let c = 0; c < k; c++) {
        if (!Number.isFinite(values[i * k + c]!)) {
          throw new DatasetError(
            { file: 'request', line: i + 1 },
            'the prediction is not a finite number: the feature values are out of the range the model can score',
          );
        }
      }
    }
    const classes = artifact.classes ?? [];
    const predictions = rows.map((_, i): Prediction => {
      if (outputKind(artifact) === 'linear') return { value: values[i]! };
      const probs =
        outputKind(artifact) === 'logistic'
          ? [1 - values[i]!, values[i]!]
          : Array.from(values.subarray(i * k, (i + 1) * k));
      const best = probs.indexOf(Math.max(...probs));
      return {
        label: classes[best] ?? String(best),
        probabilities: Object.fromEntries(classes.map((c, j) => [c, probs[j]!])),
      };
    });
    return { model: `${name}@${version}`, predictions };
  }
}
