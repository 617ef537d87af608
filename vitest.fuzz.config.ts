import { defineConfig } from 'vitest/config';

/**
 * `npm run fuzz`: the full fuzzing campaign (10,000 generated inputs per target; not part of CI).
 * `npm test` runs the same files with a few hundred inputs each.
 */
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    env: { SHARDTRAIN_FUZZ_RUNS: process.env.SHARDTRAIN_FUZZ_RUNS ?? '10000' },
  },
});
