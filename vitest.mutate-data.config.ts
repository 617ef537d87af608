import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The CSV reader's unit tests alone, for a mutation run of `lib/data/csv` (each file isolated as
 * in the base list): every test that preprocesses a CSV covers the scanner, and the related-test
 * search otherwise pulls in the engine and registry suites for every mutant; `preprocess.test.ts`
 * is left out for its shard-thread case (a minute under load, past the timeout in a dry run). A
 * score measured here is a lower bound of the base list's.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/unit/data/csv-parity.test.ts',
      'test/unit/data/ragged-rows.test.ts',
      'test/unit/data/csv-records.test.ts',
      'test/unit/data/row-decoder.test.ts',
      'test/unit/data/header.test.ts',
      'test/unit/data/parse-number.test.ts',
      'test/unit/data/row-collector.test.ts',
      'test/unit/data/block-scanner.test.ts',
    ],
  },
});
