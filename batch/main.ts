/**
 * AWS Batch GPU job entry point: `node dist/batch/main.js <jobId>` (or SHARDTRAIN_JOB_ID).
 * Runs a job whose spec was written to the store (`SHARDTRAIN_SPEC_KEY`, default
 * `jobs/<jobId>/spec.json`) with the same engine as everywhere else — the checkpointed in-process
 * runner over all partitions — on the tfjs kernel when a GPU is visible and the deterministic CPU
 * kernel otherwise, then registers the model and runs the pipeline gate. Locally
 * (`train --placement batch`) the local job launcher runs this file in a child process with
 * SHARDTRAIN_CLOUD=local.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { backendLabel, getRuntime } from '../functions/shared/runtime.js';
import { resolveDataset } from '../lib/engine/datasets/uploads.js';
import { keys } from '../lib/engine/keys.js';
import { runCheckpointed } from '../lib/engine/training/checkpointed-runner.js';
import { jobSpecSchema } from '../lib/engine/training/job-spec.js';
import { readJson } from '../lib/engine/training/job-store.js';
import { ProtocolError, ShardtrainError, UsageError } from '../lib/errors.js';
import { selectJobKernel } from './job-kernel.js';

const count = z.coerce.number().int().positive();
/** The job's configuration from its environment (container overrides on Batch). */
export const batchJobEnvSchema = z.object({
  SHARDTRAIN_JOB_ID: z.string().min(1).optional(),
  SHARDTRAIN_SPEC_KEY: z.string().min(1).optional(),
  /** Save the state every this many rounds (default 50) … */
  SHARDTRAIN_CHECKPOINT_ROUNDS: count.optional(),
  /** … or every this many seconds (default 60), whichever comes first. */
  SHARDTRAIN_CHECKPOINT_SECONDS: z.coerce.number().positive().optional(),
});

/** One JSON line on stdout (CloudWatch Logs on Batch, the launch log locally). */
function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level: 'info', ...fields }));
}

/** Runs (or resumes) the job and returns its id. */
export async function runBatchJob(jobId: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const parsed = batchJobEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`environment ${String(issue?.path[0])}: ${issue?.message ?? 'not valid'}`);
  }
  const config = parsed.data;
  const runtime = await getRuntime(env);
  const specKey = config.SHARDTRAIN_SPEC_KEY ?? keys.job.spec(jobId);
  const raw = await readJson(runtime.store, specKey);
  if (raw === undefined) throw new ProtocolError(`job ${jobId} has no spec at ${specKey}`);
  const spec = jobSpecSchema.parse(raw);
  if (spec.jobId !== jobId) throw new ProtocolError(`${specKey} is the spec of ${spec.jobId}, not ${jobId}`);
  const { manifest, manifestKey } = await resolveDataset(
    runtime.store,
    spec.dataset.name,
    spec.dataset.version,
  );
  const kernel = await selectJobKernel(env);
  const backend = backendLabel(kernel.selection);
  log({
    jobId,
    message: 'kernel',
    kernel: kernel.selection.kernel.name,
    backend,
    mode: kernel.mode,
    gpu: kernel.gpu.visible,
    why: kernel.why,
  });
  const started = Date.now();
  const run = await runCheckpointed(
    { ...runtime.engine(), kernel: kernel.selection.kernel, backend },
    spec,
    manifest,
    manifestKey,
    {
      checkpoint: {
        ...(config.SHARDTRAIN_CHECKPOINT_ROUNDS !== undefined
          ? { everyRounds: config.SHARDTRAIN_CHECKPOINT_ROUNDS }
          : {}),
        ...(config.SHARDTRAIN_CHECKPOINT_SECONDS !== undefined
          ? { everySeconds: config.SHARDTRAIN_CHECKPOINT_SECONDS }
          : {}),
      },
      onRound: (s) => {
        if (s.round % 50 === 0 && s.last !== null)
          log({ jobId, round: s.round, loss: s.last.loss, lr: s.last.lr });
      },
      onCheckpoint: (round) => log({ jobId, message: 'checkpoint', round }),
    },
  );
  log({
    jobId,
    message: 'job finished',
    steps: run.artifact.steps,
    resumedFrom: run.resumedFrom,
    checkpoints: run.checkpoints,
    kernel: kernel.selection.kernel.name,
    backend,
    wallMs: Date.now() - started,
  });
  return jobId;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const jobId = process.argv[2] ?? process.env.SHARDTRAIN_JOB_ID;
  if (jobId === undefined) {
    console.error('usage: node dist/batch/main.js <jobId>  (or set SHARDTRAIN_JOB_ID)');
    process.exit(2);
  }
  runBatchJob(jobId)
    .then(() => process.exit(0)) // the wasm kernel's worker threads would keep the process alive
    .catch((error: unknown) => {
      console.error(error instanceof ShardtrainError ? error.message : error);
      process.exit(error instanceof ShardtrainError ? 2 : 1);
    });
}
