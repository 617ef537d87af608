import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The direct unit tests of `lib/engine/training` alone, for a mutation run of those files (each
 * file isolated as in the base list). A coordinator mutant is otherwise covered by a dozen files
 * (handler tests, pipelines, fault-resume), each imported again per mutant: on the shared
 * machine about a minute a mutant. Fewer tests can only kill fewer mutants, so a score measured
 * here is a lower bound of `npm run mutate`'s.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/unit/engine/{coordinator,coordinator-guards,coordinator-paths,job-store,job-plan,plan-job,place-job}.test.ts',
      'test/unit/engine/{round-records,runners,checkpointed-runner,state-codec,protocol,diverged,lean-rounds}.test.ts',
      'test/unit/engine/{job-building,resume,state-codec-edges}.test.ts',
    ],
    exclude: [],
  },
});
