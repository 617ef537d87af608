/**
 * A throwaway shardtrain home for one bench section, and the two ways of running a job on it:
 * through the embedded local cloud (queues, worker threads, the Lambda handlers) and through the
 * in-process runner. Both time every round, so the difference is the coordination overhead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitForJob } from '../cli/commands/job-progress.js';
import type { Io } from '../cli/output.js';
import { Session } from '../cli/session.js';
import { backendLabel } from '../functions/shared/runtime.js';
import type { DatasetManifest } from '../lib/data/index.js';
import { resolveDataset } from '../lib/engine/datasets/uploads.js';
import { buildJobSpec } from '../lib/engine/training/build-job-spec.js';
import { startJob } from '../lib/engine/training/coordinator.js';
import { runInProcess } from '../lib/engine/training/in-process-runner.js';
import type { JobSpec, TrainOptions } from '../lib/engine/training/job-spec.js';
import { latestState } from '../lib/engine/training/job-store.js';
import { readRoundRecords } from '../lib/engine/training/round-records.js';
import type { TrainState } from '../lib/optim/index.js';
import { selectBackend } from '../lib/optim/index.js';
import { diffs } from './stats.js';

/** A dataset as stored in a bench home. */
export interface StoredDataset {
  readonly name: string;
  readonly manifest: DatasetManifest;
  readonly manifestKey: string;
}

/** What one run of a job measured. `roundMs[i]` is the wall time of round i+1 (round 0 is warm-up). */
export interface JobRun {
  readonly runner: 'local' | 'inprocess';
  readonly jobId: string;
  readonly rounds: number;
  /** From the start call until the final state was written. */
  readonly trainMs: number;
  /** Wall time of rounds 1..R−1 (round 0 loads partitions and is left out). */
  readonly roundMs: number[];
  /** `atMs[r]`: ms after the start call when the state at the start of round r existed (r ≥ 1). */
  readonly atMs: number[];
  readonly finalState: TrainState;
  readonly backend: string;
}

const silentIo: Io = { out: () => undefined, err: () => undefined, isTty: false };

/** A temp directory holding a `Session` (its local cloud starts on the first local run). */
export class BenchHome {
  private constructor(
    public readonly dir: string,
    public readonly session: Session,
  ) {}

  /** Creates the home under the OS temp directory; `workerThreads` for the local cloud (default 2). */
  public static async open(label: string, workerThreads?: number): Promise<BenchHome> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `shardtrain-bench-${label}-`));
    const session = new Session(dir, workerThreads !== undefined ? { workerThreads } : {});
    return new BenchHome(dir, session);
  }

  /** Preprocesses `file` in this process (no queues) as dataset `name`. */
  public async ingest(file: string, name: string): Promise<StoredDataset> {
    await this.session.uploadInProcess(file, name);
    const { manifest, manifestKey } = await resolveDataset(this.session.home.store, name);
    return { name, manifest, manifestKey };
  }

  /** A job spec as `shardtrain train` builds it: every numeric column but `target` is a feature. */
  public spec(
    ds: StoredDataset,
    target: string,
    model: JobSpec['model'],
    workers: number,
    options: TrainOptions,
  ): JobSpec {
    return buildJobSpec(
      { dataset: ds.name, target, model, modelName: ds.name, workers, options },
      ds.manifest,
    );
  }

  /** Runs `spec` through the local cloud and times each round from the stored states' mtimes. */
  public async runLocal(ds: StoredDataset, spec: JobSpec): Promise<JobRun> {
    const runtime = await this.session.runtime();
    const { store } = this.session.home;
    const startedAt = Date.now();
    await startJob(runtime.engine(), spec, ds.manifest, ds.manifestKey);
    await waitForJob(this.session, spec.jobId, silentIo, false);
    const finalState = await latestState(store, spec.jobId);
    if (finalState === undefined) throw new Error(`job ${spec.jobId} wrote no state`);
    // the record of round r is written when round r is applied: its time ends round r
    const records = await readRoundRecords(store, spec.jobId);
    const ends = [0, ...records.map((r) => r.atMs - startedAt)];
    return {
      runner: 'local',
      jobId: spec.jobId,
      rounds: finalState.round,
      trainMs: ends.at(-1)!,
      roundMs: diffs(ends.slice(1)),
      atMs: [Number.NaN, ...ends.slice(1)],
      finalState,
      backend: backendLabel(runtime.backend),
    };
  }

  /** Runs `spec` with the in-process runner (same plan, partitions and kernel choice). */
  public async runInProcess(ds: StoredDataset, spec: JobSpec): Promise<JobRun> {
    const selection = await selectBackend();
    const ends: number[] = [Number.NaN];
    const t0 = performance.now();
    const result = await runInProcess(
      { store: this.session.home.store, kernel: selection.kernel, backend: backendLabel(selection) },
      spec,
      ds.manifest,
      ds.manifestKey,
      () => {
        ends.push(performance.now() - t0);
      },
    );
    return {
      runner: 'inprocess',
      jobId: spec.jobId,
      rounds: result.state.round,
      trainMs: performance.now() - t0,
      roundMs: diffs(ends.slice(1)),
      atMs: ends,
      finalState: result.state,
      backend: backendLabel(selection),
    };
  }

  /** Stops the local cloud and deletes the directory. */
  public async close(): Promise<void> {
    await this.session.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** True when both parameter vectors have the same length and bit-identical entries. */
export function sameBits(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Largest |a_i − b_i| (Infinity when the lengths differ). */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}
