/**
 * What the pipeline unit tests (drift on upload, runs, the promotion gate) build alike: a pipeline
 * definition, the deps of a pipeline on one store with a fixed clock, and registered model
 * versions of the pipeline's model `m` (one made champion). Each test keeps its own dataset.
 */
import type { Pipeline, PipelineDeps } from '../../lib/engine/pipelines/schema.js';
import { TypedArrayKernel } from '../../lib/optim/index.js';
import type { ObjectStore, ShardtrainEvent } from '../../lib/ports.js';
import { ModelRegistry } from '../../lib/registry/index.js';
import { recordingOutbox } from './engine-fixtures.js';

/**
 * Pipeline `p`: linear `y` on dataset `d` into model `m`, daily, created at `at`, with the
 * schema's defaults (1 worker, 20 % held out, absolute gate of margin 0, no training on upload
 * or drift, drift threshold 0.2); `over` replaces fields.
 */
export const testPipeline = (at: Date, over: Partial<Pipeline> = {}): Pipeline => ({
  v: 1,
  name: 'p',
  dataset: 'd',
  target: 'y',
  model: 'linear',
  modelName: 'm',
  options: {},
  workers: 1,
  holdoutFraction: 0.2,
  schedule: 'rate(1 day)',
  gate: { margin: 0, mode: 'absolute' },
  trainOnUpload: false,
  retrainOnDrift: false,
  driftThreshold: 0.2,
  createdAt: at.toISOString(),
  ...over,
});

/**
 * The deps of a pipeline on `store` whose clock (and its registry's) stands at `at`: an engine
 * that sends work to a recording `outbox`, and `events` that keeps what was published.
 */
export function pipelineDeps(store: ObjectStore, at: Date) {
  const registry = new ModelRegistry({ store, now: () => at });
  const events: ShardtrainEvent[] = [];
  const outbox = recordingOutbox();
  const deps: PipelineDeps = {
    engine: { store, outbox, kernel: new TypedArrayKernel(), backend: 'test' },
    registry,
    events: { publish: async (e: ShardtrainEvent) => void events.push(e) },
    now: () => at,
  };
  return { deps, registry, events, outbox };
}

/** Registers a version of model `m` with `artifact`, trained on version `datasetVersion` of `d`. */
export const registerModel = (registry: ModelRegistry, datasetVersion: string, artifact: object) =>
  registry.createVersion('m', {
    artifact: artifact as Record<string, unknown>,
    metrics: { train: {} },
    lineage: {
      dataset: 'd',
      datasetVersion,
      jobSpec: {},
      backend: 'typed-array',
      packageVersion: '0',
      wallTimeMs: 0,
    },
  });

/** Registers a version of `m` (see {@link registerModel}) and makes it the champion. */
export async function seedChampion(
  registry: ModelRegistry,
  datasetVersion: string,
  artifact: object,
): Promise<void> {
  const v = await registerModel(registry, datasetVersion, artifact);
  await registry.setAlias('m', 'champion', v.version, { reason: 'seed' });
}
