import { describe, expect, it } from 'vitest';
import type { FeatureTransform } from '../../../lib/data/index.js';
import {
  type MlpLayers,
  mlpLayersFromParams,
  mlpScores,
  mlpShapeProblem,
} from '../../../lib/engine/serving/mlp-artifact.js';
import {
  isFiniteModel,
  type ModelArtifact,
  outputKind,
  parseModelArtifact,
  predictRows,
} from '../../../lib/engine/serving/model-artifact.js';
import { DatasetError } from '../../../lib/errors.js';
import type { ModelSpec } from '../../../lib/optim/index.js';

/** A linear-family artifact over features a, b with the given weights. */
function model(over: Partial<ModelArtifact>): ModelArtifact {
  return {
    v: 1,
    kind: 'linear',
    target: 'y',
    features: ['a', 'b'],
    coefficients: { a: 2, b: -1 },
    intercept: 0.5,
    params: [0.5, 2, -1],
    transform: {},
    metrics: {},
    backend: 'typed-array',
    steps: 1,
    ...over,
  } as ModelArtifact;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('Function: predictRows', () => {
  it('linear: ŷ = intercept + Σ coefficient·x per row, a missing coefficient counting 0', () => {
    // rows (1, 2) and (3, 0): 0.5 + 2 − 2 = 0.5 and 0.5 + 6 − 0 = 6.5
    const { k, values } = predictRows(model({}), [1, 2, 3, 0], 2);
    expect(k).toBe(1);
    expect(Array.from(values)).toEqual([0.5, 6.5]);
    // without b's coefficient: (1, 2) → 0.5 + 2 = 2.5
    expect(Array.from(predictRows(model({ coefficients: { a: 2 } }), [1, 2], 1).values)).toEqual([2.5]);
  });

  it('logistic: P(class 1) = σ(z), exact at both tails', () => {
    // z = x_a (coefficient 1, intercept 0): σ(2), σ(−3), σ(0) = ½; σ(800) = 1; σ(−740) = e^−740 to
    // the last bit (1 + e^−740 is 1), a subnormal that 1/(1 + e^740) would flush to 0.
    const m = model({ kind: 'logistic', coefficients: { a: 1, b: 0 }, intercept: 0 });
    const { values } = predictRows(m, [2, 0, -3, 0, 0, 0, 800, 0, -740, 0], 5);
    expect(values[0]).toBeCloseTo(sigmoid(2), 15);
    expect(values[1]).toBeCloseTo(sigmoid(-3), 15);
    expect(values[2]).toBe(0.5);
    expect(values[3]).toBe(1);
    expect(values[4]).toBe(Math.exp(-740));
    expect(values[4]).toBeGreaterThan(0);
  });

  it('softmax: K probabilities per row from the per-class scores, stable for large scores', () => {
    // classes p, q, r with weights on a of 1, 0, −1 and intercepts 1, 1, none (0). At a = ln 2 the
    // scores are ln 2 + 1, 1, −ln 2 → e^s = 2e, e, ½ → divided by 3e + ½.
    const m = model({
      kind: 'softmax',
      classes: ['p', 'q', 'r'],
      coefficients: { p: { a: 1 }, q: { a: 0, b: 0 }, r: { a: -1 } },
      intercept: { p: 1, q: 1 },
    });
    const { k, values } = predictRows(m, [Math.LN2, 5, 1000, 0], 2);
    expect(k).toBe(3);
    const sum = 3 * Math.E + 0.5;
    [(2 * Math.E) / sum, Math.E / sum, 0.5 / sum].forEach((p, c) => {
      expect(values[c]).toBeCloseTo(p, 14);
    });
    // a = 1000: scores 1001, 1, −1000 → (1, e^−1000, e^−2001) / Σ: 1, 0, 0 (no overflow to NaN)
    expect(Array.from(values.subarray(3))).toEqual([1, 0, 0]);
  });

  it('softmax without classes scores no class', () => {
    const m = model({ kind: 'softmax', coefficients: {}, intercept: {} });
    const { k, values } = predictRows(m, [1, 2], 1);
    expect(k).toBe(0);
    expect(values.length).toBe(0);
  });

  it('reads feature and class names as own properties only', () => {
    // A feature named "constructor" with no coefficient scores 0, not Object's constructor.
    const m = model({ features: ['constructor', 'a'], coefficients: { a: 3 }, intercept: 1 });
    expect(Array.from(predictRows(m, [7, 2], 1).values)).toEqual([7]);
  });
});

describe('Function: outputKind', () => {
  it('an mlp outputs what its head does; other kinds what they are', () => {
    expect(outputKind({ kind: 'linear' })).toBe('linear');
    expect(outputKind({ kind: 'softmax' })).toBe('softmax');
    const layers = { v: 1, activation: 'relu', head: 'logistic', dense: [] } as unknown as MlpLayers;
    expect(outputKind({ kind: 'mlp', layers })).toBe('logistic');
    expect(outputKind({ kind: 'mlp' })).toBe('linear');
  });
});

describe('Function: isFiniteModel', () => {
  it('is true when every number is finite, with or without params and layers', () => {
    expect(isFiniteModel({ coefficients: { a: 1 }, intercept: 0, params: [0, 1] })).toBe(true);
    expect(isFiniteModel({ coefficients: { a: 1 }, intercept: 0 })).toBe(true);
    expect(isFiniteModel({ coefficients: { p: { a: 1 } }, intercept: { p: 2 }, layers: { dense: [] } })).toBe(
      true,
    );
  });

  it.each([
    ['an infinite coefficient', { coefficients: { a: Number.POSITIVE_INFINITY }, intercept: 0 }],
    ['a NaN nested coefficient', { coefficients: { p: { a: Number.NaN } }, intercept: { p: 0 } }],
    ['a null intercept (JSON of NaN)', { coefficients: { a: 1 }, intercept: null }],
    ['a NaN intercept of a class', { coefficients: { p: { a: 1 } }, intercept: { p: Number.NaN } }],
    ['a string coefficient', { coefficients: { a: '1' }, intercept: 0 }],
    ['a NaN parameter', { coefficients: { a: 1 }, intercept: 0, params: [0, Number.NaN] }],
    ['a non-finite layer weight', { coefficients: {}, intercept: 0, layers: { dense: [[1, Number.NaN]] } }],
  ])('is false for %s', (_what, m) => {
    expect(isFiniteModel(m)).toBe(false);
  });
});

describe('Function: parseModelArtifact', () => {
  it('names the file and the first problem', () => {
    const { layers: _, ...linear } = model({});
    expect(() => parseModelArtifact({ ...linear, kind: 'mlp' }, 'm.json')).toThrow(
      new DatasetError({ file: 'm.json' }, 'not a shardtrain model: layers an mlp model needs its layers'),
    );
    const layers: MlpLayers = {
      v: 1,
      activation: 'relu',
      head: 'linear',
      dense: [
        { weights: [[1, 1]], bias: [0] },
        { weights: [[1]], bias: [0] },
      ],
    };
    expect(() => parseModelArtifact({ ...linear, layers }, 'm.json')).toThrow(
      'm.json: not a shardtrain model: layers a linear model has no layers',
    );
    // A nested path is joined with dots.
    expect(() => parseModelArtifact({ ...linear, metrics: { loss: 'x' } }, 'm.json')).toThrow(
      /^m\.json: not a shardtrain model: metrics\.loss /,
    );
    // An mlp whose shapes do not fit its features reports the shape problem.
    expect(() => parseModelArtifact({ ...linear, kind: 'mlp', features: ['a'], layers }, 'm.json')).toThrow(
      'm.json: not a shardtrain model: layers layers.dense.0.weights.0: expected 1 inputs',
    );
    expect(parseModelArtifact({ ...linear, kind: 'mlp', layers }, 'm.json').layers).toEqual(layers);
  });
});

describe('Function: mlpShapeProblem', () => {
  const layer = (outputs: number, inputs: number) => ({
    weights: Array.from({ length: outputs }, () => Array.from({ length: inputs }, () => 1)),
    bias: Array.from({ length: outputs }, () => 0),
  });
  const net = (head: MlpLayers['head'], ...dense: MlpLayers['dense']): MlpLayers => ({
    v: 1,
    activation: 'relu',
    head,
    dense,
  });

  it('is null when each layer takes the previous one’s outputs and the head its width', () => {
    expect(mlpShapeProblem(net('linear', layer(3, 2), layer(1, 3)), 2)).toBeNull();
    expect(mlpShapeProblem(net('logistic', layer(3, 2), layer(1, 3)), 2)).toBeNull();
    expect(mlpShapeProblem(net('softmax', layer(3, 2), layer(4, 3)), 2)).toBeNull();
  });

  it('names the layer and what disagrees', () => {
    expect(mlpShapeProblem(net('linear', { weights: [[1], [1]], bias: [0] }, layer(1, 2)), 1)).toBe(
      'layers.dense.0: 2 weight rows but 1 biases',
    );
    expect(mlpShapeProblem(net('linear', layer(2, 1), { weights: [], bias: [] }), 1)).toBe(
      'layers.dense.1: 0 weight rows but 0 biases',
    );
    expect(mlpShapeProblem(net('linear', layer(2, 1), { weights: [[1, 1], [1]], bias: [0, 0] }), 1)).toBe(
      'layers.dense.1.weights.1: expected 2 inputs',
    );
    expect(mlpShapeProblem(net('linear', layer(2, 3), layer(1, 2)), 2)).toBe(
      'layers.dense.0.weights.0: expected 2 inputs',
    );
    expect(mlpShapeProblem(net('linear', layer(3, 2), layer(2, 3)), 2)).toBe(
      'layers: a linear head has 1 output, got 2',
    );
    expect(mlpShapeProblem(net('logistic', layer(3, 2), layer(2, 3)), 2)).toBe(
      'layers: a logistic head has 1 output, got 2',
    );
  });
});

describe('Function: mlpLayersFromParams and mlpScores', () => {
  // One feature standardised by μ = 1, σ = 2 (z = (x − 1)/2), two hidden ReLU units, one output.
  const transform: FeatureTransform = { v: 1, features: ['x'], means: [1], stds: [2] };
  const spec: ModelSpec = { kind: 'mlp', numFeatures: 1, hidden: [2], head: 'linear' };
  // Per output unit: bias then weights. Hidden: h0 = 0.5 + 2z, h1 = −1 − 4z; output: 0.25 + h0 − 2h1.
  const params = [0.5, 2, -1, -4, 0.25, 1, -2];

  it('folds the standardisation into the first layer and ŷ = mean + std·out into the last', () => {
    // h0 = 0.5 + 2(x − 1)/2 = x − 0.5; h1 = −1 − 4(x − 1)/2 = −2x + 1.
    // Target mean 10, std 3: weights ×3 → (3, −6), bias 0.25·3 + 10 = 10.75.
    expect(mlpLayersFromParams(spec, params, transform, { mean: 10, std: 3 })).toEqual({
      v: 1,
      activation: 'relu',
      head: 'linear',
      dense: [
        { weights: [[1], [-2]], bias: [-0.5, 1] },
        { weights: [[3, -6]], bias: [10.75] },
      ],
    });
  });

  it('leaves the last layer in model units without a target scaling, and the head defaults to linear', () => {
    const { head: _, ...noHead } = spec;
    const layers = mlpLayersFromParams(noHead as ModelSpec, params, transform, null);
    expect(layers.head).toBe('linear');
    expect(layers.dense[1]).toEqual({ weights: [[1, -2]], bias: [0.25] });
  });

  it('scores raw rows through ReLU hidden units and a linear last layer', () => {
    const layers = mlpLayersFromParams(spec, params, transform, { mean: 10, std: 3 });
    // x = 3: h = (2.5, relu(−5) = 0) → 10.75 + 3·2.5 = 18.25.
    // x = −1: h = (relu(−1.5) = 0, 3) → 10.75 − 6·3 = −7.25 (the output is not clipped at 0).
    const { k, s } = mlpScores(layers, [3, -1], 2, 1);
    expect(k).toBe(1);
    expect(Array.from(s)).toEqual([18.25, -7.25]);
  });

  it('gives K outputs per row for a softmax head, row after row', () => {
    // 2 features → 1 hidden unit h = relu(a − b) → logits (h, −h, 1).
    const layers: MlpLayers = {
      v: 1,
      activation: 'relu',
      head: 'softmax',
      dense: [
        { weights: [[1, -1]], bias: [0] },
        { weights: [[1], [-1], [0]], bias: [0, 0, 1] },
      ],
    };
    // rows (5, 2): h = 3 → (3, −3, 1); (2, 5): h = 0 → (0, 0, 1)
    const { k, s } = mlpScores(layers, [5, 2, 2, 5], 2, 2);
    expect(k).toBe(3);
    expect(Array.from(s)).toEqual([3, -3, 1, 0, 0, 1]);
  });
});
