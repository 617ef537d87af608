import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * `vitest.mutate.config.ts` without per-file isolation: the test files of one mutant share their
 * imported modules instead of importing them again (import dominates a mutant's cost on the
 * shared machine). The listed unit tests pass in this mode; StrykerJS switches mutants through
 * a global at run time, so nothing needs re-importing between mutants (`ignoreStatic` is on).
 */
export default mergeConfig(base, defineConfig({ test: { isolate: false } }));
