import { z } from 'zod';
import type { DatasetManifest } from '../../data/index.js';
import { datasetManifestSchema } from '../../data/index.js';
import { readDocument, requireDocument, storedAs } from '../../documents.js';
import { NotFoundError, ProtocolError, type ShardtrainError } from '../../errors.js';
import type { Batch, ShardResult, TrainState } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';
import type { JobPlan } from './job-plan.js';
import { type JobSpec, jobSpecSchema } from './job-spec.js';
import { loadPartition } from './partition-data.js';
import {
  encodeTrainState,
  STATE_DOCUMENT_VERSION,
  type StoredTrainState,
  storedTrainState,
} from './state-codec.js';

const count = z.number().int().nonnegative();

/**
 * `jobs/<id>/state/<round>.json`, read as the {@link TrainState} it holds (float64 vectors
 * decoded bit for bit; older plain-JSON documents as they are, see `state-codec.ts`): the round is
 * checked, and the fields every reader uses are checked when present (a report reads a state for
 * its last record alone).
 */
export const trainStateDocument: z.ZodType<TrainState, unknown> = storedAs<unknown>(
  z.looseObject({
    v: z.union([z.literal(1), z.literal(STATE_DOCUMENT_VERSION)]).optional(),
    round: count,
    epoch: count.optional(),
    params: z.union([z.array(z.number()), z.string()]).optional(),
    status: z.looseObject({ status: z.enum(['running', 'done']) }).optional(),
    last: z.looseObject({ round: count, epoch: count }).nullable().optional(),
  }),
).pipe(storedTrainState);

/** A round state as stored: the document (vectors encoded) and its JSON, the bytes put. */
export interface EncodedState {
  readonly doc: StoredTrainState;
  readonly json: string;
}

/** The stored form of `state` and its bytes (deterministic: equal states give equal bytes). */
export function encodeState(state: TrainState): EncodedState {
  const doc = encodeTrainState(state);
  return { doc, json: JSON.stringify(doc) };
}

/**
 * Stores the state of `state.round` unless one is there (round states are immutable); returns
 * whether this call wrote it, and what it wrote or would have written.
 */
export async function writeState(
  store: ObjectStore,
  jobId: string,
  state: TrainState,
): Promise<EncodedState & { readonly fresh: boolean }> {
  const encoded = encodeState(state);
  const fresh = await store.putIfAbsent(keys.job.state(jobId, state.round), encoded.json);
  return { ...encoded, fresh };
}

/** `jobs/<id>/plan.json`. */
export const jobPlanDocument = storedAs<JobPlan>(
  z.looseObject({
    v: z.literal(1),
    jobId: z.string(),
    manifestKey: z.string(),
    config: z.looseObject({}),
    transform: z.looseObject({}),
    target: z.looseObject({ kind: z.enum(['regression', 'classification']) }),
    partitions: z.array(z.object({ start: count, end: count, rows: count })),
    claims: z.literal(true).optional(),
  }),
);

/** `scratch/jobs/<id>/results/<round>/<shard>.json`: one worker's answer. */
export const shardResultDocument = storedAs<ShardResult>(
  z.looseObject({ v: z.literal(1), kind: z.string(), round: count, partition: count }),
);

/** The spec of a job; `missing()` (default: `NotFoundError` naming the job) when there is none. */
export function readJobSpec(
  store: ObjectStore,
  jobId: string,
  missing: () => ShardtrainError = () => new NotFoundError(`no job "${jobId}" (see: shardtrain jobs)`),
): Promise<JobSpec> {
  return requireDocument(store, keys.job.spec(jobId), jobSpecSchema, missing);
}

/** Writes a JSON document only if none is there; true when this call wrote it. */
export function writeJsonIfAbsent(store: ObjectStore, key: string, value: unknown): Promise<boolean> {
  return store.putIfAbsent(key, JSON.stringify(value));
}

/** The immutable documents of a job, loaded once per process and cached. */
export interface JobContext {
  readonly spec: JobSpec;
  readonly plan: JobPlan;
  readonly manifest: DatasetManifest;
}

/** Partitions a worker process caches by default (a job with more workers claims partitions). */
export const WORKER_CACHE_PARTITIONS = 8;

/**
 * Per-process cache of job documents and loaded partitions. A warm Lambda keeps its partition
 * between rounds, so only the parameters travel each round. Bounded: least recently used out.
 */
export class JobCache {
  private readonly contexts = new Map<string, JobContext>();
  private readonly partitions = new Map<string, Batch>();
  private readonly states = new Map<string, TrainState>();
  private readonly fanouts = new Map<string, number>();
  private readonly results = new Map<
    string,
    { round: number; shards: Set<number>; stored: Map<number, ShardResult> }
  >();

  public constructor(private readonly maxPartitions = WORKER_CACHE_PARTITIONS) {}

  /** How many partitions this cache holds at most (a job with more workers claims partitions). */
  public get partitionCapacity(): number {
    return this.maxPartitions;
  }

  /** The shards of `jobId` whose partitions are held here, most recently used first. */
  public cachedShards(jobId: string): number[] {
    const prefix = `${jobId}/`;
    return [...this.partitions.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => Number(key.slice(prefix.length)))
      .reverse();
  }

  /**
   * The newest round state this process stored for `jobId`, if it is the one of `round`. Round
   * states are immutable once stored (put-if-absent of deterministic bytes), so the aggregator
   * need not read back what it wrote.
   */
  public state(jobId: string, round: number): TrainState | undefined {
    const s = this.states.get(jobId);
    return s?.round === round ? s : undefined;
  }

  /**
   * Notes that the result of (round, shard) is stored (its notification arrived here) and returns
   * every shard of that round noted so far in this process. One round per job is kept.
   */
  public noteResult(jobId: string, round: number, shard: number): ReadonlySet<number> {
    const entry = this.roundEntry(jobId, round);
    entry.shards.add(shard);
    return entry.shards;
  }

  /**
   * Remembers results of (job, round) that this process has just stored (an aggregator that
   * acknowledged inline results before their round was complete), so that the round's last
   * notification takes them from here instead of reading them back: a result is a pure function
   * of the round's inputs, so the stored bytes are these. Kept with the notes of
   * {@link JobCache.noteResult}: one round per job, at most 64 jobs.
   */
  public rememberResults(jobId: string, round: number, results: ReadonlyMap<number, ShardResult>): void {
    const entry = this.roundEntry(jobId, round);
    for (const [shard, result] of results) entry.stored.set(shard, result);
  }

  /** A result of (job, round) remembered by {@link JobCache.rememberResults}, if any. */
  public storedResult(jobId: string, round: number, shard: number): ShardResult | undefined {
    const entry = this.results.get(jobId);
    return entry?.round === round ? entry.stored.get(shard) : undefined;
  }

  /** The notes of (job, round), started afresh when the job's noted round was another. */
  private roundEntry(jobId: string, round: number) {
    let entry = this.results.get(jobId);
    if (entry?.round !== round) {
      entry = { round, shards: new Set<number>(), stored: new Map<number, ShardResult>() };
      this.results.delete(jobId);
      this.results.set(jobId, entry);
      if (this.results.size > 64) this.results.delete(this.results.keys().next().value!);
    }
    return entry;
  }

  /** Whether this process stored the fan-out marker of `round` (so it need not look it up). */
  public fannedOut(jobId: string, round: number): boolean {
    return this.fanouts.get(jobId) === round;
  }

  /** Notes that this process stored the fan-out marker of `round`. */
  public rememberFanOut(jobId: string, round: number): void {
    this.fanouts.delete(jobId);
    this.fanouts.set(jobId, round);
    if (this.fanouts.size > 64) this.fanouts.delete(this.fanouts.keys().next().value!);
  }

  /** Remembers `state` as stored (see {@link JobCache.state}); one per job, bounded. */
  public rememberState(jobId: string, state: TrainState): void {
    this.states.delete(jobId);
    this.states.set(jobId, state);
    if (this.states.size > 64) this.states.delete(this.states.keys().next().value!);
  }

  public async context(store: ObjectStore, jobId: string): Promise<JobContext> {
    const hit = this.contexts.get(jobId);
    if (hit !== undefined) return hit;
    const ctx = await loadJobContext(store, jobId);
    this.contexts.set(jobId, ctx);
    if (this.contexts.size > 64) this.contexts.delete(this.contexts.keys().next().value!);
    return ctx;
  }

  public async partition(store: ObjectStore, ctx: JobContext, shard: number): Promise<Batch> {
    const key = `${ctx.spec.jobId}/${shard}`;
    const hit = this.partitions.get(key);
    if (hit !== undefined) {
      this.partitions.delete(key);
      this.partitions.set(key, hit);
      return hit;
    }
    const batch = await loadPartition(store, ctx.manifest, ctx.spec, ctx.plan, shard);
    this.partitions.set(key, batch);
    if (this.partitions.size > this.maxPartitions)
      this.partitions.delete(this.partitions.keys().next().value!);
    return batch;
  }
}

/** Loads spec, plan and manifest of a job; `ProtocolError` when the job does not exist. */
export async function loadJobContext(store: ObjectStore, jobId: string): Promise<JobContext> {
  const spec = await readJobSpec(store, jobId, () => new ProtocolError(`job ${jobId} does not exist`));
  const plan = await requireDocument(
    store,
    keys.job.plan(jobId),
    jobPlanDocument,
    () => new ProtocolError(`job ${jobId} has no plan yet`),
  );
  const manifest = await requireDocument(
    store,
    plan.manifestKey,
    datasetManifestSchema,
    () => new NotFoundError(`dataset manifest ${plan.manifestKey} of job ${jobId} is missing`),
  );
  return { spec, plan, manifest };
}

/** The training state at the start of `round`, if it was written. */
export function readState(store: ObjectStore, jobId: string, round: number): Promise<TrainState | undefined> {
  return readDocument(store, keys.job.state(jobId, round), trainStateDocument);
}

/** The newest state written for a job (the highest round), if any. */
export async function latestState(store: ObjectStore, jobId: string): Promise<TrainState | undefined> {
  const list = await store.list(keys.job.statePrefix(jobId));
  const last = list.at(-1);
  return last === undefined ? undefined : readDocument(store, last.key, trainStateDocument);
}
