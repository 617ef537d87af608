import type { VirtualScheduler } from './virtual-scheduler.js';

/** How a simulated queue behaves; times are virtual milliseconds. */
export interface SimQueueSettings {
  /** FIFO: one message in flight per group, in order; sends deduplicated by id. */
  readonly fifo: boolean;
  readonly visibilityTimeoutMs: number;
  /** Deliveries before a message moves to the dead-letter queue (SQS redrive policy). */
  readonly maxReceiveCount: number;
  /** FIFO deduplication window (SQS: 5 minutes). */
  readonly dedupWindowMs?: number;
}

/** One delivery of a message. */
export interface SimDelivery {
  readonly messageId: string;
  readonly body: string;
  /** Handle of this delivery: only the newest one deletes the message. */
  readonly receipt: string;
  readonly receiveCount: number;
  readonly groupId?: string;
}

/** A message that was redriven to the dead-letter queue, with the last error its handler reported. */
export interface DeadLetter {
  readonly queue: string;
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly reason: string;
}

interface Message {
  readonly id: string;
  readonly seq: number;
  readonly body: string;
  readonly groupId: string | undefined;
  visibleAt: number;
  receiveCount: number;
  receipt: string | undefined;
  lastError: string | undefined;
}

/** Counters of one queue. */
export interface SimQueueStats {
  sent: number;
  deduplicated: number;
  received: number;
  deleted: number;
  deadLettered: number;
}

/**
 * An SQS queue in virtual time. Standard: at-least-once, any order (the next delivery is drawn at
 * random among the visible messages). FIFO: per group, the oldest message only, and nothing of a
 * group while one of its messages is in flight; a send whose deduplication id was accepted within
 * the window is dropped. A received message is invisible for the visibility timeout and comes back
 * unless deleted with its newest receipt; past `maxReceiveCount` deliveries it is dead-lettered.
 */
export class SimQueue {
  public readonly stats: SimQueueStats = {
    sent: 0,
    deduplicated: 0,
    received: 0,
    deleted: 0,
    deadLettered: 0,
  };
  public readonly deadLetters: DeadLetter[] = [];
  private readonly messages: Message[] = [];
  private readonly dedup = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;

  public constructor(
    public readonly name: string,
    private readonly settings: SimQueueSettings,
    private readonly sched: VirtualScheduler,
  ) {}

  /** Enqueues a message; false when FIFO deduplication dropped it. */
  public send(
    body: string,
    options: { groupId?: string; deduplicationId?: string; delayMs?: number } = {},
  ): boolean {
    const now = this.sched.now;
    if (this.settings.fifo && options.deduplicationId !== undefined) {
      const first = this.dedup.get(options.deduplicationId);
      if (first !== undefined && now - first < (this.settings.dedupWindowMs ?? 300_000)) {
        this.stats.deduplicated++;
        return false;
      }
      this.dedup.set(options.deduplicationId, now);
    }
    const seq = this.seq++;
    this.messages.push({
      id: `${this.name}-${seq}`,
      seq,
      body,
      groupId: options.groupId,
      visibleAt: now + (options.delayMs ?? 0),
      receiveCount: 0,
      receipt: undefined,
      lastError: undefined,
    });
    this.stats.sent++;
    this.wakeAll();
    return true;
  }

  /** The next delivery, or undefined when nothing is deliverable now. */
  public receive(): SimDelivery | undefined {
    for (;;) {
      const candidates = this.deliverable();
      if (candidates.length === 0) return undefined;
      const m = candidates[this.sched.int(0, candidates.length - 1)]!;
      if (m.receiveCount >= this.settings.maxReceiveCount) {
        this.remove(m);
        this.stats.deadLettered++;
        this.deadLetters.push({
          queue: this.name,
          messageId: m.id,
          body: m.body,
          receiveCount: m.receiveCount,
          reason: m.lastError ?? 'receive count exceeded',
        });
        continue;
      }
      m.receiveCount++;
      m.receipt = `${m.id}#${m.receiveCount}`;
      m.visibleAt = this.sched.now + this.settings.visibilityTimeoutMs;
      this.stats.received++;
      return {
        messageId: m.id,
        body: m.body,
        receipt: m.receipt,
        receiveCount: m.receiveCount,
        ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
      };
    }
  }

  /** Deletes the message if `receipt` is its newest; false for an outdated receipt. */
  public delete(receipt: string): boolean {
    const m = this.messages.find((x) => x.receipt === receipt);
    if (m === undefined) return false;
    this.remove(m);
    this.stats.deleted++;
    this.wakeAll();
    return true;
  }

  /** Records why the handler failed; the message comes back when its visibility timeout ends. */
  public fail(receipt: string, reason: string): void {
    const m = this.messages.find((x) => x.receipt === receipt);
    if (m !== undefined) m.lastError = reason;
  }

  /** When the next message may become deliverable (Infinity: only a send or delete can change that). */
  public nextChangeAt(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const m of this.messages) if (m.visibleAt > this.sched.now && m.visibleAt < at) at = m.visibleAt;
    return at;
  }

  /** Messages not yet deleted or dead-lettered (visible, delayed or in flight). */
  public get size(): number {
    return this.messages.length;
  }

  /** Registers a callback run at the next send or delete (a consumer's long poll). */
  public onChange(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  private deliverable(): Message[] {
    const now = this.sched.now;
    if (!this.settings.fifo) return this.messages.filter((m) => m.visibleAt <= now);
    const heads = new Map<string, Message>();
    const locked = new Set<string>();
    for (const m of this.messages) {
      const group = m.groupId ?? '';
      if (m.receipt !== undefined && m.visibleAt > now) locked.add(group);
      if (!heads.has(group)) heads.set(group, m);
    }
    return [...heads.entries()]
      .filter(([group, m]) => !locked.has(group) && m.visibleAt <= now)
      .map(([, m]) => m);
  }

  private remove(m: Message): void {
    this.messages.splice(this.messages.indexOf(m), 1);
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
