import type { CheckpointName } from '../../lib/engine/training/coordinator.js';
import { seededRng } from '../../lib/examples/random.js';

/** Thrown by the fault injector: a handler "dies" between two of its writes. */
export class InjectedCrash extends Error {
  public constructor(point: string) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * The local cloud's crash injector, configured by `SHARDTRAIN_FAULTS` = JSON
 * `{ "seed": 1, "crashRate": 0.05, "delayMs": 0 }`: at each checkpoint the handler crashes with
 * that probability (seeded, per process); `delayMs` > 0 first pauses there (slow handlers, so a
 * job of a few rounds lasts long enough for a test to kill it mid-way). Undefined when no faults
 * are configured.
 */
export function crashInjector(
  spec: string | undefined,
): ((point: CheckpointName) => void | Promise<void>) | undefined {
  if (spec === undefined || spec === '') return undefined;
  const {
    seed = 1,
    crashRate = 0,
    delayMs = 0,
  } = JSON.parse(spec) as { seed?: number; crashRate?: number; delayMs?: number };
  // Each handler thread draws its own sequence, so threads do not crash in lockstep.
  const rng = seededRng(seed * 1000 + Number(process.env.SHARDTRAIN_THREAD ?? 0));
  const crash = (point: CheckpointName): void => {
    if (rng.uniform() < crashRate) throw new InjectedCrash(point);
  };
  if (!(delayMs > 0)) return crash;
  return async (point) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    crash(point);
  };
}
