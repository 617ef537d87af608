import type { DatasetManifest } from '../../data/index.js';
import { readDocument } from '../../documents.js';
import { ProtocolError, ShardtrainError } from '../../errors.js';
import type { GradientKernel, ShardResult, TrainState } from '../../optim/index.js';
import { applyRound, computeTask, initTrainState, planRound } from '../../optim/index.js';
import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';
import { isFiniteModel, type ModelArtifact, storedModelDocument } from '../serving/model-artifact.js';
import { buildArtifact } from './build-artifact.js';
import { claimShards, claimsFor } from './claims.js';
import { isDiverged, recordDivergence, TrainingDivergedError } from './diverged.js';
import type { JobSpec } from './job-spec.js';
import {
  type EncodedState,
  encodeState,
  JobCache,
  type JobContext,
  readState,
  shardResultDocument,
  writeJsonIfAbsent,
  writeState,
} from './job-store.js';
import { type LambdaCalibrationHost, timedCompute } from './lambda-calibration.js';
import { planJob } from './plan-job.js';
import {
  INLINE_RESULT_MAX_WORKERS,
  INLINE_STATE_MAX_BYTES,
  type ResultMessage,
  type WorkMessage,
} from './protocol.js';
import { noteFanOut, writeRoundRecord } from './round-records.js';
import { decodeTrainState } from './state-codec.js';
import { inWaves } from './waves.js';

/** Where the coordinator's messages go: the work queue and the aggregate FIFO queue. */
export interface Outbox {
  sendWork(messages: readonly WorkMessage[]): Promise<void>;
  sendResult(message: ResultMessage): Promise<void>;
}

/** A finished job, handed to `onFinish` (model registration). Called at least once per job. */
export interface FinishedJob {
  readonly spec: JobSpec;
  readonly ctx: JobContext;
  readonly state: TrainState;
  readonly artifact: ModelArtifact;
}

/**
 * What the coordinator needs from its host. The same functions run in a Lambda handler, in the
 * local cloud and in the in-process runner; only these dependencies differ.
 */
export interface EngineDeps {
  readonly store: ObjectStore;
  readonly outbox: Outbox;
  readonly kernel: GradientKernel;
  /** Name of the compute backend, recorded in the model. */
  readonly backend: string;
  readonly cache?: JobCache;
  /**
   * Called between two writes, named by the point reached. The fault-injection harness throws
   * here to simulate a crash; production hosts leave it out.
   */
  readonly checkpoint?: (point: CheckpointName) => void | Promise<void>;
  /** Registers the model; must be idempotent per job id (it may run more than once). */
  readonly onFinish?: (job: FinishedJob) => Promise<void>;
  /**
   * Largest state (JSON bytes) sent inline in the work messages; 0 = always read it from the store.
   * @default INLINE_STATE_MAX_BYTES
   */
  readonly inlineStateMaxBytes?: number;
  /**
   * Largest worker result (JSON bytes) sent inline in its result message instead of stored; 0 =
   * always store it. The composition root (`lib/app`) passes `INLINE_RESULT_MAX_BYTES` (protocol.ts) for
   * the local cloud and AWS. Jobs of more than `INLINE_RESULT_MAX_WORKERS` workers store every
   * result whatever this says. @default 0
   */
  readonly inlineResultMaxBytes?: number;
  /**
   * How many of a round's result look-ups (HEAD) and reads (GET) the aggregator has in flight at
   * once. At 1 they go one after the other, W round trips per round: the fan-in that the scale
   * simulation (`shardtrain simulate`) shows dominating rounds at W ≥ 16 on S3; 32 makes them about
   * W/32 round trips. The results are still summed in shard order, so the bits do not change.
   * @default 1
   */
  readonly aggregatorReadConcurrency?: number;
  /**
   * Whether finishing a job deletes its worker results under `scratch/` (the local cloud). On AWS
   * a lifecycle rule expires `scratch/`, so the deletes are left to it. @default true
   */
  readonly deleteScratch?: boolean;
  /**
   * Whether a job started here has its workers claim partitions (see `claims.ts`); stored in the
   * plan, so every worker follows what the start decided. @default W > the cache's partition capacity
   */
  readonly partitionClaims?: boolean;
  /**
   * On a Lambda: its memory size (and a clock), so the worker of shard 0 records its measured
   * gradient rate once per job for the planner (`lambda-calibration.ts`). Absent: nothing recorded.
   */
  readonly lambdaCalibration?: LambdaCalibrationHost;
}

/** What the host knows of a work message's delivery. */
export interface WorkDelivery {
  /**
   * How many times the message has been received, this time included (SQS
   * `ApproximateReceiveCount`); unknown is taken as a possible redelivery.
   */
  readonly receiveCount?: number;
}

/** Every place a crash is injected: between two writes of a handler. */
export const CHECKPOINTS = [
  'start:after-spec',
  'start:after-plan',
  'start:after-state',
  'fanout:after-send',
  'worker:before-result',
  'worker:after-result',
  'aggregator:before-state',
  'aggregator:after-state',
  'finish:after-model',
] as const;
export type CheckpointName = (typeof CHECKPOINTS)[number];

/** What handling one message did; also what the tests count. */
export type Outcome =
  | 'computed'
  | 'resent'
  | 'stale'
  | 'taken'
  | 'waiting'
  | 'applied'
  | 'finished'
  | 'recovered';

const defaultCache = new JobCache();

async function at(deps: EngineDeps, point: CheckpointName): Promise<void> {
  if (deps.checkpoint !== undefined) await deps.checkpoint(point);
}

/**
 * Starts a job: writes spec, plan and the round-0 state (each put-if-absent, so a retried start
 * is harmless) and fans out round 0.
 */
export async function startJob(
  deps: EngineDeps,
  spec: JobSpec,
  manifest: DatasetManifest,
  manifestKey: string,
): Promise<JobContext> {
  const claims =
    deps.partitionClaims ?? claimsFor(spec.workers, (deps.cache ?? defaultCache).partitionCapacity);
  // A plan stored before (the CLI's `train` stores it first, with the default cache) is kept.
  const plan = await planJob(deps.store, spec, manifest, manifestKey, { queued: true, claims });
  await writeJsonIfAbsent(deps.store, keys.job.spec(spec.jobId), spec);
  await at(deps, 'start:after-spec');
  await writeJsonIfAbsent(deps.store, keys.job.plan(spec.jobId), plan);
  await at(deps, 'start:after-plan');
  const ctx = { spec, plan, manifest };
  const state = initTrainState(plan.config);
  const { fresh } = await writeState(deps.store, spec.jobId, state);
  // A start retried after the job finished and its round states were cleaned up must not bring
  // round 0 back: the model is written before the cleanup, so it tells.
  if ((await deps.store.head(keys.job.model(spec.jobId))) !== undefined) {
    if (fresh) await deps.store.delete(keys.job.state(spec.jobId, 0));
    return ctx;
  }
  await at(deps, 'start:after-state');
  await fanOut(deps, ctx, state);
  return ctx;
}

/**
 * Sends the work messages of `state.round`, then marks the fan-out done. A state of at most
 * `inlineStateMaxBytes` rides in the messages as stored (vectors encoded), so workers need not
 * read it from the store. `before`: a write that must be stored before the marker (it runs while
 * the messages are sent).
 */
async function fanOut(
  deps: EngineDeps,
  ctx: JobContext,
  state: TrainState,
  stored?: EncodedState,
  before?: Promise<unknown>,
): Promise<void> {
  // Its failure is reported by the wait below; this keeps it from counting as unhandled meanwhile.
  before?.catch(() => undefined);
  const { jobId } = ctx.spec;
  const max = deps.inlineStateMaxBytes ?? INLINE_STATE_MAX_BYTES;
  const encoded = max > 0 ? (stored ?? encodeState(state)) : undefined;
  const inline =
    encoded !== undefined && Buffer.byteLength(encoded.json) <= max
      ? { state: encoded.doc as unknown as NonNullable<WorkMessage['state']> }
      : {};
  const messages = ctx.plan.partitions.map(
    (_, shard): WorkMessage => ({ v: 1, type: 'work', jobId, round: state.round, shard, ...inline }),
  );
  noteFanOut(jobId, state.round);
  await Promise.all([deps.outbox.sendWork(messages), before]);
  await at(deps, 'fanout:after-send');
  await deps.store.putIfAbsent(keys.job.fanout(jobId, state.round), '');
  (deps.cache ?? defaultCache).rememberFanOut(jobId, state.round);
}

/**
 * Worker: computes partition `shard`'s result for `round` and tells the aggregator. The result is
 * a pure function of (params of the round, partition, seed), so a redelivered message rewrites
 * the same bytes. A round that is already applied is dropped without work.
 *
 * When the plan has `claims`, `shard` names one of the round's W slots instead: the delivery
 * claims a shard, preferring the partitions this process holds, and computes that one (outcome
 * `taken` when a duplicate finds every shard claimed); a redelivery (`delivery.receiveCount` > 1)
 * first completes the shards its slot claimed before. Results and the aggregator are unchanged,
 * so the bits equal those without claims. Semantics and the liveness argument: `claims.ts`.
 */
export async function handleWork(
  deps: EngineDeps,
  msg: WorkMessage,
  delivery: WorkDelivery = {},
): Promise<Outcome> {
  const { store } = deps;
  const cache = deps.cache ?? defaultCache;
  const ctx = await cache.context(store, msg.jobId);
  if (msg.shard >= ctx.plan.partitions.length) {
    throw new ProtocolError(
      `job ${msg.jobId} has ${ctx.plan.partitions.length} partitions, not shard ${msg.shard}`,
    );
  }
  const notify: ResultMessage = {
    v: 1,
    type: 'result',
    jobId: msg.jobId,
    round: msg.round,
    shard: msg.shard,
  };
  const inline = msg.state === undefined ? undefined : decodeInline(msg);
  if (inline !== undefined && inline.round !== msg.round) {
    throw new ProtocolError(`work message for round ${msg.round} carries the state of round ${inline.round}`);
  }
  if ((await store.head(keys.job.state(msg.jobId, msg.round + 1))) !== undefined) return 'stale';
  const claims = ctx.plan.claims === true;
  // With results inline the look-up rarely finds one (only results too big to ride, or stored by
  // an aggregator that acknowledged them early): a first delivery skips it and, if it is a
  // duplicate, computes the same result again, which is dropped as the first one would be.
  const firstDelivery = (deps.inlineResultMaxBytes ?? 0) > 0 && delivery.receiveCount === 1;
  if (
    !claims &&
    !firstDelivery &&
    (await store.head(keys.job.result(msg.jobId, msg.round, msg.shard))) !== undefined
  ) {
    // Computed before, but the notification may have been lost in a crash: send it again.
    await deps.outbox.sendResult(notify);
    return 'resent';
  }
  // Fan-out happens after the state is stored, so a missing state means the job finished and was
  // cleaned up: this is a late duplicate. With the state inline, that check costs a look-up; it is
  // made only where finishing deletes scratch (on AWS a stray result would expire with scratch/).
  const state =
    inline === undefined
      ? await readState(store, msg.jobId, msg.round)
      : deps.deleteScratch === false || (await store.head(keys.job.state(msg.jobId, msg.round))) !== undefined
        ? inline
        : undefined;
  if (state === undefined) return 'stale';
  if (state.status.status !== 'running') return 'stale';
  if (!claims) return computeShard(deps, ctx, state, msg.shard);
  const held = await claimShards({
    store,
    jobId: msg.jobId,
    round: msg.round,
    slot: msg.shard,
    workers: ctx.plan.partitions.length,
    cached: cache.cachedShards(msg.jobId),
    // Only a count known to be 1 is a first delivery (unknown or NaN: maybe redelivered).
    redelivered: !((delivery.receiveCount ?? Number.NaN) <= 1),
  });
  let outcome: Outcome = 'taken';
  for (const { shard, fresh } of held) {
    const key = keys.job.result(msg.jobId, msg.round, shard);
    // A claim held before (an earlier delivery of this slot) may have its result stored already.
    if (!fresh && (await store.head(key)) !== undefined) {
      await deps.outbox.sendResult({ ...notify, shard });
      if (outcome === 'taken') outcome = 'resent';
    } else outcome = await computeShard(deps, ctx, state, shard);
  }
  return outcome;
}

/** Computes `shard`'s result for `state.round`, stores it (put-if-absent) and tells the aggregator. */
async function computeShard(
  deps: EngineDeps,
  ctx: JobContext,
  state: TrainState,
  shard: number,
): Promise<Outcome> {
  const { store } = deps;
  const { jobId } = ctx.spec;
  const partition = await (deps.cache ?? defaultCache).partition(store, ctx, shard);
  const rows = ctx.plan.partitions.map((p) => p.rows);
  const task = planRound(ctx.plan.config, state, rows).tasks[shard]!;
  const timing = { round: state.round, shard, mode: task.mode };
  const result = await timedCompute(store, ctx, timing, deps.lambdaCalibration, deps.kernel.name, () =>
    computeTask(ctx.plan.config, Float64Array.from(state.params), partition, task, deps.kernel),
  );
  await at(deps, 'worker:before-result');
  const json = JSON.stringify(result);
  // A small result rides in the notification (the aggregator stores it if it acknowledges the
  // message before the round is complete). A bigger one is stored: the result is a pure function
  // of the round's inputs, so a first write wins and equals any other.
  const inline =
    ctx.plan.partitions.length <= INLINE_RESULT_MAX_WORKERS &&
    Buffer.byteLength(json) <= (deps.inlineResultMaxBytes ?? 0);
  if (!inline) await store.putIfAbsent(keys.job.result(jobId, state.round, shard), json);
  await at(deps, 'worker:after-result');
  await deps.outbox.sendResult({
    v: 1,
    type: 'result',
    jobId,
    round: state.round,
    shard,
    ...(inline ? { result } : {}),
  });
  return 'computed';
}

/** The state a work message carries, decoded; a `ProtocolError` when it does not decode. */
function decodeInline(msg: WorkMessage): TrainState {
  try {
    return decodeTrainState(msg.state);
  } catch (cause) {
    throw new ProtocolError(`work message for round ${msg.round} carries a state that does not decode`, {
      cause,
    });
  }
}

/** The results a batch carries inline for one round of one job, by shard. */
type InlineResults = ReadonlyMap<number, ShardResult>;

const NO_INLINE: InlineResults = new Map();

/** The inline result of `msg`, checked against the message's round and shard. */
function inlineResultOf(msg: ResultMessage): ShardResult | undefined {
  const r = msg.result;
  if (r === undefined) return undefined;
  if (r.round !== msg.round || r.partition !== msg.shard) {
    throw new ProtocolError(
      `result message for round ${msg.round}, shard ${msg.shard} carries the result of round ${r.round}, partition ${r.partition}`,
    );
  }
  return r;
}

/**
 * Aggregator: when all results of a round are in, sums them in shard order, applies the update
 * and fans out the next round, or finishes the job. Messages of a round that is already applied
 * are acknowledged and dropped; if the fan-out after it was cut short by a crash, it is redone.
 * A result carried inline by `msg` is stored if the round is not complete yet, so that
 * acknowledging the message loses nothing.
 */
export async function handleResult(deps: EngineDeps, msg: ResultMessage): Promise<Outcome> {
  const inline = inlineResultOf(msg);
  return handleRound(deps, msg, inline === undefined ? NO_INLINE : new Map([[msg.shard, inline]]));
}

/**
 * {@link handleResult} for the last message of (job, round) in a batch, with every result the
 * batch carries inline for that round (`inline`): those need no look-up or read, and are stored
 * when the round turns out not to be complete (the batch's messages are acknowledged after this).
 * A warm process remembers what it stored so, and the round's last batch reads none of it back:
 * with results inline, a round whose notifications come in several batches costs the aggregator
 * one look-up and one store per earlier batch, and no reads.
 */
async function handleRound(deps: EngineDeps, msg: ResultMessage, inline: InlineResults): Promise<Outcome> {
  const { store } = deps;
  const cache = deps.cache ?? defaultCache;
  const ctx = await cache.context(store, msg.jobId);
  const { jobId } = ctx.spec;
  // `held`: this process stored round r's state (it applied r − 1) and nothing newer, so round r is
  // the newest it knows. The next state is then not looked up: only another instance can have
  // applied r, and applying it again finds that out (the state's put-if-absent is not fresh).
  const held = cache.state(jobId, msg.round);
  const next =
    cache.state(jobId, msg.round + 1) ??
    (held === undefined ? await readState(store, jobId, msg.round + 1) : undefined);
  if (next !== undefined) return settle(deps, ctx, next);
  const w = ctx.plan.partitions.length;
  // A notification is sent after its result is stored (or carries it, and is stored before it is
  // acknowledged unapplied): only the shards neither noted here nor carried need a look-up, and
  // the first one missing means the round is not complete yet.
  const notified = cache.noteResult(jobId, msg.round, msg.shard);
  const fanIn = deps.aggregatorReadConcurrency ?? 1;
  const unnotified = Array.from({ length: w }, (_, shard) => shard).filter(
    (shard) => !notified.has(shard) && !inline.has(shard),
  );
  const lookUp = (shard: number) => store.head(keys.job.result(jobId, msg.round, shard));
  const allStored = async (): Promise<boolean> => {
    for await (const wave of inWaves(unnotified, fanIn, lookUp)) {
      if (wave.some(([, info]) => info === undefined)) return false;
    }
    return true;
  };
  // With shards neither noted nor carried, a warm aggregator's batch almost never completes its
  // round (only results stored elsewhere would): it stores what it carries while it looks, one
  // store call's time instead of a look-up's and a store's (a store that turns out unneeded writes
  // the worker's own bytes, and scratch is cleared with the job).
  const early = held !== undefined && unnotified.length > 0;
  const [complete] = await Promise.all([
    allStored(),
    early ? storeInline(deps, jobId, msg.round, inline) : undefined,
  ]);
  const waiting = async (): Promise<Outcome> => {
    if (!early) await storeInline(deps, jobId, msg.round, inline);
    cache.rememberResults(jobId, msg.round, inline);
    return 'waiting';
  };
  if (!complete) return waiting();
  const state = held ?? (await readState(store, jobId, msg.round));
  // No state for a round whose results are in: the job finished and was cleaned up (a late duplicate).
  if (state === undefined) return 'stale';
  const results: ShardResult[] = [];
  // Results this process stored itself (carried by notifications it acknowledged earlier) need no read.
  const read = new Map<number, ShardResult>();
  const stored: number[] = [];
  for (let shard = 0; shard < w; shard++) {
    if (inline.has(shard)) continue;
    const r = cache.storedResult(jobId, msg.round, shard);
    if (r === undefined) stored.push(shard);
    else read.set(shard, r);
  }
  const readResult = (shard: number) =>
    readDocument(store, keys.job.result(jobId, msg.round, shard), shardResultDocument);
  for await (const wave of inWaves(stored, fanIn, readResult)) {
    for (const [shard, r] of wave) {
      if (r === undefined) return waiting();
      read.set(shard, r);
    }
  }
  for (let shard = 0; shard < w; shard++) results.push(inline.get(shard) ?? read.get(shard)!);
  const updated = applyRound(ctx.plan.config, state, results);
  await at(deps, 'aggregator:before-state');
  const { fresh, ...encoded } = await writeState(store, jobId, updated);
  // Deterministic: whoever stored this round's state stored these very bytes.
  cache.rememberState(jobId, updated);
  await at(deps, 'aggregator:after-state');
  const outcome = await settle(deps, ctx, updated, fresh ? encoded : undefined);
  return outcome === 'finished' ? 'finished' : 'applied';
}

/** Stores inline results of a round that is not complete yet (put-if-absent: the same bytes). */
async function storeInline(deps: EngineDeps, jobId: string, round: number, inline: InlineResults) {
  const put = ([shard, r]: [number, ShardResult]) =>
    deps.store.putIfAbsent(keys.job.result(jobId, round, shard), JSON.stringify(r));
  for await (const _ of inWaves([...inline], deps.aggregatorReadConcurrency ?? 1, put));
}

/**
 * A batch of result notifications as one SQS FIFO delivery brings them (up to 10, in order). A
 * notification only says "this result is ready", so the ones followed in the batch by another of
 * the same job and round are just noted (outcome `waiting`) and the last one is handled with every
 * result the batch carries inline for that round: one set of look-ups per round and batch instead
 * of one per notification, and none at all for a round whose results all came inline in this
 * batch — the aggregator's fan-in, which the scale simulation shows growing with W·(GET + HEAD)
 * per round when each is handled alone.
 *
 * `after` runs on each message's outcome before the next message is taken (the aggregator's
 * round metrics). A message that fails (in its handling or in `after`) stops the batch with a
 * {@link ResultBatchError}: the messages before it are done, the ones after it were not tried.
 * Acknowledging a noted message whose later twin then fails is safe when the noted result is
 * stored (a notification without a result follows its stored result): the twin comes back and
 * does the round's look-ups. A noted message that carried its result inline is not safe to
 * acknowledge then (its result would be lost), so the failure is reported at the first such
 * message of the failed round instead: it and everything after it in its group come back (the
 * messages of other jobs in between were handled and may be handled again, which is harmless:
 * every step is idempotent).
 */
export async function handleResultBatch(
  deps: EngineDeps,
  msgs: readonly ResultMessage[],
  after?: (msg: ResultMessage, outcome: Outcome) => Promise<void>,
): Promise<Outcome[]> {
  const cache = deps.cache ?? defaultCache;
  const outcomes: Outcome[] = [];
  // Per (job, round): the results carried inline so far in this batch, and the first carrier.
  const carried = new Map<string, { first: number; results: Map<number, ShardResult> }>();
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    const key = `${m.jobId}\u0000${m.round}`;
    const later = msgs.slice(i + 1).some((n) => n.jobId === m.jobId && n.round === m.round);
    try {
      const inline = inlineResultOf(m);
      let group = carried.get(key);
      if (inline !== undefined) {
        group ??= { first: i, results: new Map() };
        carried.set(key, group);
        group.results.set(m.shard, inline);
      }
      let outcome: Outcome;
      if (later) {
        cache.noteResult(m.jobId, m.round, m.shard);
        outcome = 'waiting';
      } else {
        outcome = await handleRound(deps, m, group?.results ?? NO_INLINE);
      }
      if (after !== undefined) await after(m, outcome);
      outcomes.push(outcome);
    } catch (cause) {
      const first = carried.get(key)?.first;
      const at = first !== undefined && first < i ? first : i;
      throw new ResultBatchError(at, outcomes.slice(0, at), cause);
    }
  }
  return outcomes;
}

/**
 * Message `index` of a {@link handleResultBatch} batch failed (`cause`): the ones before it were
 * handled (`outcomes`), the ones after it were not tried.
 */
export class ResultBatchError extends ShardtrainError {
  public constructor(
    public readonly index: number,
    public readonly outcomes: readonly Outcome[],
    cause: unknown,
  ) {
    super(
      `result message ${index} of the batch failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'ResultBatchError';
  }
}

/**
 * After state `s` is stored: record its round (`metrics/`), then finish the job, or make sure
 * round `s.round` was fanned out. The record is written before the fan-out marker, so a stored
 * marker means a stored record; a crash in between is repaired by the redelivered message.
 *
 * `fresh`: this call has just stored `s` (these bytes) for the first time. Nobody can have
 * fanned its round out yet, so instead of the marker the model is checked: an aggregator that
 * stalled past the end of the job (and its clean-up) must not bring a deleted round back.
 */
async function settle(
  deps: EngineDeps,
  ctx: JobContext,
  s: TrainState,
  fresh?: EncodedState,
): Promise<Outcome> {
  const { jobId } = ctx.spec;
  const { store } = deps;
  if (isDiverged(s)) {
    // Nothing to register: the failure (with the step size) is recorded for the waiting CLI.
    const fresh = (await store.head(keys.job.failed(jobId))) === undefined;
    if (fresh) await writeRoundRecord(store, jobId, s);
    await recordDivergence(store, jobId, s);
    return fresh ? 'finished' : 'stale';
  }
  if (s.status.status === 'done') {
    const fresh = (await store.head(keys.job.model(jobId))) === undefined;
    if (fresh) await writeRoundRecord(store, jobId, s);
    try {
      await finishJob(deps, ctx, s);
    } catch (error) {
      if (error instanceof TrainingDivergedError) return 'finished';
      throw error;
    }
    return fresh ? 'finished' : 'stale';
  }
  if (
    fresh === undefined &&
    ((deps.cache ?? defaultCache).fannedOut(jobId, s.round) ||
      (await store.head(keys.job.fanout(jobId, s.round))) !== undefined)
  )
    return 'stale';
  if ((await store.head(keys.job.model(jobId))) !== undefined) {
    if (fresh !== undefined) await store.delete(keys.job.state(jobId, s.round));
    return 'stale';
  }
  // The round's record goes with the send (neither waits for the other), before the marker.
  await fanOut(deps, ctx, s, fresh, writeRoundRecord(store, jobId, s));
  return 'recovered';
}

/** Writes the model (put-if-absent) and registers it. Safe to call again. */
export async function finishJob(
  deps: EngineDeps,
  ctx: JobContext,
  state: TrainState,
): Promise<ModelArtifact> {
  // A diverged job registers nothing (its parameters are the last finite ones, not a model).
  if (isDiverged(state))
    throw new TrainingDivergedError(await recordDivergence(deps.store, ctx.spec.jobId, state));
  const artifact = buildArtifact(ctx.spec, ctx.plan, state, deps.backend);
  // Finite parameters can still fold into infinite coefficients (an enormous step size).
  if (!isFiniteModel(artifact)) {
    const diverged = { ...state, status: { status: 'done', reason: 'diverged' } } as TrainState;
    throw new TrainingDivergedError(await recordDivergence(deps.store, ctx.spec.jobId, diverged));
  }
  await writeJsonIfAbsent(deps.store, keys.job.model(ctx.spec.jobId), artifact);
  await at(deps, 'finish:after-model');
  const stored =
    (await readDocument(deps.store, keys.job.model(ctx.spec.jobId), storedModelDocument)) ?? artifact;
  if ((await deps.store.head(keys.job.registered(ctx.spec.jobId))) !== undefined) return stored;
  if (deps.onFinish !== undefined) await deps.onFinish({ spec: ctx.spec, ctx, state, artifact: stored });
  // Clean up before the marker: a client waiting for `registered` then finds the job as it stays.
  await cleanUpJob(deps, ctx.spec.jobId, state.round);
  await deps.store.putIfAbsent(keys.job.registered(ctx.spec.jobId), '');
  return stored;
}

/**
 * Removes what a finished job no longer needs: the round states before the final one, the
 * fan-out markers and (unless `deleteScratch` is false) the worker results and partition claims. Kept: spec, plan,
 * the final state, the model, the registration marker and the per-round records. Idempotent,
 * and safe against late duplicates: a work or result message whose round state is gone is
 * dropped as stale, and a retried start sees the model and does not fan out again.
 */
export async function cleanUpJob(
  deps: Pick<EngineDeps, 'store' | 'deleteScratch'>,
  jobId: string,
  finalRound: number,
): Promise<number> {
  const { store } = deps;
  const keep = keys.job.state(jobId, finalRound);
  const doomed = [
    ...(await store.list(keys.job.statePrefix(jobId))).filter((i) => i.key !== keep),
    ...(await store.list(keys.job.fanoutPrefix(jobId))),
    ...(deps.deleteScratch === false ? [] : await store.list(keys.job.scratchPrefix(jobId))),
  ].map((i) => i.key);
  for await (const _ of inWaves(doomed, 32, (key) => store.delete(key)));
  return doomed.length;
}
