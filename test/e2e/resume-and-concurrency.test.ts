import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { linearProblem, seedExample } from '../../lib/examples/generators.js';
import { ensureBuilt, removeTemp, runCli, spawnCli, tempDir, waitFor, writeCsv } from '../support/cli.js';

interface TrainJson {
  jobId: string;
  model: { coefficients: Record<string, number>; intercept: number };
  steps: number;
}

interface JobRow {
  id: string;
  state: string;
  round: number;
  dataset: string;
}

/** Bit-identical linear models: every coefficient and the intercept compared with Object.is. */
function expectBitIdentical(actual: TrainJson, expected: TrainJson): void {
  expect(Object.keys(actual.model.coefficients)).toEqual(Object.keys(expected.model.coefficients));
  for (const [f, v] of Object.entries(expected.model.coefficients)) {
    expect(Object.is(actual.model.coefficients[f], v), `${f}: ${actual.model.coefficients[f]} vs ${v}`).toBe(
      true,
    );
  }
  expect(
    Object.is(actual.model.intercept, expected.model.intercept),
    `intercept: ${actual.model.intercept} vs ${expected.model.intercept}`,
  ).toBe(true);
}

/**
 * Plain full-batch GD with a small constant rate and no early stop: the loss falls every round, so
 * the job runs all 60 rounds (a few seconds through the local cloud) — long enough to kill it.
 */
const SLOW_FLAGS = [
  '--workers',
  '4',
  '--algorithm',
  'batch',
  '--optimizer',
  'plain',
  '--lr',
  '0.01',
  '--epochs',
  '60',
  '--tol',
  '0',
  '--seed',
  '7',
];

/** Short visibility timeout so that anything left in flight by a dead process comes back quickly. */
const FAST_REDELIVERY = { SHARDTRAIN_VISIBILITY_TIMEOUT: '2' };

describe('Command: resume', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 180_000);
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Method: after kill -9 of the training process', () => {
    it('finishes the job bit-identical to an uninterrupted in-process run', async () => {
      // Prepare
      const home = join(dir, 'home');
      const file = writeCsv(dir, 'seed.csv', seedExample());
      const args = ['train', '--data', file, '--target', 'y', '--model', 'linear', ...SLOW_FLAGS, '--json'];
      const reference = (
        await runCli(['--home', join(dir, 'reference'), ...args, '--runner', 'inprocess'])
      ).json<TrainJson>();
      // Through the local cloud: its queues and stored rounds are what resume picks up.
      const training = spawnCli(['--home', home, ...args, '--placement', 'lambda'], FAST_REDELIVERY);
      onTestFinished(() => {
        training.child.kill('SIGKILL');
      });
      const job = await waitFor(
        async () => {
          const res = await runCli(['--home', home, 'jobs', '--json']);
          return res.code === 0 ? res.json<JobRow[]>().find((r) => r.round >= 3) : undefined;
        },
        60_000,
        'the job to reach round 3',
      );
      const status = (await runCli(['--home', home, 'status', job.id, '--json'])).json<
        JobRow & { queues: Record<string, { visible: number; inFlight: number }> }
      >();

      // Act
      training.child.kill('SIGKILL');
      const killed = await training.done;
      const afterKill = (await runCli(['--home', home, 'jobs', '--json'])).json<JobRow[]>()[0]!;
      const resumed = await runCli(['--home', home, 'resume', job.id, '--json'], FAST_REDELIVERY);

      // Assess
      expect(status).toMatchObject({ id: job.id, state: 'running' });
      expect(status.round).toBeGreaterThanOrEqual(3);
      expect(Object.keys(status.queues).sort()).toEqual(['aggregate', 'aggregateDlq', 'work', 'workDlq']);
      expect(killed.signal).toBe('SIGKILL');
      // It really was cut short: not finished when killed.
      expect(afterKill.state).not.toBe('done');
      expect(afterKill.round).toBeLessThan(reference.steps);
      expect(resumed.code, resumed.err.join('\n')).toBe(0);
      const result = resumed.json<TrainJson>();
      expect(result.jobId).toBe(job.id);
      expect(result.steps).toBe(reference.steps);
      expectBitIdentical(result, reference);
      const final = (await runCli(['--home', home, 'jobs', '--json'])).json<JobRow[]>();
      expect(final).toEqual([expect.objectContaining({ id: job.id, state: 'done', round: reference.steps })]);
    });
  });
});

describe('Command: train (two jobs at once)', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 180_000);
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Method: two datasets, one home, two processes', () => {
    it('each job finishes bit-identical to its own run alone, under its own keys', async () => {
      // Prepare: job A is the seed example, job B a 2-feature problem; A runs in a spawned process,
      // B in this one, both through the local cloud of the same home.
      const home = join(dir, 'home');
      const fileA = writeCsv(dir, 'alpha.csv', seedExample());
      const fileB = writeCsv(
        dir,
        'beta.csv',
        linearProblem({ rows: 400, weights: [1, -3], intercept: 2, seed: 4 }),
      );
      const argsA = ['train', '--data', fileA, '--target', 'y', '--model', 'linear', ...SLOW_FLAGS, '--json'];
      const argsB = ['train', '--data', fileB, '--target', 'y', '--model', 'linear', ...SLOW_FLAGS, '--json'];
      const aloneA = (
        await runCli(['--home', join(dir, 'a'), ...argsA, '--runner', 'inprocess'])
      ).json<TrainJson>();
      const aloneB = (
        await runCli(['--home', join(dir, 'b'), ...argsB, '--runner', 'inprocess'])
      ).json<TrainJson>();

      // Act
      const spawnedA = spawnCli(['--home', home, ...argsA, '--placement', 'lambda'], FAST_REDELIVERY);
      onTestFinished(() => {
        spawnedA.child.kill('SIGKILL');
      });
      await waitFor(
        async () => {
          const res = await runCli(['--home', home, 'jobs', '--json']);
          return res.code === 0 && res.json<JobRow[]>().some((r) => r.round >= 1) ? true : undefined;
        },
        60_000,
        'job A to start',
      );
      const inB = await runCli(['--home', home, ...argsB, '--placement', 'lambda'], FAST_REDELIVERY);
      const outA = await spawnedA.done;

      // Assess
      expect(outA.code, outA.stderr).toBe(0);
      expect(inB.code, inB.err.join('\n')).toBe(0);
      const jobA = JSON.parse(outA.stdout) as TrainJson;
      const jobB = inB.json<TrainJson>();
      expectBitIdentical(jobA, aloneA);
      expectBitIdentical(jobB, aloneB);
      // Each job's state lives under its own id: two job folders, each named for its dataset.
      const jobDirs = readdirSync(join(home, 'store', 'jobs')).sort();
      expect(jobDirs).toEqual([jobA.jobId, jobB.jobId].sort());
      expect(jobA.jobId.startsWith('alpha-')).toBe(true);
      expect(jobB.jobId.startsWith('beta-')).toBe(true);
      const jobs = (await runCli(['--home', home, 'jobs', '--json'])).json<JobRow[]>();
      expect(jobs.map((j) => j.dataset.split('@')[0]).sort()).toEqual(['alpha', 'beta']);
      expect(jobs.every((j) => j.state === 'done')).toBe(true);
    });
  });
});
