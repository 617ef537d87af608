import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutate` (StrykerJS) runs against each mutant: the unit tests of the mutated
 * areas (lib/engine, lib/registry, lib/data/csv, functions/) and the handler tests, without the
 * long seeded fault-schedule simulations (minutes per run; they guard the coordinator's
 * recovery, which mutants of these files rarely reach first).
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/engine/**/*.test.ts',
      'test/unit/registry/**/*.test.ts',
      'test/unit/data/**/*.test.ts',
      'test/unit/validation/**/*.test.ts',
      'test/unit/functions/**/*.test.ts',
      'test/integration/functions/predict-bad-input.test.ts',
      'test/integration/functions/predict-requests.test.ts',
      // The handlers' AWS-only paths (EMF, job report, JSON error lines) over loopback servers: seconds.
      'test/integration/aws/aws-only-handler-paths.test.ts',
    ],
    exclude: ['test/unit/engine/fault-schedules.test.ts', 'test/unit/engine/coordinator-simulation.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
