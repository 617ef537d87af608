import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The data unit tests alone, for a mutation run of `lib/data/csv` (each file isolated as in the
 * base list): every test that preprocesses a CSV covers the scanner, and the related-test search
 * otherwise pulls in the engine and registry suites for every mutant. A score measured here is a
 * lower bound of the base list's.
 */
export default defineConfig({ test: { ...base.test, include: ['test/unit/data/**/*.test.ts'] } });
