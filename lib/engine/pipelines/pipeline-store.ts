import { readDocument, requireDocument } from '../../documents.js';
import { NotFoundError } from '../../errors.js';
import { keys } from '../keys.js';
import {
  type Pipeline,
  type PipelineDecision,
  type PipelineDeps,
  pipelineDecisionSchema,
  pipelineSchema,
} from './schema.js';

export async function savePipeline(deps: PipelineDeps, pipeline: Pipeline): Promise<void> {
  await deps.engine.store.put(
    keys.pipeline.definition(pipeline.name),
    JSON.stringify(pipelineSchema.parse(pipeline)),
  );
}

export async function loadPipeline(deps: PipelineReadDeps, name: string): Promise<Pipeline> {
  return requireDocument(
    deps.engine.store,
    keys.pipeline.definition(name),
    pipelineSchema,
    () => new NotFoundError(`no pipeline "${name}" (see: shardtrain pipelines list)`),
  );
}

/** What the readers below use of the pipelines' deps: the store. */
export type PipelineReadDeps = { readonly engine: Pick<PipelineDeps['engine'], 'store'> };

/** Every stored pipeline. */
export async function listPipelines(deps: PipelineReadDeps): Promise<Pipeline[]> {
  const infos = (await deps.engine.store.list(keys.pipelinesPrefix)).filter((i) =>
    i.key.endsWith('/definition.json'),
  );
  const out: Pipeline[] = [];
  for (const i of infos) {
    const p = await readDocument(deps.engine.store, i.key, pipelineSchema);
    if (p !== undefined) out.push(p);
  }
  return out;
}

/** Decisions recorded for a pipeline, oldest first. */
export async function pipelineRuns(deps: PipelineReadDeps, name: string): Promise<PipelineDecision[]> {
  const out: PipelineDecision[] = [];
  for (const i of await deps.engine.store.list(keys.pipeline.runsPrefix(name))) {
    const d = await readDocument(deps.engine.store, i.key, pipelineDecisionSchema);
    if (d !== undefined) out.push(d);
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
