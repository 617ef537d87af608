import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JobLauncher } from '../ports.js';
import type { AwsRuntimeConfig, Env, LocalRuntimeConfig, RuntimeConfig } from './config.js';

/**
 * The compiled Batch entry point, the file the image runs (`dist/batch/main.js`): next to this
 * module in `dist/`, or under `dist/` when running from the TypeScript sources (tests). Undefined
 * when there is no build.
 */
export function batchEntryPoint(): string | undefined {
  for (const rel of ['../../batch/main.js', '../../dist/batch/main.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The environment of the Batch entry point run locally: what `handlerConfigFromEnv` reads back
 * into `config` (home, visibility timeout, kernel choice, version). Injected faults stay out:
 * the local child has no retry strategy to recover from them.
 */
export function localJobEnv(config: LocalRuntimeConfig): Env {
  const b = config.backend;
  return {
    SHARDTRAIN_CLOUD: 'local',
    SHARDTRAIN_HOME: config.home,
    ...(config.visibilityTimeoutSeconds !== undefined
      ? { SHARDTRAIN_VISIBILITY_TIMEOUT: String(config.visibilityTimeoutSeconds) }
      : {}),
    ...(b.backend !== undefined ? { SHARDTRAIN_BACKEND: b.backend } : {}),
    ...(b.kernel !== undefined ? { SHARDTRAIN_KERNEL: b.kernel } : {}),
    ...(b.kernelThreads !== undefined ? { SHARDTRAIN_KERNEL_THREADS: String(b.kernelThreads) } : {}),
    ...(config.packageVersion !== undefined ? { SHARDTRAIN_VERSION: config.packageVersion } : {}),
  };
}

/**
 * The job launcher of a runtime, for jobs the planner sends to Batch: locally the Batch entry
 * point in a detached child process (`<home>/launches/` holds its records and log), on AWS
 * `SubmitJob` to the stack's queue and definition. Undefined when there is none: locally without
 * a build, on AWS when the function was not given `BATCH_JOB_QUEUE` and `BATCH_JOB_DEFINITION`.
 */
export async function createJobLauncher(config: RuntimeConfig): Promise<JobLauncher | undefined> {
  return config.cloud === 'local' ? localLauncher(config) : awsLauncher(config);
}

async function localLauncher(config: LocalRuntimeConfig): Promise<JobLauncher | undefined> {
  const entry = batchEntryPoint();
  if (entry === undefined) return undefined;
  // A computed specifier, as for the local ports: the Lambda bundle leaves the local adapters out.
  const localAdapters: string = '../adapters/local/index.js';
  const { LocalJobLauncher } = (await import(localAdapters)) as typeof import('../adapters/local/index.js');
  const { join } = await import('node:path');
  return new LocalJobLauncher({
    command: [process.execPath, entry],
    logDir: join(config.home, 'launches'),
    env: { ...localJobEnv(config) },
  });
}

async function awsLauncher(config: AwsRuntimeConfig): Promise<JobLauncher | undefined> {
  if (config.batchJobQueue === undefined || config.batchJobDefinition === undefined) return undefined;
  const { BatchJobLauncher } = await import('../adapters/aws/index.js');
  return new BatchJobLauncher({ jobQueue: config.batchJobQueue, jobDefinition: config.batchJobDefinition });
}
