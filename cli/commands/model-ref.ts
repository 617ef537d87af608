import { existsSync, readFileSync } from 'node:fs';
import { readJson } from '../../lib/engine/job-store.js';
import { keys } from '../../lib/engine/keys.js';
import { type ModelArtifact, parseModelArtifact } from '../../lib/engine/model-artifact.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Session } from '../session.js';

/**
 * Finds a model by what the user typed: a path to a model JSON file (a bare model or a registry
 * version document), `name@version`, `name@alias`, a model name (its latest version), or a job id.
 */
export async function loadModel(
  session: Session,
  ref: string,
): Promise<{ artifact: ModelArtifact; label: string }> {
  if (existsSync(ref)) {
    const raw = JSON.parse(readFileSync(ref, 'utf8')) as Record<string, unknown>;
    return { artifact: parseModelArtifact('artifact' in raw ? raw.artifact : raw, ref), label: ref };
  }
  const { registry, store } = session.home;
  const job = await readJson(store, keys.job.model(ref));
  if (job !== undefined) return { artifact: parseModelArtifact(job, ref), label: `job ${ref}` };
  try {
    const version = await registry.resolve(ref);
    return {
      artifact: parseModelArtifact(version.artifact, ref),
      label: `${version.name}@${version.version}`,
    };
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `no model "${ref}": not a file, a job id, or a registered model (see: shardtrain models list)`,
      );
    }
    throw error;
  }
}
