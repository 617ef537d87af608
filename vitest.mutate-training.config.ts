import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The direct unit tests of `lib/engine/training` alone, for a mutation run of those files (each
 * file isolated as in the base list). A coordinator mutant is otherwise covered by a dozen files
 * (handler tests, pipelines, fault-resume), each imported again per mutant: on the shared
 * machine half a minute a mutant. Fewer tests can only kill fewer mutants, so a score measured
 * here is a lower bound of `npm run mutate`'s. `SHARDTRAIN_MUTATE_TESTS` (test file names under
 * test/unit/engine, comma-separated, without `.test.ts`) narrows the list further for one run.
 */
const only = process.env.SHARDTRAIN_MUTATE_TESTS;
export default defineConfig({
  test: {
    ...base.test,
    include:
      only !== undefined
        ? [`test/unit/engine/{${only},}.test.ts`]
        : [
            'test/unit/engine/{coordinator,coordinator-guards,coordinator-paths,job-store,job-plan,plan-job,place-job}.test.ts',
            'test/unit/engine/{round-records,runners,checkpointed-runner,state-codec,protocol,diverged,lean-rounds}.test.ts',
            'test/unit/engine/{job-building,resume,state-codec-edges,partition-plan,claims,lambda-calibration,inline-results,waves}.test.ts',
          ],
    exclude: [],
  },
});
