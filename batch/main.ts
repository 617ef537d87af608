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
import { backendLabel, handlerConfigFromEnv, type RuntimeConfig, runtimeFor } from '../lib/app/index.js';
import { readDocument } from '../lib/documents.js';
import { resolveDataset } from '../lib/engine/datasets/uploads.js';
import { keys } from '../lib/engine/keys.js';
import { runCheckpointed } from '../lib/engine/training/checkpointed-runner.js';
import { jobSpecSchema } from '../lib/engine/training/job-spec.js';
import { asShardtrainError, classifyError } from '../lib/error-table.js';
import { ConfigError, ProtocolError } from '../lib/errors.js';
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

/** The job's own settings, parsed from its environment by the entry point. */
export type BatchJobSettings = z.infer<typeof batchJobEnvSchema> & {
  /** The environment the GPU detection reads (SHARDTRAIN_GPU, NVIDIA_VISIBLE_DEVICES, kernel choice). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** Parses the job's settings from its environment (the entry point's only read of it). */
export function batchSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): BatchJobSettings {
  const parsed = batchJobEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'not valid');
  }
  return { ...parsed.data, env };
}

/** Runs (or resumes) job `jobId` with the runtime `config` describes and returns its id. */
export async function runBatchJob(
  jobId: string,
  runtimeConfig: RuntimeConfig,
  settings: BatchJobSettings = {},
): Promise<string> {
  const config = settings;
  const env = settings.env ?? {};
  const runtime = await runtimeFor(runtimeConfig);
  const specKey = config.SHARDTRAIN_SPEC_KEY ?? keys.job.spec(jobId);
  const spec = await readDocument(runtime.store, specKey, jobSpecSchema);
  if (spec === undefined) throw new ProtocolError(`job ${jobId} has no spec at ${specKey}`);
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
  // The entry point's configuration: the job's environment, parsed and validated once.
  Promise.resolve()
    .then(() => runBatchJob(jobId, handlerConfigFromEnv(process.env), batchSettingsFromEnv(process.env)))
    .then(() => process.exit(0)) // the wasm kernel's worker threads would keep the process alive
    .catch((error: unknown) => {
      // Exit code from the one error table: 2 for a bad spec or setting, 1 for a failure.
      console.error(asShardtrainError(error)?.message ?? error);
      process.exit(classifyError(error).exitCode);
    });
}
