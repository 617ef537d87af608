import type { Command } from 'commander';
import { z } from 'zod';
import { backendLabel } from '../../lib/app/index.js';
import { readJobSpec } from '../../lib/engine/training/job-store.js';
import { resumeJob } from '../../lib/engine/training/resume.js';
import { NotFoundError } from '../../lib/errors.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { printTrainResult, type TrainResult, waitForJob } from './job-progress.js';
import { versionOfJob } from './train.js';

export const resumeFlagsSchema = z.object({ json: z.boolean().default(false) });

/**
 * `shardtrain resume <jobId>`: finishes a job whose process was killed, from what is stored: the
 * coordinator re-sends the round it was in, the local cloud runs it to the end.
 */
export async function resume(session: Session, args: { jobId: string; json: boolean }, io: Io) {
  const { jobId } = args;
  const spec = await readJobSpec(
    session.home.store,
    jobId,
    () => new NotFoundError(`no job "${jobId}" (see: shardtrain jobs)`),
  );
  const started = Date.now();
  const runtime = await session.runtime();
  await resumeJob(runtime.engine(), jobId);
  const artifact = await waitForJob(session, jobId, io, !args.json);
  const version = await versionOfJob(session.home.registry, spec.modelName, jobId);
  const result: TrainResult = {
    modelId: version === undefined ? jobId : `${spec.modelName}@${version}`,
    jobId,
    artifact,
    backend: backendLabel(runtime.backend),
    runner: 'local',
    wallMs: Date.now() - started,
  };
  printTrainResult(io, result, args.json);
  return result;
}

/** Declares `shardtrain resume <jobId>`. */
export function registerResume(program: Command, { session, io }: CommandContext): void {
  program
    .command('resume <jobId>')
    .description('finish a job whose process was killed, from what is on disk')
    .option('--json', 'print one JSON object, as train does')
    .action(async (jobId: string, _o: unknown, cmd: Command) => {
      await resume(session(cmd), { jobId, ...parseOptions(resumeFlagsSchema, cmd) }, io);
    });
}
