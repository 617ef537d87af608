import { readDocument } from '../../documents.js';
import { NotFoundError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import type { ModelRegistry } from '../../registry/index.js';
import { excerpt } from '../../validation/text.js';
import { keys } from '../keys.js';
import { type ModelArtifact, parseModelArtifact, storedModelDocument } from './model-artifact.js';

/**
 * Finds a stored model by what a user typed: a job id (the model that job saved), or a registry
 * reference `name`, `name@version` or `name@alias` (resolved by `ModelRegistry.resolveVersion`).
 * `label` says which one it was (`job <id>` or `name@version`).
 */
export async function findModel(
  store: ObjectStore,
  registry: ModelRegistry,
  ref: string,
): Promise<{ artifact: ModelArtifact; label: string }> {
  const job = await readDocument(store, keys.job.model(ref), storedModelDocument);
  if (job !== undefined) return { artifact: job, label: `job ${ref}` };
  try {
    const version = await registry.resolve(ref);
    return {
      artifact: parseModelArtifact(version.artifact, ref),
      label: `${version.name}@${version.version}`,
    };
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `no model ${excerpt(ref)}: not a file, a job id, or a registered model (see: shardtrain models list)`,
      );
    }
    throw error;
  }
}
