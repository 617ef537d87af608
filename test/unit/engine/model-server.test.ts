import { describe, expect, it } from 'vitest';
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
