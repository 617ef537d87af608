import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blobsProblem, seedExample } from '../../lib/examples/generators.js';
import { ensureBuilt, removeTemp, runCli, spawnCli, tempDir, writeCsv } from '../support/cli.js';

interface TrainJson {
  modelId: string;
  jobId: string;
  model: {
    coefficients: Record<string, number> | Record<string, Record<string, number>>;
    intercept: number | Record<string, number>;
  };
  steps: number;
  runner: string;
}

/** Every coefficient and intercept of a model, flattened in a fixed order. */
function params(j: TrainJson): [string, number][] {
  const flat: [string, number][] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'number') flat.push([prefix, v]);
    else
      for (const k of Object.keys(v as object).sort())
        walk(`${prefix}.${k}`, (v as Record<string, unknown>)[k]);
  };
  walk('coefficients', j.model.coefficients);
  walk('intercept', j.model.intercept);
  return flat;
}

/** Bit-identical: same names, and every value the same float (Object.is, so −0 ≠ 0 and NaN = NaN). */
function expectBitIdentical(actual: TrainJson, expected: TrainJson): void {
  const a = params(actual);
  const e = params(expected);
  expect(a.map(([k]) => k)).toEqual(e.map(([k]) => k));
  const differing = a
    .filter(([, v], i) => !Object.is(v, e[i]![1]))
    .map(([k, v], i) => `${k}: ${v} vs ${e[i]![1]}`);
  expect(differing).toEqual([]);
}

/** A logistic problem with overlap (centres ±0.5 per feature, spread 1), so 40 rounds do not converge. */
function logisticTable(rows: number, d: number) {
  return blobsProblem({
    rows,
    centres: [new Array<number>(d).fill(-0.5), new Array<number>(d).fill(0.5)],
    labels: ['neg', 'pos'],
    seed: 11,
  });
}

describe('Command: train --placement lambda (the local cloud)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  const trainBoth = async (file: string, target: string, model: string, flags: string[]) => {
    const args = ['train', '--data', file, '--target', target, '--model', model, ...flags, '--json'];
    const local = await runCli(['--home', join(dir, 'local'), ...args, '--placement', 'lambda']);
    const inprocess = await runCli(['--home', join(dir, 'inprocess'), ...args, '--runner', 'inprocess']);
    expect(local.code, local.err.join('\n')).toBe(0);
    expect(inprocess.code, inprocess.err.join('\n')).toBe(0);
    return { local: local.json<TrainJson>(), inprocess: inprocess.json<TrainJson>() };
  };

  describe('Option: --workers 4 --algorithm batch (sync GD)', () => {
    it('is bit-identical to the in-process runner on the seed example', async () => {
      // Prepare
      const file = writeCsv(dir, 'seed.csv', seedExample());

      // Act
      const { local, inprocess } = await trainBoth(file, 'y', 'linear', [
        '--workers',
        '4',
        '--algorithm',
        'batch',
      ]);

      // Assess
      expect(local.runner).toBe('local');
      expect(inprocess.runner).toBe('inprocess');
      expect(local.steps).toBe(inprocess.steps);
      expectBitIdentical(local, inprocess);
      // And it is the right answer, not just the same one: slope ≈ 2.
      expect(Math.abs((local.model.coefficients as Record<string, number>).x! - 2)).toBeLessThan(0.05);
    });
  });

  describe('Option: --sync local-sgd --local-steps 4', () => {
    it('is bit-identical to the in-process runner on the seed example', async () => {
      // Prepare
      const file = writeCsv(dir, 'seed.csv', seedExample());

      // Act
      const { local, inprocess } = await trainBoth(file, 'y', 'linear', [
        '--workers',
        '4',
        '--sync',
        'local-sgd',
        '--local-steps',
        '4',
        '--epochs',
        '20',
        '--seed',
        '5',
      ]);

      // Assess
      expect(local.steps).toBe(inprocess.steps);
      expectBitIdentical(local, inprocess);
    });
  });

  describe('Option: --model logistic on a generated 20000×8 problem', () => {
    it('is bit-identical to the in-process runner with sync GD', async () => {
      // Prepare
      const file = writeCsv(dir, 'logit.csv', logisticTable(20_000, 8));

      // Act
      const { local, inprocess } = await trainBoth(file, 'label', 'logistic', [
        '--workers',
        '4',
        '--algorithm',
        'batch',
        '--epochs',
        '40',
      ]);

      // Assess
      expect(local.steps).toBe(inprocess.steps);
      expectBitIdentical(local, inprocess);
    });
  });

  describe('Option: SHARDTRAIN_FAULTS (handlers crash at random checkpoints)', () => {
    beforeAll(() => ensureBuilt(), 180_000);

    it.each([
      ['sync GD', ['--algorithm', 'batch']],
      ['local SGD', ['--sync', 'local-sgd', '--local-steps', '4', '--seed', '5']],
    ])('%s still gives parameters bit-identical to the fault-free in-process run', async (_mode, mode) => {
      // Prepare: crashes leave messages in flight until the visibility timeout (1 s) returns them.
      const file = writeCsv(dir, 'seed.csv', seedExample());
      const args = [
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--workers',
        '4',
        ...mode,
        '--epochs',
        '12',
        '--json',
      ];

      // Act: a real process, as a user runs it.
      const faulty = await spawnCli(['--home', join(dir, 'faulty'), ...args, '--placement', 'lambda'], {
        SHARDTRAIN_FAULTS: JSON.stringify({ seed: 1, crashRate: 0.05 }),
        SHARDTRAIN_VISIBILITY_TIMEOUT: '1',
      }).done;
      const clean = await runCli(['--home', join(dir, 'clean'), ...args, '--runner', 'inprocess']);

      // Assess
      expect(faulty.code, faulty.stderr).toBe(0);
      // Each failed delivery is recorded with its reason (the DLQ view): count the injected ones.
      const failures = join(dir, 'faulty', 'store', 'scratch', 'failures');
      const crashes = (existsSync(failures) ? readdirSync(failures) : []).filter((f) =>
        readFileSync(join(failures, f), 'utf8').includes('InjectedCrash'),
      );
      expect(crashes.length).toBeGreaterThan(0);
      expectBitIdentical(JSON.parse(faulty.stdout) as TrainJson, clean.json<TrainJson>());
    });
  });
});

describe('Command: jobs and status', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Method: --json', () => {
    it('report id, state, round, dataset and queue depths of a finished job', async () => {
      // Prepare
      const home = join(dir, 'home');
      const file = writeCsv(dir, 'seed.csv', seedExample());
      const trained = (
        await runCli([
          '--home',
          home,
          'train',
          '--data',
          file,
          '--target',
          'y',
          '--model',
          'linear',
          '--workers',
          '2',
          ...['--placement', 'lambda'], // queue depths: the job went through the local cloud
          '--json',
        ])
      ).json<TrainJson>();

      // Act
      const jobs = await runCli(['--home', home, 'jobs', '--json']);
      const status = await runCli(['--home', home, 'status', trained.jobId, '--json']);
      const datasets = await runCli(['--home', home, 'datasets', '--json']);

      // Assess
      const version = datasets.json<{ version: string }[]>()[0]!.version;
      // One round per step for full-batch GD with 2 workers: the job's last round is its step count.
      const expected = { id: trained.jobId, state: 'done', round: trained.steps, dataset: `seed@${version}` };
      expect(jobs.code).toBe(0);
      expect(jobs.json<unknown[]>()).toEqual([expect.objectContaining(expected)]);
      expect(status.code).toBe(0);
      const s = status.json<{ queues: Record<string, { visible: number; inFlight: number }> }>();
      expect(s).toMatchObject(expected);
      // Finished: every queue drained.
      for (const q of ['work', 'aggregate', 'workDlq', 'aggregateDlq']) {
        expect(s.queues[q]).toMatchObject({ visible: 0, inFlight: 0 });
      }
    });

    it('status of an unknown job is a one-line error, exit 2', async () => {
      // Act
      const res = await runCli(['--home', join(dir, 'home'), 'status', 'no-such-job', '--json']);

      // Assess
      expect(res.code).toBe(2);
      expect(res.err).toEqual([expect.stringMatching(/^shardtrain: .*no-such-job/)]);
    });
  });
});
