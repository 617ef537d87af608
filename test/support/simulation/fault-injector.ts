import type { CheckpointName } from '../../../lib/engine/training/coordinator.js';
import { FAULT_KINDS, type Fault, type FaultKind } from './fault-plan.js';

type FaultOf<K extends Fault['kind']> = Extract<Fault, { kind: K }>;

const zeros = <K extends string>(names: readonly K[]): Record<K, number> =>
  Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;

/**
 * The fault plan at run time: answers "does a fault fire at this event?" for the actors, by the
 * plan's 1-based event counts, and counts the faults that actually fired.
 */
export class FaultInjector {
  /** Faults that fired, by kind. */
  public readonly injected: Record<FaultKind, number> = zeros(FAULT_KINDS);

  public constructor(private readonly faults: readonly Fault[]) {}

  /** The planned faults of `kind` that `match` an event. */
  public find<K extends Fault['kind']>(kind: K, match: (f: FaultOf<K>) => boolean): FaultOf<K>[] {
    return this.faults.filter((f): f is FaultOf<K> => f.kind === kind && match(f as FaultOf<K>));
  }

  /** How long the `n`-th work message is held back (reorder faults; counted as fired). */
  public workSendDelay(n: number): number {
    const delays = this.find('reorder', (f) => f.index === n);
    this.injected.reorder += delays.length;
    return delays.reduce((s, f) => s + f.delayMs, 0);
  }

  /** The duplicates planned for the `n`-th event of `queue` (counted when the caller fires one). */
  public duplicates(queue: 'work' | 'aggregate', n: number): FaultOf<'duplicate'>[] {
    return this.find('duplicate', (d) => d.queue === queue && d.index === n);
  }

  /** The pauses planned for the `n`-th arrival at `point` (counted when the caller fires one). */
  public stragglers(point: CheckpointName, n: number): FaultOf<'straggler'>[] {
    return this.find('straggler', (s) => s.point === point && s.occurrence === n);
  }

  /** Whether the `n`-th arrival at `point` crashes (counted as fired when it does). */
  public crashes(point: CheckpointName, n: number): boolean {
    if (this.find('crash', (c) => c.point === point && c.occurrence === n).length === 0) return false;
    this.injected.crash++;
    return true;
  }

  /** The kills, in plan order. */
  public kills(): FaultOf<'kill'>[] {
    return this.find('kill', () => true);
  }

  /** Notes that one planned fault of `kind` fired. */
  public fired(kind: FaultKind): void {
    this.injected[kind]++;
  }
}

export { zeros };
