import { seededRng } from '../examples/random.js';

/** A simulated thread of control (a Lambda instance, a CLI client); `kill` abandons it. */
export interface SimProcess {
  readonly id: number;
  readonly name: string;
  alive: boolean;
}

interface ScheduledEvent {
  readonly at: number;
  readonly seq: number;
  /** Resumes its process (or runs a timer); false when there was nothing left to do. */
  readonly fire: () => boolean;
}

/** A parked process: resumes at its deadline or, earlier, when someone calls `wake`. */
export interface Parked {
  readonly resumed: Promise<void>;
  wake(): void;
}

/** Thrown by {@link VirtualScheduler.run} when the simulation does not come to rest. */
export class SimulationLimitError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SimulationLimitError';
  }
}

/**
 * Discrete-event scheduler in virtual time. Simulated processes are ordinary async functions that
 * only ever wait on this scheduler (`sleep`/`park`); exactly one of them runs at a time, and the
 * next one to resume is the earliest event, ties broken by insertion order. So a run is a pure
 * function of its seed: no real clock, no real sleep, no thread-pool race decides anything.
 *
 * A process that awaits something else (e.g. zlib on the libuv pool) simply counts as running
 * until it parks again; {@link run} waits for it before firing the next event.
 *
 * A process may fork (`Promise.all` over store calls, as the aggregator's parallel reads do): each
 * branch parks on its own. Accounting is therefore per process — `hot` branches resumed and not yet
 * parked again, `parked` branches waiting for an event — and a process never counts below zero. A
 * branch that ends while its siblings are still parked is invisible to the scheduler; when nothing
 * happens for a few event-loop turns and every process still counted as running has parked
 * siblings, {@link quiesce} takes those branches as ended. (A forked branch that awaits real I/O
 * would be misjudged by that rule; none does: the forks are store calls, in memory here.)
 */
export class VirtualScheduler {
  /** Virtual milliseconds since the start. */
  public now = 0;
  /** Events fired so far. */
  public steps = 0;
  private readonly heap: ScheduledEvent[] = [];
  private seq = 0;
  /** Sum of every process's `hot` count: branches resumed and not yet parked again. */
  private running = 0;
  /** Calls into the scheduler so far (a quiet turn is one where this does not move). */
  private activity = 0;
  private readonly accounts = new Map<number, { hot: number; parked: number }>();
  private nextId = 0;
  private readonly rng: ReturnType<typeof seededRng>;
  private readonly failures: unknown[] = [];

  public constructor(seed: number) {
    this.rng = seededRng(seed);
  }

  /** A uniform draw in [0, 1) from the scheduler's seeded stream. */
  public uniform(): number {
    return this.rng.uniform();
  }

  /** A uniform integer in [lo, hi]. */
  public int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.uniform() * (hi - lo + 1));
  }

  /** Starts `body` as a new process; it runs at once until it first parks. */
  public spawn(name: string, body: (proc: SimProcess) => Promise<void>): SimProcess {
    const proc: SimProcess = { id: this.nextId++, name, alive: true };
    const account = { hot: 1, parked: 0 };
    this.accounts.set(proc.id, account);
    this.running++;
    this.activity++;
    const end = (): void => {
      this.running -= account.hot;
      account.hot = 0;
      this.activity++;
      if (account.parked === 0) this.accounts.delete(proc.id);
    };
    body(proc).then(end, (error: unknown) => {
      end();
      if (proc.alive) this.failures.push(error);
    });
    return proc;
  }

  /** Abandons a process: it never resumes (its pending promise is dropped). */
  public kill(proc: SimProcess): void {
    proc.alive = false;
  }

  /** Runs `fn` at virtual time `now + delayMs`, outside any process. */
  public timer(delayMs: number, fn: () => void): void {
    this.push(this.now + delayMs, () => {
      fn();
      return true;
    });
  }

  /** Parks `proc` for `ms` virtual milliseconds. */
  public sleep(proc: SimProcess, ms: number): Promise<void> {
    return this.park(proc, this.now + ms).resumed;
  }

  /** Parks `proc` until virtual time `at` (Infinity: until woken). */
  public park(proc: SimProcess, at: number): Parked {
    const account = this.account(proc);
    account.parked++;
    if (account.hot > 0) {
      account.hot--;
      this.running--;
    }
    this.activity++;
    let done = false;
    let resolve!: () => void;
    const resumed = new Promise<void>((r) => {
      resolve = r;
    });
    const fire = (): boolean => {
      if (done || !proc.alive) return false;
      done = true;
      account.parked--;
      account.hot++;
      this.running++;
      this.activity++;
      resolve();
      return true;
    };
    if (Number.isFinite(at)) this.push(Math.max(at, this.now), fire);
    return {
      resumed,
      wake: () => {
        if (!done) this.push(this.now, fire);
      },
    };
  }

  /**
   * Fires events in time order until none is left or the next one is later than `stopAt`.
   * @throws SimulationLimitError past `maxSteps` events or `maxTimeMs` of virtual time.
   */
  public async run(options: { maxSteps: number; maxTimeMs: number; stopAt?: number }): Promise<void> {
    await this.quiesce();
    while (this.heap.length > 0) {
      if (options.stopAt !== undefined && this.heap[0]!.at > options.stopAt) return;
      const event = this.pop();
      if (event.at > options.maxTimeMs) {
        throw new SimulationLimitError(
          `simulation still busy at virtual ${event.at} ms (limit ${options.maxTimeMs})`,
        );
      }
      if (++this.steps > options.maxSteps) {
        throw new SimulationLimitError(`simulation still busy after ${options.maxSteps} events`);
      }
      this.now = event.at;
      if (event.fire()) await this.quiesce();
      if (this.failures.length > 0) throw this.failures[0];
    }
  }

  /** Lets the resumed process run until it parks or ends. */
  private async quiesce(): Promise<void> {
    let seen = this.activity;
    let quietTurns = 0;
    for (let spins = 0; this.running > 0; spins++) {
      if (spins < 200) {
        await Promise.resolve();
        continue;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.activity !== seen) {
        seen = this.activity;
        quietTurns = 0;
      } else if (++quietTurns >= QUIET_TURNS && this.onlyForkedBranchesHot()) {
        // Every process still counted as running has siblings parked: its resumed branch ended.
        for (const account of this.accounts.values()) {
          this.running -= account.hot;
          account.hot = 0;
        }
      }
    }
  }

  private onlyForkedBranchesHot(): boolean {
    for (const account of this.accounts.values()) if (account.hot > 0 && account.parked === 0) return false;
    return true;
  }

  private account(proc: SimProcess): { hot: number; parked: number } {
    let account = this.accounts.get(proc.id);
    if (account === undefined) {
      account = { hot: 0, parked: 0 };
      this.accounts.set(proc.id, account);
    }
    return account;
  }

  private push(at: number, fire: () => boolean): void {
    const event = { at, seq: this.seq++, fire };
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): ScheduledEvent {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Event-loop turns without any scheduler call before a forked process's branch is taken as ended. */
const QUIET_TURNS = 3;

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
