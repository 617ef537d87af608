import { basename, extname } from 'node:path';
import type { Runtime } from '../functions/shared/runtime.js';
import { getRuntime, readPackageVersion } from '../functions/shared/runtime.js';
import { LocalCloud } from '../lib/adapters/local/index.js';
import { ingestUpload, listUploads, type UploadRecord, uploadIdFor } from '../lib/engine/datasets.js';
import { keys } from '../lib/engine/keys.js';
import { InfrastructureError, ShardtrainError } from '../lib/errors.js';
import { type Home, openFile, openHome } from './home.js';

/** The handler modules, next to this file in the source tree and in `dist/`. */
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

  public constructor(
    public readonly root: string,
    private readonly cloudOptions: { workerThreads?: number; visibilityTimeoutSeconds?: number } = {},
    awsHome?: Home,
  ) {
    this.cloudKind = awsHome === undefined ? 'local' : 'aws';
    this.home = awsHome ?? openHome(root);
  }

  /** This package's version, recorded in model lineage. */
  public packageVersion(): string {
    return PACKAGE_VERSION;
  }

  /** Starts the local cloud (once) and returns it; undefined on AWS, where the cloud is deployed. */
  public async startCloud(): Promise<LocalCloud | undefined> {
    if (this.cloudKind === 'aws') return undefined;
    if (this.cloud === undefined) {
      const cloud = new LocalCloud({
        home: this.root,
        handlers: handlerUrls(),
        ...(this.cloudOptions.workerThreads !== undefined
          ? { workerThreads: this.cloudOptions.workerThreads }
          : {}),
        ...(this.cloudOptions.visibilityTimeoutSeconds !== undefined
          ? { visibilityTimeoutSeconds: this.cloudOptions.visibilityTimeoutSeconds }
          : {}),
        ...(process.env.SHARDTRAIN_FAULTS !== undefined
          ? { env: { SHARDTRAIN_FAULTS: process.env.SHARDTRAIN_FAULTS } }
          : {}),
      });
      await cloud.start();
      this.cloud = cloud;
    }
    return this.cloud;
  }

  /** The handlers' runtime for this home (the same one the aggregator in this process uses). */
  public async runtime(): Promise<Runtime> {
    await this.startCloud();
    return getRuntime(process.env);
  }

  public async close(): Promise<void> {
    if (this.cloud !== undefined) {
      await this.cloud.stop();
      this.cloud.close();
      this.cloud = undefined;
    }
  }

  /**
   * Uploads a CSV as `datasets/<dataset>/<file>` through the local cloud: the object-created
   * event runs the preprocess handler. Resolves with the upload record once it is ready; a
   * rejected file throws its `DatasetError` (file, line, column).
   */
  public async upload(file: string, dataset: string, timeoutMs = 3_600_000): Promise<UploadRecord> {
    const source = await openFile(file);
    const key = keys.upload(dataset, basename(file));
    const cloud = await this.startCloud();
    // On AWS the bucket's notification runs the preprocess Lambda; locally the cloud emits the event.
    if (cloud === undefined) await this.home.store.putStream(key, source);
    else await cloud.putObject(key, source);
    const etag = (await this.home.store.head(key))?.etag ?? '';
    const uploadId = uploadIdFor(key, etag);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = (await listUploads(this.home.store, dataset)).find((r) => r.uploadId === uploadId);
      if (record?.state === 'ready') {
        // Also wait for what the upload triggered (drift check, pipeline start) to be done.
        const d = await cloud?.queues.events.depth();
        if (d === undefined || d.visible + d.inFlight === 0) return record;
      }
      // The recorded error already names file, line and column.
      if (record?.state === 'failed') throw new ShardtrainError(record.error);
      if (Date.now() > deadline)
        throw new InfrastructureError(`preprocessing ${file} did not finish in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Preprocesses in this process without the queues (`--runner inprocess`). */
  public async uploadInProcess(file: string, dataset: string): Promise<UploadRecord> {
    const key = keys.upload(dataset, basename(file));
    await this.home.store.putStream(key, await openFile(file));
    return ingestUpload(this.home.store, key);
  }
}

/** A dataset name from a file name: `data/My File.csv` → `My-File`. */
export function datasetNameFor(file: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return stem === '' ? 'dataset' : stem.slice(0, 100);
}

const PACKAGE_VERSION = readPackageVersion();
