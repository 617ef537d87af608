import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The handler tests alone (with their AWS-only paths over loopback servers), for a mutation run of `functions/` (each file isolated as in the base
 * list): their mutants need no other test, and the related-test search otherwise pulls in the
 * predict and registry suites for every mutant.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/unit/functions/**/*.test.ts', 'test/integration/aws/aws-only-handler-paths.test.ts'],
  },
});
