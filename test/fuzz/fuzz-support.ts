import fc from 'fast-check';
import { expect } from 'vitest';
import { ShardtrainError } from '../../lib/errors.js';

/**
 * The fuzzing campaign's shared harness. `npm test` runs each target with a few hundred inputs;
 * `npm run fuzz` (vitest.fuzz.config.ts) sets SHARDTRAIN_FUZZ_RUNS=10000. Every case must finish
 * within {@link CASE_BUDGET_MS} (no hang), and every refusal must be one of the project's errors
 * with a one-line message of at most 300 characters.
 */
export const FUZZ_RUNS = Number(process.env.SHARDTRAIN_FUZZ_RUNS ?? 200);
/** Per-case time budget, milliseconds (generous: the machine is shared). */
export const CASE_BUDGET_MS = Number(process.env.SHARDTRAIN_FUZZ_CASE_MS ?? 5_000);
/** Seed, so a failure reproduces (fast-check prints the seed and path of a failing case). */
export const FUZZ_SEED =
  process.env.SHARDTRAIN_FUZZ_SEED !== undefined ? Number(process.env.SHARDTRAIN_FUZZ_SEED) : undefined;

/** What one target's campaign measured. */
export interface FuzzReport {
  readonly target: string;
  readonly inputs: number;
  readonly failures: number;
  readonly slowestMs: number;
}

/** Checks an error from a target: the project's family, one line, at most 300 characters. */
export function expectFamilyError(error: unknown): void {
  expect(error).toBeInstanceOf(ShardtrainError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  expect(message.length).toBeLessThanOrEqual(300);
}

/** Runs `check` on `runs` generated inputs, each within the time budget; prints a summary. */
export async function fuzz<T>(
  target: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => Promise<void>,
  runs = FUZZ_RUNS,
  budgetMs = CASE_BUDGET_MS,
): Promise<FuzzReport> {
  let inputs = 0;
  let slowestMs = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      inputs++;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`case exceeded ${budgetMs} ms`)), budgetMs);
      });
      try {
        await Promise.race([check(input), budget]);
      } finally {
        clearTimeout(timer);
      }
      slowestMs = Math.max(slowestMs, performance.now() - started);
    }),
    { numRuns: runs, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) },
  );
  const report = { target, inputs, failures: 0, slowestMs: Math.round(slowestMs * 10) / 10 };
  console.log(
    `fuzz ${target}: ${report.inputs} inputs, ${report.failures} failures, slowest case ${report.slowestMs} ms`,
  );
  return report;
}
