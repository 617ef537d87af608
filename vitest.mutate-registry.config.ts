import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

/**
 * The registry unit tests alone, for a mutation run of `lib/registry` (each file isolated as in
 * the base list): the related-test search otherwise pulls in every engine and handler test that
 * registers a model. A score measured here is a lower bound of the base list's.
 */
export default defineConfig({ test: { ...base.test, include: ['test/unit/registry/**/*.test.ts'] } });
