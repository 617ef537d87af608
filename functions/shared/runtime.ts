import { readFileSync } from 'node:fs';
import { onPipelineJobFinished, type PipelineDeps } from '../../lib/engine/pipelines/index.js';
import type { EngineDeps, Outbox } from '../../lib/engine/training/coordinator.js';
import { JobCache } from '../../lib/engine/training/job-store.js';
import { resultDeduplicationId } from '../../lib/engine/training/protocol.js';
import { registerJobModel } from '../../lib/engine/training/register-model.js';
import { UsageError } from '../../lib/errors.js';
import type { BackendSelection } from '../../lib/optim/index.js';
import { selectBackend } from '../../lib/optim/index.js';
import type { EventSink, ObjectStore, Queue } from '../../lib/ports.js';
import { ModelRegistry } from '../../lib/registry/index.js';
import { crashInjector } from './faults.js';

/**
 * Everything a handler needs, built once per container (module scope in Lambda, once per thread
 * in the local cloud) from the environment: `SHARDTRAIN_CLOUD=local` + `SHARDTRAIN_HOME` for the
 * local cloud, otherwise the AWS resources named by BUCKET_NAME, WORK_QUEUE_URL,
 * AGGREGATE_QUEUE_URL and EVENT_BUS_NAME.
 */
export interface Runtime {
  readonly cloud: 'local' | 'aws';
  readonly store: ObjectStore;
  readonly workQueue: Queue;
  readonly aggregateQueue: Queue;
  readonly events: EventSink;
  readonly registry: ModelRegistry;
  readonly backend: BackendSelection;
  readonly cache: JobCache;
  readonly packageVersion: string;
  engine(): EngineDeps;
  pipelines(): PipelineDeps;
}

const runtimes = new Map<string, Promise<Runtime>>();

/** The runtime for the current environment, created on first use and reused after. */
export function getRuntime(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const key = `${env.SHARDTRAIN_CLOUD ?? 'aws'}:${env.SHARDTRAIN_HOME ?? ''}:${env.BUCKET_NAME ?? ''}`;
  let runtime = runtimes.get(key);
  if (runtime === undefined) {
    runtime = createRuntime(env);
    runtimes.set(key, runtime);
  }
  return runtime;
}

async function createRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const ports = env.SHARDTRAIN_CLOUD === 'local' ? await localPorts(env) : await awsPorts(env);
  const backend = await selectBackend();
  const registry = new ModelRegistry({ store: ports.store, events: ports.events });
  const cache = new JobCache();
  const packageVersion = readPackageVersion();
  const checkpoint = crashInjector(env.SHARDTRAIN_FAULTS);
  const outbox = queueOutbox(ports.workQueue, ports.aggregateQueue);
  const runtime: Runtime = {
    ...ports,
    registry,
    backend,
    cache,
    packageVersion,
    pipelines: () => ({ engine: runtime.engine(), registry, events: ports.events }),
    engine: () => ({
      store: ports.store,
      outbox,
      kernel: backend.kernel,
      backend: backendLabel(backend),
      cache,
      // On AWS the bucket's lifecycle rule expires scratch/; locally a finished job deletes it.
      deleteScratch: ports.cloud !== 'aws',
      ...(checkpoint !== undefined ? { checkpoint } : {}),
      onFinish: async (job) => {
        const version = await registerJobModel(registry, job, { packageVersion });
        if (job.spec.pipeline !== undefined) await onPipelineJobFinished(runtime.pipelines(), job, version);
      },
    }),
  };
  return runtime;
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

type Ports = Pick<Runtime, 'cloud' | 'store' | 'workQueue' | 'aggregateQueue' | 'events'>;

async function localPorts(env: NodeJS.ProcessEnv): Promise<Ports> {
  const home = env.SHARDTRAIN_HOME;
  if (home === undefined) throw new UsageError('SHARDTRAIN_CLOUD=local needs SHARDTRAIN_HOME');
  // A computed specifier: esbuild leaves it out of the Lambda bundle, so the bundle never loads
  // better-sqlite3 (a native module the local cloud needs and Lambda does not have).
  const localAdapters: string = '../../lib/adapters/local/index.js';
  const { FsObjectStore, FileEventSink, openLocalQueues } = (await import(
    localAdapters
  )) as typeof import('../../lib/adapters/local/index.js');
  const { join } = await import('node:path');
  const queues = openLocalQueues(home, localQueueSettings(env));
  return {
    cloud: 'local',
    store: new FsObjectStore({ root: join(home, 'store') }),
    workQueue: queues.work,
    aggregateQueue: queues.aggregate,
    events: new FileEventSink({ path: join(home, 'events.jsonl') }),
  };
}

/** Queue settings of the local cloud from the environment (tests shorten the visibility timeout). */
export function localQueueSettings(env: NodeJS.ProcessEnv): { visibilityTimeoutSeconds?: number } {
  const v = env.SHARDTRAIN_VISIBILITY_TIMEOUT;
  return v === undefined ? {} : { visibilityTimeoutSeconds: Number(v) };
}

async function awsPorts(env: NodeJS.ProcessEnv): Promise<Ports> {
  const need = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new UsageError(`environment variable ${name} is not set`);
    return v;
  };
  const aws = await import('../../lib/adapters/aws/index.js');
  const store = new aws.S3ObjectStore({ bucket: need('BUCKET_NAME') });
  return {
    cloud: 'aws',
    store,
    workQueue: new aws.SqsQueue({ queueUrl: need('WORK_QUEUE_URL'), payloadStore: store }),
    aggregateQueue: new aws.SqsQueue({ queueUrl: need('AGGREGATE_QUEUE_URL'), fifo: true }),
    events: new aws.EventBridgeEventSink({ eventBusName: need('EVENT_BUS_NAME') }),
  };
}

/** This package's version (recorded in model lineage), read once. */
export function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    // Bundled into a Lambda zip there is no package.json next to the code.
    return process.env.SHARDTRAIN_VERSION ?? '0.0.0';
  }
}
