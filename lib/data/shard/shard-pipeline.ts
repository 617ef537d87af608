import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ColumnType } from '../csv/row-decoder.js';
import { DatasetStatsAccumulator, type DatasetSummary } from '../stats/dataset-stats.js';
import { type Compression, encodeShardAsync } from './shard-codec.js';

/** Messages to a shard thread. */
export type ShardThreadRequest =
  | {
      readonly type: 'start';
      readonly types: readonly ColumnType[];
      readonly maxComomentColumns: number;
    }
  | { readonly type: 'add'; readonly id: number; readonly data: Float32Array; readonly rows: number }
  | {
      readonly type: 'encode';
      readonly id: number;
      readonly data: Float32Array;
      readonly rows: number;
      readonly cols: number;
      readonly compression: Compression;
    }
  | { readonly type: 'summary' };

/** Messages from a shard thread. */
export type ShardThreadReply =
  | { readonly type: 'done'; readonly id: number; readonly bytes?: Uint8Array }
  | { readonly type: 'summary'; readonly summary: DatasetSummary }
  | { readonly type: 'error'; readonly message: string };

/** Files of at least this many bytes use the shard threads; smaller ones stay in one thread. */
export const THREAD_MIN_BYTES = 4 * 1024 * 1024;

type Waiter<T> = { resolve: (value: T) => void; reject: (error: Error) => void };

/** One worker thread and the replies it owes. */
class ShardThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter<ShardThreadReply>>();
  private summaryWaiter: Waiter<DatasetSummary> | undefined;
  private failure: Error | undefined;
  private nextId = 0;

  public constructor(entry: { url: URL; fromSource: boolean }) {
    this.worker = entry.fromSource
      ? new Worker(new URL('../../adapters/local/ts-thread-bootstrap.mjs', import.meta.url), {
          workerData: { entry: entry.url.href },
        })
      : new Worker(entry.url);
    this.worker.unref();
    this.worker.on('message', (reply: ShardThreadReply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`shard thread exited with code ${code}`));
    });
  }

  public post(request: ShardThreadRequest): void {
    this.worker.postMessage(request);
  }

  /** Posts a request carrying a fresh id; resolves with the thread's `done` reply. */
  public call(make: (id: number) => ShardThreadRequest): Promise<ShardThreadReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post(make(id));
    });
  }

  public summary(): Promise<DatasetSummary> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.summaryWaiter = { resolve, reject };
      this.post({ type: 'summary' });
    });
  }

  public async close(): Promise<void> {
    this.failure ??= new Error('shard thread closed');
    await this.worker.terminate();
  }

  private onReply(reply: ShardThreadReply): void {
    if (reply.type === 'done') {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply);
    } else if (reply.type === 'summary') {
      this.summaryWaiter?.resolve(reply.summary);
      this.summaryWaiter = undefined;
    } else {
      this.fail(new Error(`shard thread: ${reply.message}`));
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.summaryWaiter?.reject(error);
    this.summaryWaiter = undefined;
  }
}

/**
 * SHA-256, statistics and shard encoding of what a parser reads. For a big file (the caller
 * decides, from {@link THREAD_MIN_BYTES}) two `worker_threads` threads do the work — one
 * summarises the blocks, one compresses them — reading the parser's `SharedArrayBuffer`-backed
 * blocks without a copy. The SHA-256 stays in the calling thread: handing a chunk to a thread
 * means copying it into fresh shared memory, which cost twice what hashing it here does (issue 9
 * profile of `train --data` on 59 MB: 1.0 s of copies against 0.5 s of SHA-256, under load).
 * Otherwise everything happens in the calling thread (compression on the libuv pool). Blocks are
 * summarised in the order they are submitted, so the statistics are bit-for-bit the same either
 * way. Where the thread entry is absent (a one-file bundle) it stays in the calling thread.
 *
 * The caller must not change a submitted block until its `encode` promise settles.
 */
export class ShardPipeline {
  private readonly threads: { stats: ShardThread; codec: ShardThread } | undefined;
  private local: DatasetStatsAccumulator | undefined;
  private readonly hash: Hash = createHash('sha256');

  public constructor(
    private readonly compression: Compression,
    wantThreads: boolean,
  ) {
    const entry = wantThreads ? threadEntry() : undefined;
    if (entry !== undefined) {
      this.threads = { stats: new ShardThread(entry), codec: new ShardThread(entry) };
    }
  }

  /** Whether the work goes to separate threads. */
  public get threaded(): boolean {
    return this.threads !== undefined;
  }

  /** Feeds raw file bytes to the SHA-256. */
  public update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  /** Hex SHA-256 of everything passed to {@link update}. */
  public async digest(): Promise<string> {
    return this.hash.digest('hex');
  }

  /** Column types are known (first block): statistics start. */
  public begin(types: readonly ColumnType[], maxComomentColumns: number): void {
    if (this.threads === undefined) this.local = new DatasetStatsAccumulator(types, maxComomentColumns);
    else this.threads.stats.post({ type: 'start', types, maxComomentColumns });
  }

  /** Adds the block to the statistics and resolves with its encoded shard bytes. */
  public async encode(data: Float32Array, rows: number, cols: number): Promise<Uint8Array> {
    if (this.threads === undefined) {
      this.local!.addBlock(data, rows);
      return encodeShardAsync({ rows, cols, data }, this.compression);
    }
    const { stats, codec } = this.threads;
    const compression = this.compression;
    const [, encoded] = await Promise.all([
      stats.call((id) => ({ type: 'add', id, data, rows })),
      codec.call((id) => ({ type: 'encode', id, data, rows, cols, compression })),
    ]);
    return (encoded as { bytes: Uint8Array }).bytes;
  }

  /** Statistics of every block submitted so far. */
  public summary(): Promise<DatasetSummary> {
    return this.threads === undefined ? Promise.resolve(this.local!.result()) : this.threads.stats.summary();
  }

  /** Stops the threads (if any). */
  public async close(): Promise<void> {
    if (this.threads !== undefined)
      await Promise.all([this.threads.stats.close(), this.threads.codec.close()]);
  }
}

/**
 * The thread's entry next to this module: `.js` in the build, `.ts` when running from sources
 * (tests, tsx; started through the tsx bootstrap), `.mjs` beside a Lambda bundle (one file per
 * function; the CDK bundles this entry next to it, see `threadBundleCommands` in cdk/). `undefined`
 * where none is there, and then the pipeline stays in the calling thread.
 */
function threadEntry(): { url: URL; fromSource: boolean } | undefined {
  const fromSource = import.meta.url.endsWith('.ts');
  for (const ext of fromSource ? ['ts'] : ['js', 'mjs']) {
    const url = new URL(`./shard-thread.${ext}`, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return { url, fromSource };
  }
  return undefined;
}
