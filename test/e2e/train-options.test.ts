import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

/**
 * Per algorithm, a learning rate, an epoch budget and a decay time scale under which every
 * optimizer × schedule reaches the seed example's slope: sgd has 100 steps/epoch (2000 steps),
 * minibatch B = 10 has 10 steps/epoch (400 steps), batch has 1 step/epoch (300 steps). The decay
 * time scale is a fraction of the run so that "step" (halving every T steps) does not freeze the
 * run after a few hundred steps.
 */
const ALGORITHM_FLAGS = {
  sgd: ['--lr', '0.01', '--epochs', '20', '--decay-steps', '1000'],
  minibatch: ['--batch-size', '10', '--lr', '0.05', '--epochs', '40', '--decay-steps', '200'],
  batch: ['--lr', '0.1', '--epochs', '300', '--decay-steps', '100'],
} as const;
const OPTIMIZERS = ['plain', 'momentum', 'adam'] as const;
const SCHEDULES = ['constant', 'inverse-time', 'exponential', 'step', 'cosine-restarts', 'plateau'] as const;

const grid = Object.entries(ALGORITHM_FLAGS).flatMap(([algorithm, flags]) =>
  OPTIMIZERS.flatMap((optimizer) => SCHEDULES.map((schedule) => ({ algorithm, optimizer, schedule, flags }))),
);

describe('Command: train', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = tempDir();
    file = writeCsv(dir, 'seed.csv', seedExample());
  });
  afterAll(() => removeTemp(dir));

  describe('Options: --algorithm × --optimizer × --schedule on the seed example', () => {
    // The seed example is y = 2x + ε, so every combination must land within 0.1 of slope 2.
    it.each(grid)(
      '--algorithm $algorithm --optimizer $optimizer --schedule $schedule converges to slope 2 ± 0.1',
      async ({ algorithm, optimizer, schedule, flags }) => {
        // Prepare
        const home = join(dir, `${algorithm}-${optimizer}-${schedule}`);

        // Act
        const res = await runCli([
          '--home',
          home,
          'train',
          '--data',
          file,
          '--target',
          'y',
          '--model',
          'linear',
          '--runner',
          'inprocess',
          '--algorithm',
          algorithm,
          '--optimizer',
          optimizer,
          '--schedule',
          schedule,
          ...flags,
          '--json',
        ]);

        // Assess
        expect(res.err.filter((l) => l.startsWith('shardtrain:'))).toEqual([]);
        expect(res.code).toBe(0);
        const j = res.json<{ model: { coefficients: { x: number }; intercept: number } }>();
        expect(Math.abs(j.model.coefficients.x - 2)).toBeLessThan(0.1);
        expect(Math.abs(j.model.intercept)).toBeLessThan(0.1);
      },
    );
  });
});
