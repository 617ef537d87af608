import { existsSync, readFileSync, statSync } from 'node:fs';
import { type ModelArtifact, parseModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { findModel } from '../../lib/engine/serving/model-ref.js';
import { DatasetError, ShardtrainError, UsageError } from '../../lib/errors.js';
import { excerpt } from '../../lib/validation/text.js';
import { fileError } from '../home.js';
import type { Session } from '../session.js';

/**
 * Finds a model by what the user typed: a path to a model JSON file (a bare model or a registry
 * version document), `name@version`, `name@alias`, a model name (its latest version), or a job id.
 */
export async function loadModel(
  session: Session,
  ref: string,
): Promise<{ artifact: ModelArtifact; label: string }> {
  if (existsSync(ref)) return { artifact: readModelFile(ref), label: ref };
  return findModel(session.home.store, session.home.registry, ref);
}

/** Largest model file read (a model is a few KB per feature; anything far larger is not one). */
const MAX_MODEL_FILE = 64 * 1024 * 1024;

/** A model JSON file (a bare model or a registry version document); errors never quote its bytes. */
function readModelFile(file: string): ModelArtifact {
  let text: string;
  try {
    const info = statSync(file);
    if (info.isDirectory()) throw new UsageError(`--model ${excerpt(file)} is a folder, not a model file`);
    if (info.size > MAX_MODEL_FILE)
      throw new DatasetError({ file }, `not a shardtrain model: ${info.size} bytes is too large for one`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ShardtrainError) throw error;
    throw fileError(file, error);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DatasetError({ file }, 'not a shardtrain model: the file is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new DatasetError({ file }, 'not a shardtrain model: the file is not a JSON object');
  const doc = raw as Record<string, unknown>;
  return parseModelArtifact(Object.hasOwn(doc, 'artifact') ? doc.artifact : doc, file);
}
