import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { blobsProblem, seedExample } from '../../lib/examples/generators.js';
import { ensureBuilt, removeTemp, runCli, spawnCli, tempDir, waitFor, writeCsv } from '../support/cli.js';

interface TrainJson {
  jobId: string;
  model: { coefficients: Record<string, number>; intercept: number };
  steps: number;
  solver: { name: string; stop: string };
}

interface JobRow {
  id: string;
  state: string;
  round: number;
}

/**
 * kill -9 of the training process in the middle of a solver's job, then `resume`: the model is
 * bit-identical to an uninterrupted in-process run, for each solver's round protocol. Handlers
 * pause 300 ms at each checkpoint (SHARDTRAIN_FAULTS delayMs) so jobs of a few rounds last long
 * enough to be killed mid-way; the pause changes no value.
 */
const SLOW = { SHARDTRAIN_VISIBILITY_TIMEOUT: '2', SHARDTRAIN_FAULTS: JSON.stringify({ delayMs: 300 }) };

const CASES = [
  { solver: 'normal', model: 'linear', target: 'y', killAtRound: 0 },
  { solver: 'newton', model: 'logistic', target: 'label', killAtRound: 2 },
  { solver: 'lbfgs', model: 'logistic', target: 'label', killAtRound: 2 },
] as const;

describe('Command: resume (solvers)', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 180_000);
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  for (const c of CASES) {
    it(`--solver ${c.solver}: kill -9 mid-job, resume, bit-identical to an uninterrupted run`, async () => {
      // Prepare
      const home = join(dir, 'home');
      const data =
        c.model === 'linear'
          ? seedExample()
          : blobsProblem({
              rows: 300,
              centres: [
                [0, 0, 1],
                [1, 1, 0],
              ],
              spread: 1.2,
              labels: ['no', 'yes'],
            });
      const file = writeCsv(dir, 'data.csv', data);
      const args = [
        'train',
        '--data',
        file,
        '--target',
        c.target,
        '--model',
        c.model,
        '--solver',
        c.solver,
        '--workers',
        '3',
        '--json',
      ];
      const reference = (
        await runCli(['--home', join(dir, 'reference'), ...args, '--runner', 'inprocess'])
      ).json<TrainJson>();
      // Through the local cloud, whose stored rounds `resume` continues from.
      const training = spawnCli(['--home', home, ...args, '--placement', 'lambda'], SLOW);
      onTestFinished(() => {
        training.child.kill('SIGKILL');
      });
      const job = await waitFor(
        async () => {
          const res = await runCli(['--home', home, 'jobs', '--json']);
          return res.code === 0
            ? res.json<JobRow[]>().find((r) => r.state === 'running' && r.round >= c.killAtRound)
            : undefined;
        },
        60_000,
        `the job to reach round ${c.killAtRound}`,
      );

      // Act
      training.child.kill('SIGKILL');
      const killed = await training.done;
      const afterKill = (await runCli(['--home', home, 'jobs', '--json'])).json<JobRow[]>()[0]!;
      const resumed = await runCli(['--home', home, 'resume', job.id, '--json'], {
        SHARDTRAIN_VISIBILITY_TIMEOUT: '2',
      });

      // Assess
      expect(killed.signal).toBe('SIGKILL');
      expect(afterKill.state).not.toBe('done');
      expect(reference.solver).toMatchObject({ name: c.solver });
      expect(resumed.code, resumed.err.join('\n')).toBe(0);
      const result = resumed.json<TrainJson>();
      expect(result.steps).toBe(reference.steps);
      for (const [f, v] of Object.entries(reference.model.coefficients))
        expect(
          Object.is(result.model.coefficients[f], v),
          `${f}: ${result.model.coefficients[f]} vs ${v}`,
        ).toBe(true);
      expect(Object.is(result.model.intercept, reference.model.intercept)).toBe(true);
    });
  }
});
