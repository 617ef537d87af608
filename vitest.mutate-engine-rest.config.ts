import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The unit tests of datasets, serving, evaluation and pipelines alone, for a mutation run of those
 * folders (each file isolated as in the base list). The base list's related-test search also
 * pulls in `pipelines.test.ts` (a whole upload → train → gate scenario, a minute a run under load)
 * and the coordinator suites for every mutant of `model-artifact.ts` or `uploads.ts`, which made
 * the dry run time out. Scores measured with this list are a lower bound of the base list's.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/unit/engine/{partitions,partitions-edges,uploads,ingest-upload,holdout}.test.ts',
      'test/unit/engine/{model-artifact,mlp-artifact,model-server,model-ref}.test.ts',
      'test/unit/engine/{metrics,evaluation}.test.ts',
      'test/unit/engine/{promotion-gate,drift-on-upload,run-pipeline}.test.ts',
      'test/integration/functions/predict-bad-input.test.ts',
      'test/integration/functions/predict-requests.test.ts',
    ],
  },
});
