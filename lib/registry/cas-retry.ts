import { InfrastructureError, PreconditionFailedError } from '../errors.js';

/** Bounds for compare-and-set retries. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 30 */
  readonly maxAttempts?: number;
  /** Backoff before the second attempt, doubled each time (full jitter). @default 5 */
  readonly baseDelayMs?: number;
  /** Cap on one backoff. @default 250 */
  readonly maxDelayMs?: number;
}

/** Randomness and sleeping are injectable so tests can make backoff deterministic. */
export interface RetryEnvironment {
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Waits `ms` milliseconds on a real timer. */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a read-modify-write `attempt` until it stops losing its conditional write.
 * Each attempt must read afresh; only `PreconditionFailedError` is retried, after a full-jitter
 * backoff (`random() * min(maxDelay, base * 2^n)`) so that writers that collided spread out.
 */
export async function retryOnConflict<T>(
  key: string,
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  env: RetryEnvironment,
): Promise<T> {
  const maxAttempts = policy.maxAttempts ?? 30;
  const base = policy.baseDelayMs ?? 5;
  const cap = policy.maxDelayMs ?? 250;
  let lastConflict: PreconditionFailedError | undefined;
  for (let n = 0; n < maxAttempts; n += 1) {
    if (n > 0) await env.sleep(env.random() * Math.min(cap, base * 2 ** (n - 1)));
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      lastConflict = error;
    }
  }
  throw new InfrastructureError(
    `gave up updating "${key}" after ${maxAttempts} attempts: other writers changed it every time; ` +
      'try again later or raise the registry retry.maxAttempts',
    { cause: lastConflict },
  );
}
