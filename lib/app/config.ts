import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { BACKENDS, KERNEL_KINDS } from '../optim/backend.js';

/**
 * The configuration of a shardtrain process, parsed once by its entry point (the CLI from flags
 * and environment, a Lambda handler and the Batch job from their environment) and handed down.
 * Nothing below the entry points reads the environment; nothing writes it.
 */

/** Environment variables as the entry points receive them (the process environment, or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Fault injection for the local cloud (`SHARDTRAIN_FAULTS`, JSON): at each checkpoint a handler
 * crashes with probability `crashRate` (seeded per thread); `delayMs` > 0 first pauses there.
 */
export const faultPlanSchema = z.strictObject({
  seed: z.number().int().min(0).default(1),
  crashRate: z.number().min(0).max(1).default(0),
  delayMs: z.number().min(0).default(0),
});
export type FaultPlan = z.infer<typeof faultPlanSchema>;

/** Which compute path `selectBackend` takes (`SHARDTRAIN_BACKEND`, `SHARDTRAIN_KERNEL`, `SHARDTRAIN_KERNEL_THREADS`). */
export const backendConfigSchema = z.strictObject({
  backend: z.enum(BACKENDS).optional(),
  kernel: z.enum(KERNEL_KINDS).optional(),
  kernelThreads: z.number().int().min(1).optional(),
});
export type BackendConfig = z.infer<typeof backendConfigSchema>;

/** A handler runtime over the embedded local cloud: a directory for S3, SQLite for SQS. */
export const localRuntimeConfigSchema = z.strictObject({
  cloud: z.literal('local'),
  /** `<home>/store`, `<home>/queues.db`, `<home>/events.jsonl`. */
  home: z.string().min(1),
  /** Visibility timeout of the local queues, seconds (tests shorten it). */
  visibilityTimeoutSeconds: z.number().min(0).max(43_200).optional(),
  faults: faultPlanSchema.optional(),
  /** The local cloud's handler thread this runtime serves (seeds the fault plan per thread). */
  thread: z.number().int().min(0).optional(),
  backend: backendConfigSchema.default({}),
  packageVersion: z.string().optional(),
});
export type LocalRuntimeConfig = z.infer<typeof localRuntimeConfigSchema>;

/** A handler runtime over the deployed stack (the stack outputs name the resources). */
export const awsRuntimeConfigSchema = z.strictObject({
  cloud: z.literal('aws'),
  bucket: z.string().min(1),
  workQueueUrl: z.string().min(1),
  aggregateQueueUrl: z.string().min(1),
  eventBusName: z.string().min(1),
  /** CloudWatch namespace of the per-round metrics. @default 'Shardtrain' */
  metricsNamespace: z.string().min(1).default('Shardtrain'),
  /** The Batch job queue and definition (stack outputs BatchJobQueue, BatchJobDefinition): jobs the planner sends to Batch. */
  batchJobQueue: z.string().min(1).optional(),
  batchJobDefinition: z.string().min(1).optional(),
  faults: faultPlanSchema.optional(),
  backend: backendConfigSchema.default({}),
  packageVersion: z.string().optional(),
});
export type AwsRuntimeConfig = z.infer<typeof awsRuntimeConfigSchema>;

/** Everything `createRuntime` needs; structured-clonable, so it travels to handler threads. */
export const runtimeConfigSchema = z.discriminatedUnion('cloud', [
  localRuntimeConfigSchema,
  awsRuntimeConfigSchema,
]);
export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;
/** A runtime config before defaults are applied (what a caller may write). */
export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;

/** The CLI's settings: `--home` and the environment. */
export interface CliConfig {
  /** Absolute path of the local home (`--home`, `SHARDTRAIN_HOME`, default `./.shardtrain`). */
  readonly home: string;
  readonly cloud: 'local' | 'aws';
  /** Worker threads of the embedded local cloud (`SHARDTRAIN_WORKER_THREADS`). */
  readonly workerThreads?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly faults?: FaultPlan;
  readonly backend: BackendConfig;
  /** `SHARDTRAIN_CLOUD=aws`: the deployed stack's resources (only the bucket is required). */
  readonly aws?: {
    readonly bucket: string;
    readonly eventBusName?: string;
    readonly workQueueUrl?: string;
    readonly aggregateQueueUrl?: string;
    /** `--placement batch`: the stack outputs BatchJobQueue and BatchJobDefinition. */
    readonly batchJobQueue?: string;
    readonly batchJobDefinition?: string;
  };
  /**
   * The environment the CLI was started with, handed on unchanged to the child processes it
   * starts (the Batch entry point run locally parses it at its own entry).
   */
  readonly childEnv: Env;
}

const integer = (min: number) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, `expected a whole number ≥ ${min}`)
    .transform(Number)
    .pipe(z.number().int().min(min));
const seconds = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*$/, 'expected a number of seconds')
  .transform(Number)
  .pipe(z.number().min(0).max(43_200));
const choice = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(values));
const faultsJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON; e.g. {"seed": 1, "crashRate": 0.05}' });
      return z.NEVER;
    }
  })
  .pipe(faultPlanSchema);

/** Every variable an entry point may read, validated (an empty value counts as unset). */
const envSchema = z.object({
  SHARDTRAIN_CLOUD: z.enum(['local', 'aws']).optional(),
  SHARDTRAIN_HOME: z.string().optional(),
  SHARDTRAIN_WORKER_THREADS: integer(1).optional(),
  SHARDTRAIN_VISIBILITY_TIMEOUT: seconds.optional(),
  SHARDTRAIN_FAULTS: faultsJson.optional(),
  SHARDTRAIN_BACKEND: choice(BACKENDS).optional(),
  SHARDTRAIN_KERNEL: choice(KERNEL_KINDS).optional(),
  SHARDTRAIN_KERNEL_THREADS: integer(1).optional(),
  SHARDTRAIN_VERSION: z.string().optional(),
  BUCKET_NAME: z.string().optional(),
  WORK_QUEUE_URL: z.string().optional(),
  AGGREGATE_QUEUE_URL: z.string().optional(),
  EVENT_BUS_NAME: z.string().optional(),
  BATCH_JOB_QUEUE: z.string().optional(),
  BATCH_JOB_DEFINITION: z.string().optional(),
  POWERTOOLS_METRICS_NAMESPACE: z.string().optional(),
});
type ParsedEnv = z.infer<typeof envSchema>;

/** Validates the variables shardtrain reads; a bad one is a {@link ConfigError} naming it. */
export function parseEnv(env: Env): ParsedEnv {
  const present: Record<string, string> = {};
  for (const name of Object.keys(envSchema.shape)) {
    const v = env[name];
    if (v !== undefined && v !== '') present[name] = v;
  }
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [name, ...rest] = issue.path.map(String);
    const field = rest.length > 0 ? ` (${rest.join('.')})` : '';
    throw new ConfigError(`environment variable ${name ?? '?'}`, `${issue.message}${field}`);
  }
  return parsed.data;
}

function backendOf(env: ParsedEnv): BackendConfig {
  return {
    ...(env.SHARDTRAIN_BACKEND !== undefined ? { backend: env.SHARDTRAIN_BACKEND } : {}),
    ...(env.SHARDTRAIN_KERNEL !== undefined ? { kernel: env.SHARDTRAIN_KERNEL } : {}),
    ...(env.SHARDTRAIN_KERNEL_THREADS !== undefined ? { kernelThreads: env.SHARDTRAIN_KERNEL_THREADS } : {}),
  };
}

function required(value: string | undefined, name: string, hint = ''): string {
  if (value === undefined) throw new ConfigError(`environment variable ${name}`, `is not set${hint}`);
  return value;
}

/**
 * The runtime of a Lambda handler or the Batch job, from its environment:
 * `SHARDTRAIN_CLOUD=local` + `SHARDTRAIN_HOME` for the local cloud, otherwise the AWS resources
 * named by BUCKET_NAME, WORK_QUEUE_URL, AGGREGATE_QUEUE_URL and EVENT_BUS_NAME (and, for jobs
 * the planner sends to Batch, BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION).
 */
export function handlerConfigFromEnv(raw: Env): RuntimeConfig {
  const env = parseEnv(raw);
  const common = {
    backend: backendOf(env),
    ...(env.SHARDTRAIN_FAULTS !== undefined ? { faults: env.SHARDTRAIN_FAULTS } : {}),
    ...(env.SHARDTRAIN_VERSION !== undefined ? { packageVersion: env.SHARDTRAIN_VERSION } : {}),
  };
  if (env.SHARDTRAIN_CLOUD === 'local') {
    return {
      cloud: 'local',
      home: required(env.SHARDTRAIN_HOME, 'SHARDTRAIN_HOME', ' (SHARDTRAIN_CLOUD=local needs it)'),
      ...(env.SHARDTRAIN_VISIBILITY_TIMEOUT !== undefined
        ? { visibilityTimeoutSeconds: env.SHARDTRAIN_VISIBILITY_TIMEOUT }
        : {}),
      ...common,
    };
  }
  return {
    cloud: 'aws',
    bucket: required(env.BUCKET_NAME, 'BUCKET_NAME'),
    workQueueUrl: required(env.WORK_QUEUE_URL, 'WORK_QUEUE_URL'),
    aggregateQueueUrl: required(env.AGGREGATE_QUEUE_URL, 'AGGREGATE_QUEUE_URL'),
    eventBusName: required(env.EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shardtrain',
    ...(env.BATCH_JOB_QUEUE !== undefined ? { batchJobQueue: env.BATCH_JOB_QUEUE } : {}),
    ...(env.BATCH_JOB_DEFINITION !== undefined ? { batchJobDefinition: env.BATCH_JOB_DEFINITION } : {}),
    ...common,
  };
}

/** The CLI's configuration from its global flags and environment. */
export function cliConfigFromEnv(flags: { readonly home?: string | undefined }, raw: Env): CliConfig {
  const env = parseEnv(raw);
  const cloud = env.SHARDTRAIN_CLOUD ?? 'local';
  return {
    home: resolve(flags.home ?? env.SHARDTRAIN_HOME ?? '.shardtrain'),
    cloud,
    childEnv: raw,
    backend: backendOf(env),
    ...(env.SHARDTRAIN_WORKER_THREADS !== undefined ? { workerThreads: env.SHARDTRAIN_WORKER_THREADS } : {}),
    ...(env.SHARDTRAIN_VISIBILITY_TIMEOUT !== undefined
      ? { visibilityTimeoutSeconds: env.SHARDTRAIN_VISIBILITY_TIMEOUT }
      : {}),
    ...(env.SHARDTRAIN_FAULTS !== undefined ? { faults: env.SHARDTRAIN_FAULTS } : {}),
    ...(cloud === 'aws'
      ? {
          aws: {
            bucket: required(
              env.BUCKET_NAME,
              'BUCKET_NAME',
              ' (SHARDTRAIN_CLOUD=aws needs the stack output BucketName)',
            ),
            ...(env.EVENT_BUS_NAME !== undefined ? { eventBusName: env.EVENT_BUS_NAME } : {}),
            ...(env.WORK_QUEUE_URL !== undefined ? { workQueueUrl: env.WORK_QUEUE_URL } : {}),
            ...(env.AGGREGATE_QUEUE_URL !== undefined ? { aggregateQueueUrl: env.AGGREGATE_QUEUE_URL } : {}),
            ...(env.BATCH_JOB_QUEUE !== undefined ? { batchJobQueue: env.BATCH_JOB_QUEUE } : {}),
            ...(env.BATCH_JOB_DEFINITION !== undefined
              ? { batchJobDefinition: env.BATCH_JOB_DEFINITION }
              : {}),
          },
        }
      : {}),
  };
}

/** The handler runtime the CLI uses for its home: the local cloud's, or the deployed stack's. */
export function cliRuntimeConfig(config: CliConfig): RuntimeConfig {
  const common = {
    backend: config.backend,
    ...(config.faults !== undefined ? { faults: config.faults } : {}),
  };
  if (config.aws === undefined) {
    return {
      cloud: 'local',
      home: config.home,
      ...(config.visibilityTimeoutSeconds !== undefined
        ? { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds }
        : {}),
      ...common,
    };
  }
  return {
    cloud: 'aws',
    bucket: config.aws.bucket,
    workQueueUrl: required(config.aws.workQueueUrl, 'WORK_QUEUE_URL'),
    aggregateQueueUrl: required(config.aws.aggregateQueueUrl, 'AGGREGATE_QUEUE_URL'),
    eventBusName: required(config.aws.eventBusName, 'EVENT_BUS_NAME'),
    metricsNamespace: 'Shardtrain',
    ...(config.aws.batchJobQueue !== undefined ? { batchJobQueue: config.aws.batchJobQueue } : {}),
    ...(config.aws.batchJobDefinition !== undefined
      ? { batchJobDefinition: config.aws.batchJobDefinition }
      : {}),
    ...common,
  };
}
