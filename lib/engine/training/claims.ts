import type { ObjectStore } from '../../ports.js';
import { keys } from '../keys.js';
import { inWaves } from './waves.js';

/**
 * Partition claims: instance affinity on a queue that has none.
 *
 * An SQS event source hands a round's W work messages to whichever worker instances are idle, so
 * with W larger than what one instance caches, most deliveries land on an instance that does not
 * hold that message's partition and reload it (the scale simulation: ~61 s a round a worker at
 * W = 64). With claims on (the plan's `claims`, decided at job start), a work message for
 * (job, round r, shard s) is one of W interchangeable *slots*: the delivery claims a shard by
 * put-if-absent of `claim(job, r, q)` with body `s`, trying first the shards whose partitions its
 * instance holds (most recently used first), then `s`, then the others in order from `s`, and
 * computes and reports the shard it claimed. Results, notifications and the aggregator are as
 * without claims (one result per (round, shard), put-if-absent), so the bits are the same.
 *
 * Liveness (every round gets its W results). A claim's body names its slot, so claims of
 * different slots are on different shards. Every slot's message is deleted only after a delivery
 * of it completes, and a completed delivery either (a) holds a claim of its slot whose result is
 * stored, or (b) found all W shards claimed. If some delivery ended in (b), all W shards are
 * claimed; otherwise each of the W slots holds a claim, on W distinct shards: all claimed either
 * way. Every claim's result is stored: its writer completes it, or crashed before that, in which
 * case the writer's message comes back with a receive count above 1 and that delivery first looks
 * up the claims bearing its slot (list + read; rare) and completes every one of them, before it
 * claims anything new. Each delivery writes at most one new claim, so W slots never need more
 * than the W shards there are; a duplicate of a slot that finds every shard taken just acks.
 * A claim PUT whose success was lost (the SDK retries, then reads 412) is recognised by its body.
 * That body is read on every contested try, not only after a retried PUT: it is also how a twin
 * first delivery (SQS standard can deliver one message twice, both with receive count 1) finds its
 * slot's claim and completes it. One GET per contested try is the price of that cover.
 *
 * Assumed: a redelivery says so (SQS `ApproximateReceiveCount`, the local queue's count; an
 * unknown count is treated as a redelivery), and no delivery writes a claim after its message has
 * reappeared (the work queue's visibility timeout is six times the worker's timeout).
 */

/**
 * Whether a job's workers claim partitions: when W exceeds the partitions one worker instance
 * caches, so that an instance handed any slot can still compute a partition it holds. With
 * W ≤ capacity every instance ends up holding every partition anyway, and claims would only add
 * a PUT per delivery. Decided once, at job start, and stored in the plan.
 *
 * @example
 * claimsFor(64, 8); // true
 * claimsFor(8, 8); // false
 */
export function claimsFor(workers: number, cachedPartitions: number): boolean {
  return workers > cachedPartitions;
}

/**
 * The order in which a delivery of `slot` tries to claim shards: the cached ones (most recently
 * used first, those of this job only), then the slot's own shard, then the others from the slot on.
 *
 * @example
 * claimOrder(2, 5, [4]); // [4, 2, 3, 0, 1]
 */
export function claimOrder(slot: number, workers: number, cached: readonly number[]): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  const add = (shard: number): void => {
    if (Number.isInteger(shard) && shard >= 0 && shard < workers && !seen.has(shard)) {
      seen.add(shard);
      order.push(shard);
    }
  };
  for (const shard of cached) add(shard);
  for (let i = 0; i < workers; i++) add((slot + i) % workers);
  return order;
}

/** What a delivery claimed. */
export interface HeldClaim {
  readonly shard: number;
  /**
   * True when this delivery has just written the claim, so no result can exist yet; false when
   * the claim was there already (an earlier delivery of the same slot), so its result may be stored.
   */
  readonly fresh: boolean;
}

/** One delivery's request for a shard. */
export interface ClaimRequest {
  readonly store: ObjectStore;
  readonly jobId: string;
  readonly round: number;
  /** The work message's shard: its slot. */
  readonly slot: number;
  readonly workers: number;
  /** Shards of this job whose partitions this process holds, most recently used first. */
  readonly cached: readonly number[];
  /** Whether this delivery may have been made before (receive count above 1, or unknown). */
  readonly redelivered: boolean;
}

/** Claims written or read at once by a look-up of a slot's claims (as the aggregator's reads). */
const READS_IN_FLIGHT = 32;

/**
 * The shards a delivery must complete: on a redelivery, every claim its slot already holds; else
 * the first shard it claims (see {@link claimOrder}); none when every shard is taken.
 *
 * Claim attempts go one at a time: the cached shards and the slot's own first, then one LIST
 * of the round's claims, and only the shards it does not show are tried, so a duplicate that finds
 * everything taken costs a few requests, not W.
 */
export async function claimShards(req: ClaimRequest): Promise<HeldClaim[]> {
  if (req.redelivered) {
    const held = await claimsOfSlot(req);
    if (held.length > 0) return held.map((shard) => ({ shard, fresh: false }));
  }
  const order = claimOrder(req.slot, req.workers, req.cached);
  const first = order.slice(0, order.indexOf(req.slot) + 1);
  for (const shard of first) {
    const held = await tryClaim(req, shard);
    if (held !== undefined) return [held];
  }
  const taken = new Set(
    (await req.store.list(keys.job.claimsPrefix(req.jobId, req.round))).map((info) => info.key),
  );
  for (const shard of order.slice(first.length)) {
    if (taken.has(keys.job.claim(req.jobId, req.round, shard))) continue;
    const held = await tryClaim(req, shard);
    if (held !== undefined) return [held];
  }
  return [];
}

/** Claims `shard` for the slot; a claim already there is this slot's only if its body says so. */
async function tryClaim(req: ClaimRequest, shard: number): Promise<HeldClaim | undefined> {
  const key = keys.job.claim(req.jobId, req.round, shard);
  if (await req.store.putIfAbsent(key, String(req.slot))) return { shard, fresh: true };
  return (await slotOf(req.store, key)) === req.slot ? { shard, fresh: false } : undefined;
}

/** The slot a stored claim names; undefined when it is gone or does not hold a slot number. */
async function slotOf(store: ObjectStore, key: string): Promise<number | undefined> {
  const got = await store.get(key);
  if (got === undefined) return undefined;
  const text = Buffer.from(got.body).toString('utf8');
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The shards whose claims in the round bear `req.slot`, ascending. */
async function claimsOfSlot(req: ClaimRequest): Promise<number[]> {
  const prefix = keys.job.claimsPrefix(req.jobId, req.round);
  const listed = (await req.store.list(prefix)).map((info) => info.key);
  const mine: number[] = [];
  for await (const wave of inWaves(listed, READS_IN_FLIGHT, (key) => slotOf(req.store, key))) {
    for (const [key, slot] of wave) {
      const shard = Number(key.slice(prefix.length));
      if (slot === req.slot && Number.isInteger(shard) && shard < req.workers) mine.push(shard);
    }
  }
  return mine;
}
