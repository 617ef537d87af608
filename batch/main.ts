/**
 * AWS Batch GPU job entry point: `node dist/batch/main.js <jobId>` (or SHARDTRAIN_JOB_ID).
 * Runs a job whose spec was written to the bucket (`jobs/<jobId>/spec.json`) with the same
 * engine as everywhere else — the in-process runner over all partitions, on the tfjs backend the
 * image provides (tfjs-node-gpu) — then registers the model and runs the pipeline gate.
 */
import { pathToFileURL } from 'node:url';
import { backendLabel, getRuntime } from '../functions/shared/runtime.js';
import { resolveDataset } from '../lib/engine/datasets/uploads.js';
import { runInProcess } from '../lib/engine/training/in-process-runner.js';
import { readJobSpec } from '../lib/engine/training/job-store.js';
import { ProtocolError, ShardtrainError } from '../lib/errors.js';

export async function runBatchJob(jobId: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const runtime = await getRuntime(env);
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
  runBatchJob(jobId).catch((error: unknown) => {
    console.error(error instanceof ShardtrainError ? error.message : error);
    process.exit(error instanceof ShardtrainError ? 2 : 1);
  });
}
