import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import type { ModelArtifact } from '../../../lib/engine/serving/model-artifact.js';
import { findModel } from '../../../lib/engine/serving/model-ref.js';
import { DatasetError, NotFoundError, UsageError } from '../../../lib/errors.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

const model = (slope: number): ModelArtifact => ({
  v: 1,
  kind: 'linear',
  target: 'y',
  features: ['x'],
  coefficients: { x: slope },
  intercept: 0,
  params: [0, slope],
  transform: {},
  metrics: {},
  backend: 'typed-array',
  steps: 1,
});

async function setup() {
  const store = new MemoryObjectStore();
  const registry = new ModelRegistry({ store });
  for (const artifact of [model(1), model(2), { not: 'a model' }]) {
    await registry.createVersion('m', {
      artifact: artifact as unknown as Record<string, unknown>,
      metrics: { train: {} },
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
  await store.put(keys.job.model('job-1'), JSON.stringify(model(7)));
  return { store, registry };
}

describe('Function: findModel', () => {
  it('finds a job’s model by the job id', async () => {
    const { store, registry } = await setup();
    expect(await findModel(store, registry, 'job-1')).toEqual({ artifact: model(7), label: 'job job-1' });
  });

  it('finds a registered model by name@version, and a bare name as its newest version', async () => {
    const { store, registry } = await setup();
    expect(await findModel(store, registry, 'm@2')).toEqual({ artifact: model(2), label: 'm@2' });
    await registry.setAlias('m', 'champion', 1, { reason: 'test' });
    expect(await findModel(store, registry, 'm@champion')).toEqual({ artifact: model(1), label: 'm@1' });
  });

  it('refuses a registered artifact that is not a model, naming the reference', async () => {
    const { store, registry } = await setup();
    const error = await findModel(store, registry, 'm').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/^m: not a shardtrain model: /);
  });

  it('says what a reference can be when nothing matches', async () => {
    const { store, registry } = await setup();
    for (const ref of ['nope', 'm@9', 'm@staging']) {
      const error = await findModel(store, registry, ref).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toBe(
        `no model "${ref}": not a file, a job id, or a registered model (see: shardtrain models list)`,
      );
    }
  });

  it('passes other errors through unchanged', async () => {
    const { store } = await setup();
    const refused = new UsageError('malformed');
    const registry = {
      resolve: async () => {
        throw refused;
      },
    } as unknown as ModelRegistry;
    await expect(findModel(store, registry, 'x')).rejects.toBe(refused);
  });
});
