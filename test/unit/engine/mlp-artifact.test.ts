import { describe, expect, it } from 'vitest';
import type { FeatureTransform } from '../../../lib/data/index.js';
import { mlpLayersFromParams } from '../../../lib/engine/serving/mlp-artifact.js';
import {
  isFiniteModel,
  type ModelArtifact,
  parseModelArtifact,
  predictRows,
} from '../../../lib/engine/serving/model-artifact.js';
import { mlpHeadFor } from '../../../lib/engine/training/job-plan.js';
import { initParams, type ModelSpec, mlpLogits } from '../../../lib/optim/index.js';
import { hasFiniteNumbers } from '../../../lib/registry/finite.js';

// z = (x − μ)/σ, then a 3 × 2 projection: the affine map the first layer must absorb
const transform: FeatureTransform = {
  v: 1,
  features: ['a', 'b', 'c'],
  means: [1, -2, 0.5],
  stds: [2, 0.5, 4],
  projection: {
    kind: 'pca',
    k: 2,
    matrix: [
      [0.6, -0.8],
      [0.8, 0.6],
      [0, 0.25],
    ],
  },
};
const raw = [3, -1, 2.5, -1, -2.5, 0.5, 0.25, 4, -6];
const rows = 3;

/** The transform written out from its definition (not applyTransform): z_j = (x_j − μ_j)/σ_j, out_k = Σ_j z_j P_jk. */
function transformed(): Float32Array {
  const out = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let j = 0; j < 3; j++) {
        s +=
          ((raw[r * 3 + j]! - transform.means[j]!) / transform.stds[j]!) *
          transform.projection!.matrix[j]![k]!;
      }
      out[r * 2 + k] = s;
    }
  }
  return out;
}

function artifact(
  spec: ModelSpec,
  params: number[],
  target: { mean: number; std: number } | null,
): ModelArtifact {
  return {
    v: 1,
    kind: 'mlp',
    target: 'y',
    features: ['a', 'b', 'c'],
    ...(spec.head === 'softmax' ? { classes: ['p', 'q', 'r'] } : {}),
    coefficients: {},
    intercept: 0,
    params,
    transform: {},
    metrics: {},
    backend: 'test',
    steps: 1,
    layers: mlpLayersFromParams(spec, params, transform, target),
  };
}

describe('MLP artifact: the transform folded into the first layer', () => {
  it('predicts from raw features what the training-space network predicts from transformed ones (softmax)', () => {
    const spec: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [5, 3], head: 'softmax', numClasses: 3 };
    const params = Array.from(initParams(spec, 4));
    const a = parseModelArtifact(JSON.parse(JSON.stringify(artifact(spec, params, null))), 'm.json');
    const { k, values } = predictRows(a, raw, rows);
    const z = mlpLogits(spec, params, { x: transformed(), y: new Float32Array(rows), rows, d: 2 });
    expect(k).toBe(3);
    for (let r = 0; r < rows; r++) {
      const m = Math.max(z[3 * r]!, z[3 * r + 1]!, z[3 * r + 2]!);
      const e = [0, 1, 2].map((c) => Math.exp(z[3 * r + c]! - m));
      const sum = e[0]! + e[1]! + e[2]!;
      for (let c = 0; c < 3; c++) expect(values[3 * r + c]!).toBeCloseTo(e[c]! / sum, 6);
    }
  });

  it('a regression head is in target units: ŷ = mean + std·z', () => {
    const spec: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [4], head: 'linear' };
    const params = Array.from(initParams(spec, 9));
    const { values } = predictRows(artifact(spec, params, { mean: 10, std: 3 }), raw, rows);
    const z = mlpLogits(spec, params, { x: transformed(), y: new Float32Array(rows), rows, d: 2 });
    for (let r = 0; r < rows; r++) expect(values[r]!).toBeCloseTo(10 + 3 * z[r]!, 5);
  });
});

describe('MLP artifact schema', () => {
  const spec: ModelSpec = { kind: 'mlp', numFeatures: 2, hidden: [2], head: 'logistic' };
  const good = artifact(spec, Array.from(initParams(spec, 1)), null);

  it('parses artifacts written before `layers` existed', () => {
    const old = { ...good, kind: 'linear', coefficients: { a: 1, b: 2, c: 3 }, intercept: 0.5 };
    delete (old as { layers?: unknown }).layers;
    expect(parseModelArtifact(old, 'old.json').layers).toBeUndefined();
  });

  it('refuses an mlp without layers, layers on a linear model, and mismatched shapes', () => {
    const { layers, ...noLayers } = good;
    expect(() => parseModelArtifact(noLayers, 'x.json')).toThrow(/x\.json.*layers/);
    expect(() => parseModelArtifact({ ...good, kind: 'linear' }, 'x.json')).toThrow(/layers/);
    const bad = structuredClone(good);
    bad.layers!.dense[0]!.weights[1] = [1, 2];
    expect(() => parseModelArtifact(bad, 'x.json')).toThrow(/expected 3 inputs/);
    expect(layers).toBeDefined();
  });

  it('a non-finite weight makes the model non-finite (never registered or served)', () => {
    const bad = structuredClone(good);
    bad.layers!.dense[1]!.weights[0]![0] = Number.NaN;
    expect(isFiniteModel(bad)).toBe(false);
    expect(isFiniteModel(good)).toBe(true);
    const stored = JSON.parse(JSON.stringify(bad)) as Record<string, unknown>;
    expect(hasFiniteNumbers(stored)).toBe(false);
    expect(hasFiniteNumbers(JSON.parse(JSON.stringify(good)))).toBe(true);
  });
});

describe('Function: mlpHeadFor (the head from the target, as scikit-learn type_of_target)', () => {
  const manifest = (column: Record<string, unknown>) =>
    ({ columns: [{ name: 't', ...column }] }) as unknown as Parameters<typeof mlpHeadFor>[0];
  it('categorical: 2 labels → logistic, more → softmax', () => {
    expect(mlpHeadFor(manifest({ type: 'categorical', categories: ['no', 'yes'] }), 't')).toBe('logistic');
    expect(mlpHeadFor(manifest({ type: 'categorical', categories: ['a', 'b', 'c'] }), 't')).toBe('softmax');
  });
  it('numeric: few whole-number values are classes; fractions or many values are regression', () => {
    const num = (values: number[] | undefined) =>
      manifest({
        type: 'numeric',
        ...(values === undefined ? {} : { distinct: { values, counts: values.map(() => 1) } }),
      });
    expect(mlpHeadFor(num([0, 1]), 't')).toBe('logistic');
    expect(mlpHeadFor(num([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 't')).toBe('softmax');
    expect(mlpHeadFor(num([0.5, 1, 2]), 't')).toBe('linear');
    expect(mlpHeadFor(num(undefined), 't')).toBe('linear');
    expect(mlpHeadFor(num([3]), 't')).toBe('linear');
  });
});
