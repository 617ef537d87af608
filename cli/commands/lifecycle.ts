import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import {
  listPipelines,
  loadPipeline,
  type Pipeline,
  type PipelineDecision,
  pipelineDecisionSchema,
  pipelineRuns,
  pipelineSchema,
  runPipeline,
  savePipeline,
} from '../../lib/engine/pipelines/index.js';
import { NotFoundError, UsageError } from '../../lib/errors.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { waitForJob } from './job-progress.js';

/** `models history <name> [--alias a] [--at time]`: every alias move, or the aliases at a time. */
export async function modelsHistory(
  session: Session,
  name: string,
  o: { alias?: string; at?: string; json: boolean },
  io: Io,
) {
  const { registry } = session.home;
  if (o.at !== undefined) {
    const at = new Date(o.at);
    if (Number.isNaN(at.getTime()))
      throw new UsageError(`--at "${o.at}" is not a time (use ISO 8601, e.g. 2026-11-24T09:00:00Z)`);
    const aliases =
      o.alias !== undefined
        ? { [o.alias]: (await registry.aliasAt(name, o.alias, at)) ?? null }
        : await registry.aliasesAt(name, at);
    const out = { name, at: at.toISOString(), aliases };
    if (o.json) io.out(JSON.stringify(out));
    else
      io.out(
        `${name} at ${out.at}: ${
          Object.entries(aliases)
            .map(([a, v]) => `${a}→${v ?? '-'}`)
            .join(' ') || 'no aliases'
        }`,
      );
    return out;
  }
  const moves = await registry.history(name, o.alias !== undefined ? { alias: o.alias } : {});
  if (o.json) io.out(JSON.stringify(moves));
  else for (const m of moves) io.out(`${m.at}  ${m.alias}: ${m.from ?? '-'} → ${m.to ?? '-'}  ${m.reason}`);
  return moves;
}

/** `models promote <name> <version> [--alias champion] [--reason ...]`. */
export async function modelsPromote(
  session: Session,
  name: string,
  version: number,
  o: { alias: string; reason?: string; json: boolean },
  io: Io,
) {
  await session.home.registry.getVersion(name, version);
  const result = await session.home.registry.setAlias(name, o.alias, version, {
    reason: o.reason ?? `promoted by hand to ${name}@${version}`,
    actor: 'cli',
  });
  if (o.json) io.out(JSON.stringify(result));
  else
    io.out(
      result.moved ? `${name}@${o.alias} → ${version}` : `${name}@${o.alias} already points at ${version}`,
    );
  return result;
}

/** `models rollback <name> [--alias champion]`: the alias goes back to where it was before its last move. */
export async function modelsRollback(
  session: Session,
  name: string,
  o: { alias: string; reason?: string; json: boolean },
  io: Io,
) {
  const result = await session.home.registry.rollback(name, o.alias, {
    reason: o.reason ?? 'rollback by hand',
    actor: 'cli',
  });
  if (o.json) io.out(JSON.stringify(result));
  else if (result.moved)
    io.out(`${name}@${o.alias}: ${result.move.from ?? '-'} → ${result.move.to ?? '-'} (rolled back)`);
  return result;
}

/** `pipelines create`: saves a training definition with its schedule and gate. */
export async function pipelinesCreate(
  session: Session,
  input: Omit<Pipeline, 'v' | 'createdAt'>,
  json: boolean,
  io: Io,
) {
  const parsed = pipelineSchema.safeParse({ ...input, v: 1, createdAt: new Date().toISOString() });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`pipeline: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const runtime = await session.runtime();
  await savePipeline(runtime.pipelines(), parsed.data);
  if (json) io.out(JSON.stringify(parsed.data));
  else
    io.out(
      `pipeline ${parsed.data.name}: ${parsed.data.model} on ${parsed.data.dataset}, schedule ${parsed.data.schedule}`,
    );
  return parsed.data;
}

export async function pipelinesList(session: Session, json: boolean, io: Io) {
  // No pipeline stored: nothing to list, and no local cloud to start for it.
  const stored = (await session.home.store.list(keys.pipelinesPrefix)).length > 0;
  const all = stored ? await listPipelines((await session.runtime()).pipelines()) : [];
  if (json) io.out(JSON.stringify(all));
  else
    for (const p of all)
      io.out(`${p.name.padEnd(20)} ${p.model} on ${p.dataset} → ${p.modelName}, ${p.schedule}`);
  return all;
}

export async function pipelinesShow(session: Session, name: string, json: boolean, io: Io) {
  await assertPipelineStored(session, name);
  const runtime = await session.runtime();
  const deps = runtime.pipelines();
  const out = { pipeline: await loadPipeline(deps, name), runs: await pipelineRuns(deps, name) };
  if (json) io.out(JSON.stringify(out));
  else {
    io.out(`${name}: ${out.pipeline.model} on ${out.pipeline.dataset}, schedule ${out.pipeline.schedule}`);
    for (const r of out.runs)
      io.out(
        `  ${r.at} ${r.kind === 'gate' ? (r.promote ? 'promoted' : 'kept champion') : 'skipped'}: ${r.reason}`,
      );
  }
  return out;
}

/** A missing pipeline is reported from the store, before the local cloud is started for it. */
async function assertPipelineStored(session: Session, name: string): Promise<void> {
  if ((await session.home.store.head(keys.pipeline.definition(name))) === undefined)
    throw new NotFoundError(`no pipeline "${name}" (see: shardtrain pipelines list)`);
}

/**
 * `pipelines run <name>`: one run now (what the schedule does), through the local cloud; waits
 * for the job and prints the gate's decision.
 */
export async function pipelinesRun(
  session: Session,
  name: string,
  o: { force: boolean; json: boolean },
  io: Io,
) {
  await assertPipelineStored(session, name);
  const runtime = await session.runtime();
  const run = await runPipeline(runtime.pipelines(), name, { force: o.force });
  let out: { pipeline: string; decision: PipelineDecision | { kind: 'skipped'; reason: string } };
  if (run.kind === 'skipped') {
    out = { pipeline: name, decision: { kind: 'skipped', reason: run.reason } };
  } else {
    if (!o.json) io.err(`placement: ${run.placement.placement}: ${run.placement.reason}`);
    // A Batch launch is followed too, so a job that dies there is reported, not waited on forever.
    const launch =
      run.launchId !== undefined && runtime.launcher !== undefined
        ? { launcher: runtime.launcher, launchId: run.launchId }
        : undefined;
    await waitForJob(session, run.jobId, io, !o.json, launch);
    const decision = await readDocument(
      session.home.store,
      keys.pipeline.run(name, run.jobId),
      pipelineDecisionSchema,
    );
    if (decision === undefined)
      throw new UsageError(`pipeline ${name}: job ${run.jobId} finished without a decision`);
    out = { pipeline: name, decision };
  }
  if (o.json) io.out(JSON.stringify(out));
  else
    io.out(
      `${name}: ${out.decision.kind === 'gate' ? (out.decision.promote ? 'promoted' : 'kept champion') : 'skipped'}: ${out.decision.reason}`,
    );
  return out;
}
