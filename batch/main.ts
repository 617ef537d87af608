/**
 * AWS Batch GPU job entry point: `node dist/batch/main.js <jobId>` (or SHARDTRAIN_JOB_ID).
 * Runs a job whose spec was written to the bucket (`jobs/<jobId>/spec.json`) with the same
 * engine as everywhere else — the in-process runner over all partitions, on the tfjs backend the
 * image provides (tfjs-node-gpu) — then registers the model and runs the pipeline gate.
 */
import { pathToFileURL } from 'node:url';
import { backendLabel, handlerConfigFromEnv, type RuntimeConfig, runtimeFor } from '../lib/app/index.js';
import { resolveDataset } from '../lib/engine/datasets/uploads.js';
import { runInProcess } from '../lib/engine/training/in-process-runner.js';
import { readJobSpec } from '../lib/engine/training/job-store.js';
import { asShardtrainError, classifyError } from '../lib/error-table.js';
import { ProtocolError } from '../lib/errors.js';

/** Runs job `jobId` with the runtime `config` describes (the entry point parses it from the environment). */
export async function runBatchJob(jobId: string, config: RuntimeConfig): Promise<string> {
  const runtime = await runtimeFor(config);
  const spec = await readJobSpec(
    runtime.store,
    jobId,
    () => new ProtocolError(`job ${jobId} has no spec in the bucket`),
  );
  const { manifest, manifestKey } = await resolveDataset(
    runtime.store,
    spec.dataset.name,
    spec.dataset.version,
  );
  const engine = runtime.engine();
  const started = Date.now();
  const { artifact } = await runInProcess(engine, spec, manifest, manifestKey, (r) => {
    if (r.round % 50 === 0)
      console.log(JSON.stringify({ level: 'info', jobId, round: r.round, loss: r.loss, lr: r.lr }));
  });
  console.log(
    JSON.stringify({
      level: 'info',
      message: 'job finished',
      jobId,
      steps: artifact.steps,
      backend: backendLabel(runtime.backend),
      wallMs: Date.now() - started,
    }),
  );
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
    .then(() => runBatchJob(jobId, handlerConfigFromEnv(process.env)))
    .catch((error: unknown) => {
      // Exit code from the one error table: 2 for a bad spec or setting, 1 for a failure.
      console.error(asShardtrainError(error)?.message ?? error);
      process.exit(classifyError(error).exitCode);
    });
}
