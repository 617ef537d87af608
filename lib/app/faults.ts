import type { CheckpointName } from '../engine/training/coordinator.js';
import { seededRng } from '../examples/random.js';
import type { FaultPlan } from './config.js';

/** Thrown by the fault injector: a handler "dies" between two of its writes. */
export class InjectedCrash extends Error {
  public constructor(point: string) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * The local cloud's crash injector for a {@link FaultPlan} (`SHARDTRAIN_FAULTS`): at each
 * checkpoint the handler crashes with probability `crashRate` (seeded, per thread); `delayMs` > 0
 * first pauses there (slow handlers, so a job of a few rounds lasts long enough for a test to kill
 * it mid-way). Undefined when no faults are configured.
 */
export function crashInjector(
  plan: FaultPlan | undefined,
  thread = 0,
): ((point: CheckpointName) => void | Promise<void>) | undefined {
  if (plan === undefined) return undefined;
  const { seed, crashRate, delayMs } = plan;
  // Each handler thread draws its own sequence, so threads do not crash in lockstep.
  const rng = seededRng(seed * 1000 + thread);
  const crash = (point: CheckpointName): void => {
    if (rng.uniform() < crashRate) throw new InjectedCrash(point);
  };
  if (!(delayMs > 0)) return crash;
  return async (point) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    crash(point);
  };
}
