import { describe, expect, it, vi } from 'vitest';
import type { ModelArtifact } from '../../../lib/engine/serving/model-artifact.js';
import { ModelServer } from '../../../lib/engine/serving/model-server.js';
import { DatasetError } from '../../../lib/errors.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

function linear(intercept: number, slope: number): ModelArtifact {
  return {
    v: 1,
    kind: 'linear',
    target: 'y',
    features: ['x'],
    coefficients: { x: slope },
    intercept,
    params: [intercept, slope],
    transform: {},
    metrics: { loss: 0 },
    backend: 'typed-array',
    steps: 1,
  };
}

async function registryWith(...models: ModelArtifact[]): Promise<ModelRegistry> {
  const registry = new ModelRegistry({ store: new MemoryObjectStore() });
  for (const m of models) {
    await registry.createVersion('m', {
      artifact: m as unknown as Record<string, unknown>,
      metrics: { train: { loss: 0 } },
      lineage: {
        dataset: 'd',
        datasetVersion: 'v',
        jobSpec: {},
        backend: 'typed-array',
        packageVersion: '0',
        wallTimeMs: 0,
      },
    });
  }
  return registry;
}

describe('Class: ModelServer', () => {
  describe('Method: predict', () => {
    it('follows the alias when it moves', async () => {
      // Prepare: v1 ŷ = 1 + 2x, v2 ŷ = 0 + 3x; champion → 1.
      const registry = await registryWith(linear(1, 2), linear(0, 3));
      await registry.setAlias('m', 'champion', 1, { reason: 'first' });
      const server = new ModelServer(registry);
      // Act + Assess: at x = 2, v1 gives 1 + 4 = 5.
      expect(await server.predict('m@champion', [{ x: 2 }])).toEqual({
        model: 'm@1',
        predictions: [{ value: 5 }],
      });
      await registry.setAlias('m', 'champion', 2, { reason: 'better' });
      // v2 gives 0 + 6 = 6 on the very next request.
      expect(await server.predict('m@champion', [{ x: '2' }])).toEqual({
        model: 'm@2',
        predictions: [{ value: 6 }],
      });
      expect((await server.predict('m@1', [{ x: 0 }])).predictions).toEqual([{ value: 1 }]);
    });

    it('puts each row’s features in the model’s order, whatever the keys’ order in the row', async () => {
      // ŷ = 0.5 + 1·a + 10·b + 100·c: each digit of the answer shows which cell went where.
      const model: ModelArtifact = {
        ...linear(0.5, 1),
        features: ['a', 'b', 'c'],
        coefficients: { a: 1, b: 10, c: 100 },
        params: [0.5, 1, 10, 100],
      };
      const server = new ModelServer(await registryWith(model));
      const { predictions } = await server.predict('m', [
        { a: 1, b: 2, c: 3 }, // 0.5 + 1 + 20 + 300
        { a: 4, b: 5, c: 6 }, // 0.5 + 4 + 50 + 600
        { c: 9, a: 7, b: '8' }, // 0.5 + 7 + 80 + 900
      ]);
      expect(predictions).toEqual([{ value: 321.5 }, { value: 654.5 }, { value: 987.5 }]);
    });

    it('names the row and column of a bad cell', async () => {
      const server = new ModelServer(await registryWith(linear(0, 1)));
      await expect(server.predict('m', [{ x: 1 }, { x: 'abc' }])).rejects.toThrow(DatasetError);
      await expect(server.predict('m', [{ x: 1 }, { x: 'abc' }])).rejects.toThrow(/line 2, column "x"/);
      await expect(server.predict('m', [{ y: 1 }])).rejects.toThrow(/line 1, column "x": missing feature/);
      await expect(server.predict('m', [{ x: Number.POSITIVE_INFINITY }])).rejects.toThrow(
        /not a finite number/,
      );
    });
  });
});

/** A model over one feature x with the given kind, weight and classes. */
function classifier(over: Partial<ModelArtifact>): ModelArtifact {
  return { ...linear(0, 1), ...over } as ModelArtifact;
}

describe('Class: ModelServer, answers', () => {
  it('logistic: the label of the larger of 1 − p and p, the first on a tie', async () => {
    // z = x: at x = ln 3, p = 1/(1 + 1/3) = 0.75; at x = 0, p = ½ (a tie: the first class).
    const server = new ModelServer(
      await registryWith(classifier({ kind: 'logistic', classes: ['no', 'yes'] })),
    );
    const { model, predictions } = await server.predict('m@1', [{ x: Math.log(3) }, { x: 0 }]);
    expect(model).toBe('m@1');
    const [a, b] = predictions as { label: string; probabilities: Record<string, number> }[];
    expect(a!.label).toBe('yes');
    expect(a!.probabilities.no).toBeCloseTo(0.25, 14);
    expect(a!.probabilities.yes).toBeCloseTo(0.75, 14);
    expect(b).toEqual({ label: 'no', probabilities: { no: 0.5, yes: 0.5 } });
  });

  it('softmax: the label of the most probable class, row by row', async () => {
    // scores p: x, q: 0, r: −x. x = ln 2 → e^s = 2, 1, ½ → 4/7, 2/7, 1/7; x = −ln 2 → 1/7, 2/7, 4/7.
    const m = classifier({
      kind: 'softmax',
      classes: ['p', 'q', 'r'],
      coefficients: { p: { x: 1 }, q: { x: 0 }, r: { x: -1 } },
      intercept: { p: 0, q: 0, r: 0 },
    });
    const server = new ModelServer(await registryWith(m));
    const { predictions } = await server.predict('m', [{ x: Math.LN2 }, { x: -Math.LN2 }]);
    const [a, b] = predictions as { label: string; probabilities: Record<string, number> }[];
    expect(a!.label).toBe('p');
    expect(b!.label).toBe('r');
    const close = (got: Record<string, number>, want: Record<string, number>) => {
      expect(Object.keys(got)).toEqual(Object.keys(want));
      for (const c of Object.keys(want)) expect(got[c]).toBeCloseTo(want[c]!, 14);
    };
    close(a!.probabilities, { p: 4 / 7, q: 2 / 7, r: 1 / 7 });
    close(b!.probabilities, { p: 1 / 7, q: 2 / 7, r: 4 / 7 });
  });

  it('a classifier without class names answers the class index and no probabilities', async () => {
    const server = new ModelServer(await registryWith(classifier({ kind: 'logistic' })));
    expect((await server.predict('m', [{ x: 2 }])).predictions).toEqual([{ label: '1', probabilities: {} }]);
  });

  it('loads a version’s model once, however many requests use it', async () => {
    const registry = await registryWith(linear(1, 2));
    const reads = vi.spyOn(registry, 'getVersion');
    const server = new ModelServer(registry);
    // ŷ = 1 + 2x: x = 1 → 3, x = 2 → 5
    expect((await server.predict('m@1', [{ x: 1 }])).predictions).toEqual([{ value: 3 }]);
    expect((await server.predict('m', [{ x: 2 }])).predictions).toEqual([{ value: 5 }]);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it.each([
    [3, 'request line 2: a row must be an object of feature values'],
    [null, 'request line 2: a row must be an object of feature values'],
    [[1], 'request line 2: a row must be an object of feature values'],
    [{ x: '0x10' }, 'request line 2, column "x": "0x10" is not a finite number'],
    [{ x: true }, 'request line 2, column "x": "true" is not a finite number'],
    [{ x: { v: 1 } }, 'request line 2, column "x": "{\\"v\\":1}" is not a finite number'],
    [{ x: Number.NaN }, 'request line 2, column "x": "null" is not a finite number'],
    [{ y: 1 }, 'request line 2, column "x": missing feature'],
  ])('refuses the row %j with the message %s', async (bad, message) => {
    const server = new ModelServer(await registryWith(linear(0, 1)));
    const error = await server.predict('m', [{ x: ' 1.5 ' }, bad as Record<string, unknown>]).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe(message);
  });

  it('reads a feature named like an Object property from the row’s own properties only', async () => {
    // "constructor" is missing from {} even though ({}).constructor exists.
    const m = { ...linear(0, 1), features: ['constructor'], coefficients: { constructor: 1 } };
    const server = new ModelServer(await registryWith(m));
    await expect(server.predict('m', [{}])).rejects.toThrow(
      'request line 1, column "constructor": missing feature',
    );
    expect((await server.predict('m', [{ constructor: 4 }])).predictions).toEqual([{ value: 4 }]);
  });

  it('refuses a prediction that overflows, naming the row', async () => {
    // ŷ = 1e300·x: x = 1 is fine, x = 1e10 gives 1e310 = ∞.
    const server = new ModelServer(await registryWith(linear(0, 1e300)));
    await expect(server.predict('m', [{ x: 1 }, { x: 1e10 }])).rejects.toThrow(
      /^request line 2: the prediction is not a finite number/,
    );
  });
});
