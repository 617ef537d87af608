/**
 * Wake-ups for long polls on the local queues: a send commits, then bumps a counter in shared
 * memory and `Atomics.notify`s it; a long poll reads the counter before it looks for messages and
 * then `Atomics.waitAsync`s on that value, so a send in between is never missed (the wait returns
 * at once) and no thread is woken for a queue it is not polling.
 *
 * One block of counters per database file and process, shared by every thread that was handed it
 * ({@link shareQueueWakeups} / {@link adoptQueueWakeups}: the local cloud passes it to its handler
 * threads). This replaced a `BroadcastChannel`, whose `postMessage` takes a lock shared with every
 * receiving thread: on a loaded machine a send waited milliseconds for a descheduled thread, and
 * each send woke every thread. Other processes, and threads not handed the block, still find
 * messages by polling (the broker's `pollIntervalMs`).
 */

/** `Atomics.waitAsync` (ES2024; the project's `lib` is ES2023, Node has it since 16). */
interface AtomicsWaitAsync {
  waitAsync(
    block: Int32Array,
    index: number,
    value: number,
    timeoutMs: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Counters per file; queues hash onto them (a collision only wakes a poll that finds nothing). */
const SLOTS = 64;

const blocks = new Map<string, Int32Array>();

/** The counters for `file` in this thread, created on first use. */
export function queueWakeups(file: string): Int32Array {
  let block = blocks.get(file);
  if (block === undefined) {
    block = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
    blocks.set(file, block);
  }
  return block;
}

/** A private block (an in-memory database, whose queues no other broker can see). */
export function privateQueueWakeups(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOTS * 4));
}

/** The shared memory of `file`'s counters, to hand to a thread (in its `workerData`). */
export function shareQueueWakeups(file: string): SharedArrayBuffer {
  return queueWakeups(file).buffer as SharedArrayBuffer;
}

/**
 * In a thread: use the counters another thread shared for `file`. Call it before any broker on
 * `file` opens in this thread; a block this thread already had is replaced.
 */
export function adoptQueueWakeups(file: string, shared: SharedArrayBuffer): void {
  blocks.set(file, new Int32Array(shared));
}

function slotOf(queue: string): number {
  let h = 2166136261;
  for (let i = 0; i < queue.length; i++) h = Math.imul(h ^ queue.charCodeAt(i), 16777619);
  return (h >>> 0) % SLOTS;
}

/** Sends so far to `queue` (its slot): read it before looking for messages, then wait on it. */
export function sendCount(block: Int32Array, queue: string): number {
  return Atomics.load(block, slotOf(queue));
}

/** Tells the polls of `queue` in every thread sharing `block` that something was sent. */
export function notifySend(block: Int32Array, queue: string): void {
  const slot = slotOf(queue);
  Atomics.add(block, slot, 1);
  Atomics.notify(block, slot);
}

/**
 * Resolves when `queue`'s count is no longer `seen` (at once if it already moved), or after `ms`.
 * A referenced timer keeps the event loop alive for the wait, as a sleep would.
 */
export function waitForSend(block: Int32Array, queue: string, seen: number, ms: number): Promise<void> {
  const wait = (Atomics as unknown as AtomicsWaitAsync).waitAsync(block, slotOf(queue), seen, ms);
  if (!wait.async) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void wait.value.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
