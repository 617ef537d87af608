import { basename, extname } from 'node:path';
import { FsObjectStore } from '../lib/adapters/local/fs-object-store.js';
import type { LocalCloud } from '../lib/adapters/local/index.js';
import {
  type CliConfig,
  cliRuntimeConfig,
  createRuntime,
  type Runtime,
  type RuntimeConfig,
  readPackageVersion,
  runtimeFor,
} from '../lib/app/index.js';
import type { RowCollector } from '../lib/data/index.js';
import { readDocument } from '../lib/documents.js';
import {
  ingestUpload,
  type UploadRecord,
  uploadIdFor,
  uploadRecordSchema,
} from '../lib/engine/datasets/uploads.js';
import { keys } from '../lib/engine/keys.js';
import { listPipelines, type Pipeline } from '../lib/engine/pipelines/index.js';
import { messageFailureReason } from '../lib/engine/training/protocol.js';
import { InfrastructureError, ShardtrainError, UsageError } from '../lib/errors.js';
import type { ObjectStore } from '../lib/ports.js';
import { assertDatasetName } from '../lib/validation/inputs.js';
import { excerpt, oneLine } from '../lib/validation/text.js';
import { checkLocalFile, type Home, openFile, openHome } from './home.js';

/** What a session takes from the CLI's configuration (everything but where the home is). */
export type SessionOptions = Partial<Omit<CliConfig, 'home' | 'cloud'>>;

/**
 * Where an upload is parsed, and why: `inprocess` in this process (`ingestUpload`, no queues),
 * `cloud` by the preprocess handler (the local cloud's thread, or the bucket's Lambda on AWS).
 * `watchers` are the stored pipelines on the dataset: an upload sets off their drift checks and
 * train-on-upload, which run in the handler, so a watched dataset always goes through the cloud.
 */
export interface UploadRoute {
  readonly via: 'inprocess' | 'cloud';
  readonly reason: string;
  readonly watchers: readonly Pipeline[];
}

/**
 * The handler modules the local cloud runs (by URL: the CLI does not import `functions/`), next
 * to this file in the source tree and in `dist/`.
 */
export function handlerUrls(): { preprocess: string; worker: string; aggregator: string } {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const at = (name: string) => new URL(`../functions/${name}.${ext}`, import.meta.url).href;
  return { preprocess: at('preprocess'), worker: at('worker'), aggregator: at('aggregator') };
}

/**
 * One CLI invocation's view of the local store, with the local cloud started on demand. The
 * cloud runs the Lambda handlers in this process (aggregator, preprocess) and in worker threads.
 */
export class Session {
  public readonly home: Home;
  /** `aws`: the deployed stack (SHARDTRAIN_CLOUD=aws); `local`: the embedded local cloud. */
  public readonly cloudKind: 'local' | 'aws';
  private cloud: LocalCloud | undefined;
  private inProcess: Promise<Runtime> | undefined;

  public constructor(
    public readonly root: string,
    private readonly options: SessionOptions = {},
    awsHome?: Home,
  ) {
    this.cloudKind = awsHome === undefined ? 'local' : 'aws';
    this.home = awsHome ?? openHome(root);
  }

  /** The environment child processes of this session start with (the CLI's own, as parsed at its entry). */
  public childEnv(): Readonly<Record<string, string | undefined>> {
    return this.options.childEnv ?? {};
  }

  /** The Batch job queue and definition of the deployed stack, when configured. */
  public batchResources(): { jobQueue?: string; jobDefinition?: string } {
    const aws = this.options.aws;
    return {
      ...(aws?.batchJobQueue !== undefined ? { jobQueue: aws.batchJobQueue } : {}),
      ...(aws?.batchJobDefinition !== undefined ? { jobDefinition: aws.batchJobDefinition } : {}),
    };
  }

  /** The local cloud's worker threads (`SHARDTRAIN_WORKER_THREADS`, default 2). */
  public workerThreads(): number {
    return this.options.workerThreads ?? 2;
  }

  /** This package's version, recorded in model lineage. */
  public packageVersion(): string {
    return PACKAGE_VERSION;
  }

  /**
   * Starts the local cloud (once) and returns it; undefined on AWS, where the cloud is deployed.
   * `preprocessThreads` (a partitioned upload) applies when this call starts it.
   */
  public async startCloud(options: { preprocessThreads?: number } = {}): Promise<LocalCloud | undefined> {
    if (this.cloudKind === 'aws') return undefined;
    if (this.cloud === undefined) {
      // Loaded here: a command that never starts the cloud (train --runner inprocess) skips SQLite.
      const { LocalCloud } = await import('../lib/adapters/local/local-cloud.js');
      const o = this.options;
      const cloud = new LocalCloud({
        home: this.root,
        handlers: handlerUrls(),
        ...options,
        ...(o.workerThreads !== undefined ? { workerThreads: o.workerThreads } : {}),
        ...(o.visibilityTimeoutSeconds !== undefined
          ? { visibilityTimeoutSeconds: o.visibilityTimeoutSeconds }
          : {}),
        ...(o.faults !== undefined ? { faults: o.faults } : {}),
        ...(o.backend !== undefined ? { backend: o.backend } : {}),
      });
      await cloud.start();
      this.cloud = cloud;
    }
    return this.cloud;
  }

  /**
   * The handlers' runtime for this home, with the local cloud started: the same runtime the
   * aggregator in this process uses (the same configuration).
   */
  public async runtime(): Promise<Runtime> {
    const cloud = await this.startCloud();
    return runtimeFor(cloud?.handlerConfig() ?? this.runtimeConfig());
  }

  /**
   * A runtime of this session's configuration without the local cloud (the in-process runner):
   * its own, closed with the session, so a process that trains on many homes keeps none open.
   */
  public inProcessRuntime(): Promise<Runtime> {
    this.inProcess ??= createRuntime(this.runtimeConfig());
    return this.inProcess;
  }

  /** The runtime configuration of this session: its home's local cloud, or the deployed stack. */
  public runtimeConfig(): RuntimeConfig {
    return cliRuntimeConfig({
      ...this.options,
      home: this.root,
      cloud: this.cloudKind,
      backend: this.options.backend ?? {},
      childEnv: this.childEnv(),
    });
  }

  public async close(): Promise<void> {
    const inProcess = this.inProcess;
    this.inProcess = undefined;
    if (inProcess !== undefined) (await inProcess.catch(() => undefined))?.close();
    if (this.cloud !== undefined) {
      await this.cloud.stop();
      this.cloud.close();
      this.cloud = undefined;
    }
  }

  /**
   * Uploads a CSV as `datasets/<dataset>/<file>` through the local cloud: the object-created
   * event runs the preprocess handler. The name and the file's first bytes are checked before
   * anything is written. Waits for this upload only: resolves with its record once it is ready
   * (and what it set off is done), throws its recorded error when it failed, or the reason of
   * its dead letter when the handler gave up on it.
   */
  public async upload(file: string, dataset: string, timeoutMs = 3_600_000): Promise<UploadRecord> {
    assertDatasetName(dataset);
    const name = uploadFileName(file);
    await checkLocalFile(file);
    const source = await openFile(file);
    const key = keys.upload(dataset, name);
    const cloud = await this.startCloud();
    // On AWS the bucket's notification runs the preprocess Lambda; locally the cloud emits the event.
    if (cloud === undefined) await this.home.store.putStream(key, source);
    else await cloud.putObject(key, source);
    const etag = (await this.home.store.head(key))?.etag ?? '';
    const uploadId = uploadIdFor(key, etag);
    const deadline = Date.now() + timeoutMs;
    let lastDlqCheck = 0;
    for (;;) {
      const record = await readUploadRecord(this.home.store, dataset, uploadId);
      if (record?.state === 'ready') {
        // Also wait for what the upload triggered (drift check, pipeline start) to be done.
        if ((await this.home.store.head(keys.uploadSettled(dataset, uploadId))) !== undefined) return record;
      }
      // The recorded error already names file, line and column.
      if (record?.state === 'failed') throw new ShardtrainError(oneLine(record.error));
      if (cloud !== undefined && Date.now() - lastDlqCheck > 250) {
        lastDlqCheck = Date.now();
        const reason = await deadLetterFor(this.home.store, cloud.queues.eventsDlq, key, etag);
        if (reason !== undefined)
          throw new InfrastructureError(`preprocessing ${name} failed: ${oneLine(reason, 200)}`);
      }
      if (Date.now() > deadline)
        throw new InfrastructureError(`preprocessing ${name} did not finish in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Whether the home is a folder on this machine (not the deployed stack's bucket). */
  public isLocalHome(): boolean {
    return this.home.store instanceof FsObjectStore;
  }

  /**
   * The one place `upload` and `train --data` choose between the cloud and this process.
   * `asked`: a flag that names the route (`flag` is how the refusal and the reason quote it);
   * `partitioned`: a directory of part files, which the cloud's handlers preprocess part by part.
   * Refuses (a `UsageError`, before anything is uploaded) to parse here what the cloud would parse
   * anyway: on an AWS home the bucket's notification runs the preprocess Lambda on every object
   * under `datasets/`, and a watched dataset needs the handler's drift check and train-on-upload.
   * The AWS case is decided without I/O; otherwise the stored pipelines are listed once, here.
   */
  public async uploadRoute(
    dataset: string,
    asked?: { readonly via: 'inprocess' | 'cloud'; readonly flag: string },
    partitioned = false,
  ): Promise<UploadRoute> {
    if (asked?.via === 'inprocess' && !this.isLocalHome())
      throw new UsageError(
        `${asked.flag}: on an AWS home the bucket's preprocess Lambda parses every upload, so parsing here would preprocess it twice; leave the flag out`,
      );
    const watchers = (await listPipelines({ engine: { store: this.home.store } })).filter(
      (p) => p.dataset === dataset,
    );
    const names = watchers.map((p) => p.name).join(', ');
    const watchedBy = `pipeline${watchers.length > 1 ? 's' : ''} ${names} watch${watchers.length > 1 ? '' : 'es'} ${dataset}`;
    if (watchers.length > 0 && asked?.via === 'inprocess')
      throw new UsageError(
        `${asked.flag}: ${watchedBy}, and their drift check and train-on-upload run in the cloud's preprocess handler; leave the flag out`,
      );
    if (partitioned && asked?.via === 'inprocess')
      throw new UsageError(
        `${asked.flag}: a directory of part files is preprocessed part by part by the cloud's handlers; leave the flag out`,
      );
    if (watchers.length > 0)
      return { via: 'cloud', reason: `${watchedBy} (drift check, train on upload)`, watchers };
    if (partitioned)
      return { via: 'cloud', reason: 'a directory of part files: one handler invocation per part', watchers };
    if (asked !== undefined) return { via: asked.via, reason: `${asked.flag} asks for it`, watchers };
    if (!this.isLocalHome())
      return {
        via: 'cloud',
        reason: "an AWS home: the bucket's preprocess Lambda parses every upload",
        watchers,
      };
    return { via: 'inprocess', reason: `a local home and no pipeline watches ${dataset}`, watchers };
  }

  /**
   * Preprocesses in this process without the queues (see {@link uploadRoute}). With `rows`, the
   * parsed rows are also kept in memory for a job that trains right away.
   */
  public async uploadInProcess(file: string, dataset: string, rows?: RowCollector): Promise<UploadRecord> {
    assertDatasetName(dataset);
    await checkLocalFile(file);
    const key = keys.upload(dataset, uploadFileName(file));
    const store = this.home.store;
    const preprocess = rows === undefined ? {} : { preprocess: { onRows: rows.add } };
    if (store instanceof FsObjectStore) {
      // A local home: the kernel copies the file in, and the etag is hashed while parsing.
      const { size } = await store.putFile(key, file);
      if (rows !== undefined) rows.bytesHint = size;
      return ingestUpload(store, key, { ...preprocess, etagWhileParsing: true });
    }
    await store.putStream(key, await openFile(file));
    if (rows !== undefined) rows.bytesHint = (await store.head(key))?.size;
    return ingestUpload(store, key, preprocess);
  }
}

/** The upload record of one upload, or undefined while there is none. */
async function readUploadRecord(
  store: ObjectStore,
  dataset: string,
  uploadId: string,
): Promise<UploadRecord | undefined> {
  // A record caught half-written reads as not there yet (the caller polls).
  return readDocument(store, keys.uploadStatus(dataset, uploadId), uploadRecordSchema).catch(() => undefined);
}

/** The recorded reason when the event of this upload (key + etag) is in the dead-letter queue. */
async function deadLetterFor(
  store: ObjectStore,
  dlq: { peek(o?: { limit?: number }): Promise<{ messageId: string; body: string }[]> },
  key: string,
  etag: string,
): Promise<string | undefined> {
  for (const m of await dlq.peek({ limit: 1000 })) {
    let object: { key?: string; eTag?: string } | undefined;
    try {
      object = (JSON.parse(m.body) as { Records?: { s3?: { object?: { key?: string; eTag?: string } } }[] })
        .Records?.[0]?.s3?.object;
    } catch {
      continue;
    }
    if (object?.key === undefined) continue;
    const k = decodeURIComponent(object.key.replace(/\+/g, ' '));
    if (k !== key || (object.eTag !== undefined && object.eTag.replace(/"/g, '') !== etag.replace(/"/g, '')))
      continue;
    return (await messageFailureReason(store, m.messageId)) ?? 'no reason recorded';
  }
  return undefined;
}

/** The object name of an uploaded file: its base name, which must be a plain file name. */
function uploadFileName(file: string): string {
  const name = basename(file);
  if (name === '' || name === '.' || name === '..' || /\p{Cc}/u.test(name) || name.length > 255)
    throw new UsageError(`${excerpt(file)} is not a file name`);
  return name;
}

/** A dataset name from a file name: `data/My File.csv` → `My-File`. */
export function datasetNameFor(file: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return stem === '' ? 'dataset' : stem.slice(0, 100);
}

const PACKAGE_VERSION = readPackageVersion();
