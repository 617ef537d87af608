import { readFileSync } from 'node:fs';
import os from 'node:os';
import { onPipelineJobFinished, type PipelineDeps } from '../engine/pipelines/index.js';
import type { EngineDeps, Outbox } from '../engine/training/coordinator.js';
import { JobCache } from '../engine/training/job-store.js';
import { lambdaMemoryFromEnv, readLambdaMeasuredRates } from '../engine/training/lambda-calibration.js';
import type { JobPlanner } from '../engine/training/place-job.js';
import { INLINE_RESULT_MAX_BYTES, resultDeduplicationId } from '../engine/training/protocol.js';
import { registerJobModel } from '../engine/training/register-model.js';
import type { BackendSelection, GradientKernel } from '../optim/index.js';
import { selectBackend } from '../optim/index.js';
import {
  type CostModel,
  chooseLocalPlacement,
  choosePlacement,
  DEFAULT_COST_MODEL,
  type KernelCalibration,
  withLambdaMeasurements,
} from '../planner/index.js';
import type { EventSink, JobLauncher, ObjectStore, Queue } from '../ports.js';
import { ModelRegistry } from '../registry/index.js';
import type { AwsRuntimeConfig, LocalRuntimeConfig, RuntimeConfig } from './config.js';
import { crashInjector } from './faults.js';
import { hostCalibration, hostMlpCalibration } from './host-calibration.js';
import { createJobLauncher } from './job-launcher.js';
import { LazyQueue } from './lazy-queue.js';

/**
 * Everything a handler, the CLI or the Batch job needs, built from a {@link RuntimeConfig}: once
 * per container in Lambda (module scope), once per thread in the local cloud, once per CLI run.
 */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly cloud: 'local' | 'aws';
  readonly store: ObjectStore;
  readonly workQueue: Queue;
  readonly aggregateQueue: Queue;
  readonly events: EventSink;
  readonly registry: ModelRegistry;
  readonly backend: BackendSelection;
  readonly cache: JobCache;
  readonly packageVersion: string;
  /**
   * Where jobs the planner sends to Batch go: the Batch entry point in a child process locally,
   * SubmitJob on AWS; undefined without a build (local) or without the Batch resources (AWS).
   */
  readonly launcher: JobLauncher | undefined;
  /** The engine's ports and hooks: model registration and the pipeline gate when a job finishes. */
  engine(): EngineDeps;
  /** The pipelines' deps: the engine, the registry, events, and the planner and launcher that place their jobs. */
  pipelines(): PipelineDeps;
  /** Releases what the ports hold open (the local queue database); for runtimes made by {@link createRuntime}. */
  close(): void;
}

/** How many result look-ups and reads a runtime's aggregator has in flight (see {@link EngineDeps}). */
export const AGGREGATOR_READ_CONCURRENCY = 32;

const runtimes = new Map<string, Promise<Runtime>>();

/**
 * The runtime for `config`, created on first use and reused for the life of the process (warm
 * Lambda invocations; the CLI and the aggregator it hosts share one: one cache, one backend).
 */
export function runtimeFor(config: RuntimeConfig): Promise<Runtime> {
  const key = stableKey(config);
  let runtime = runtimes.get(key);
  if (runtime === undefined) {
    runtime = createRuntime(config);
    runtimes.set(key, runtime);
    // A failed start (a missing resource) is not cached: the next call tries again.
    runtime.catch(() => runtimes.delete(key));
  }
  return runtime;
}

/** JSON with object keys sorted, so two equal configs written in another order share a runtime. */
function stableKey(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The composition root: the only place that builds the ports, {@link EngineDeps}, the pipelines'
 * deps, the registry and the backend.
 *
 * @example
 * const runtime = await createRuntime({ cloud: 'local', home: '.shardtrain', backend: {} });
 * await startJob(runtime.engine(), spec, manifest, manifestKey);
 */
export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  const ports = config.cloud === 'local' ? await localPorts(config) : await awsPorts(config);
  const { backend: preferred, kernel, kernelThreads } = config.backend;
  // The config already holds what the environment said; selectBackend must not read it again.
  const backend = await selectBackend(preferred, {
    env: {},
    ...(kernel !== undefined ? { kernel } : {}),
    ...(kernelThreads !== undefined ? { threads: kernelThreads } : {}),
  });
  const registry = new ModelRegistry({ store: ports.store, events: ports.events });
  const cache = new JobCache();
  const packageVersion = readPackageVersion(config.packageVersion);
  const checkpoint = crashInjector(config.faults, config.cloud === 'local' ? config.thread : undefined);
  const outbox = queueOutbox(ports.workQueue, ports.aggregateQueue);
  const launcher = await createJobLauncher(config);
  const planner = jobPlanner(config, backend.kernel, ports.store);
  const lambdaMemoryMb = ports.cloud === 'aws' ? lambdaMemoryFromEnv(process.env) : undefined;
  const runtime: Runtime = {
    config,
    ...ports,
    registry,
    backend,
    cache,
    packageVersion,
    launcher,
    pipelines: () => ({
      engine: runtime.engine(),
      registry,
      events: ports.events,
      planner,
      ...(launcher !== undefined ? { launcher } : {}),
    }),
    close: ports.close,
    engine: () => ({
      store: ports.store,
      outbox,
      kernel: backend.kernel,
      backend: backendLabel(backend),
      cache,
      // On AWS the bucket's lifecycle rule expires scratch/; locally a finished job deletes it.
      deleteScratch: ports.cloud !== 'aws',
      // A round's W result look-ups and reads, 32 in flight: about W/32 store round trips instead
      // of W (the fan-in `shardtrain simulate` shows dominating at W ≥ 16); summed in shard order.
      aggregatorReadConcurrency: AGGREGATOR_READ_CONCURRENCY,
      // A small worker result rides in its notification: no PUT per worker, no GET at the aggregator.
      inlineResultMaxBytes: INLINE_RESULT_MAX_BYTES,
      // On a Lambda, shard 0 records its measured gradient rate once per job for the planner.
      ...(lambdaMemoryMb !== undefined ? { lambdaCalibration: { memoryMb: lambdaMemoryMb } } : {}),
      ...(checkpoint !== undefined ? { checkpoint } : {}),
      onFinish: async (job) => {
        const version = await registerJobModel(registry, job, { packageVersion });
        if (job.spec.pipeline !== undefined) await onPipelineJobFinished(runtime.pipelines(), job, version);
      },
    }),
  };
  return runtime;
}

/**
 * The planner of the jobs a runtime starts by itself (schedules, uploads, drift): the published
 * AWS prices on AWS; locally this machine at $0 ({@link chooseLocalPlacement}) at the rates the
 * CLI's `train` and `plan` use — the kernel's and, for an MLP, the MLP kernel's calibrated rate,
 * cached per machine under the home (measured on first use, about 0.3 s each).
 */
function jobPlanner(config: RuntimeConfig, kernel: GradientKernel, store: ObjectStore): JobPlanner {
  if (config.cloud === 'aws') {
    // The rates the work Lambdas measured (read once per container), else the published figures.
    let measured: Promise<CostModel> | undefined;
    return async (w) => {
      measured ??= readLambdaMeasuredRates(store).then(
        (rates) => withLambdaMeasurements(DEFAULT_COST_MODEL, rates),
        () => DEFAULT_COST_MODEL,
      );
      return choosePlacement(w, await measured);
    };
  }
  let rate: Promise<KernelCalibration> | undefined;
  let mlpRate: Promise<KernelCalibration | undefined> | undefined;
  return async (w, workers) => {
    rate ??= hostCalibration(config.home, { kernel });
    const calibration = await rate;
    if (w.kernel === 'mlp') mlpRate ??= hostMlpCalibration(config.home);
    const mlp = w.kernel === 'mlp' ? await mlpRate : undefined;
    return chooseLocalPlacement(w, workers, {
      rowFeaturesPerSecond: calibration.rowFeaturesPerSecond,
      kernel: calibration.kernel,
      ...(mlp !== undefined ? { mlpWorkPerSecond: mlp.rowFeaturesPerSecond } : {}),
      memoryMb: Math.floor(os.totalmem() / 1_048_576),
    });
  };
}

/** How the backend is reported: the kernel that computes the gradients (and tfjs's backend). */
export function backendLabel(b: BackendSelection): string {
  return b.kernelKind === 'tfjs' ? `tfjs-${b.backend}` : b.kernel.name;
}

/** Work messages go out in batches of 10; result notifications to the FIFO queue, one group per job. */
export function queueOutbox(work: Queue, aggregate: Queue): Outbox {
  return {
    async sendWork(messages) {
      for (let i = 0; i < messages.length; i += 10) {
        await work.sendBatch(messages.slice(i, i + 10).map((m) => ({ body: JSON.stringify(m) })));
      }
    },
    async sendResult(message) {
      await aggregate.send(JSON.stringify(message), {
        groupId: message.jobId,
        deduplicationId: resultDeduplicationId(message),
      });
    },
  };
}

type Ports = Pick<Runtime, 'cloud' | 'store' | 'workQueue' | 'aggregateQueue' | 'events' | 'close'>;

async function localPorts(config: LocalRuntimeConfig): Promise<Ports> {
  // Computed specifiers: esbuild leaves them out of the Lambda bundle, so the bundle never loads
  // better-sqlite3 (a native module the local cloud needs and Lambda does not have).
  const local = (file: string): string => `../adapters/local/${file}`;
  type Local = typeof import('../adapters/local/index.js');
  const [{ FsObjectStore }, { FileEventSink }, { LOCAL_QUEUE_NAMES: n }] = (await Promise.all([
    import(local('fs-object-store.js')),
    import(local('file-event-sink.js')),
    import(local('queue-names.js')),
  ])) as [Local, Local, Local];
  const { join } = await import('node:path');
  // The queues (SQLite) open on first use: a runtime that never queues (the in-process runner)
  // neither loads better-sqlite3 nor creates queues.db.
  let queues: ReturnType<Local['openLocalQueues']> | undefined;
  let closed = false;
  let opening: Promise<NonNullable<typeof queues>> | undefined;
  const open = (): Promise<NonNullable<typeof queues>> => {
    opening ??= (import(local('local-queues.js')) as Promise<Local>).then(({ openLocalQueues }) => {
      if (closed) throw new Error('the local queues were closed');
      queues = openLocalQueues(
        config.home,
        config.visibilityTimeoutSeconds !== undefined
          ? { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds }
          : {},
      );
      return queues;
    });
    return opening;
  };
  return {
    cloud: 'local',
    store: new FsObjectStore({ root: join(config.home, 'store') }),
    workQueue: new LazyQueue(n.work, false, async () => (await open()).work),
    aggregateQueue: new LazyQueue(n.aggregate, true, async () => (await open()).aggregate),
    events: new FileEventSink({ path: join(config.home, 'events.jsonl') }),
    close: () => {
      closed = true;
      queues?.broker.close();
    },
  };
}

async function awsPorts(config: AwsRuntimeConfig): Promise<Ports> {
  const aws = await import('../adapters/aws/index.js');
  const store = new aws.S3ObjectStore({ bucket: config.bucket });
  return {
    cloud: 'aws',
    store,
    workQueue: new aws.SqsQueue({ queueUrl: config.workQueueUrl, payloadStore: store }),
    aggregateQueue: new aws.SqsQueue({ queueUrl: config.aggregateQueueUrl, fifo: true }),
    events: new aws.EventBridgeEventSink({ eventBusName: config.eventBusName }),
    close: () => undefined,
  };
}

let packageJsonVersion: string | undefined | null = null;

/**
 * This package's version (recorded in model lineage), read once from package.json; bundled into
 * a Lambda zip there is none, and the configured version (`SHARDTRAIN_VERSION`) is used.
 */
export function readPackageVersion(configured?: string): string {
  if (packageJsonVersion === null) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: string;
      };
      packageJsonVersion = pkg.version ?? '0.0.0';
    } catch {
      packageJsonVersion = undefined;
    }
  }
  return packageJsonVersion ?? configured ?? '0.0.0';
}
