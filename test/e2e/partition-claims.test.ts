import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsProblem } from '../../lib/examples/generators.js';
import { ensureBuilt, finalParams, removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

interface TrainJson {
  jobId: string;
  runner: string;
  steps: number;
}

describe('Command: train --placement lambda --workers 12 (partition claims)', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    ensureBuilt();
    dir = tempDir();
    // Overlapping blobs: 8 epochs of full-batch GD do not converge, so every round counts.
    file = writeCsv(
      dir,
      'blobs.csv',
      blobsProblem({
        rows: 600,
        centres: [
          [-0.5, -0.5, -0.5],
          [0.5, 0.5, 0.5],
        ],
        labels: ['neg', 'pos'],
        seed: 9,
      }),
    );
  });
  afterAll(() => removeTemp(dir));

  it('claims partitions through the local cloud (W = 12 > a cache of 8) and ends on the in-process bits', async () => {
    // Prepare
    const args = ['train', '--data', file, '--target', 'label', '--model', 'logistic'];
    const flags = ['--solver', 'gd', '--algorithm', 'batch', '--workers', '12', '--epochs', '8', '--json'];

    // Act
    const local = await runCli(['--home', join(dir, 'local'), ...args, '--placement', 'lambda', ...flags]);
    const inprocess = await runCli([
      '--home',
      join(dir, 'inproc'),
      ...args,
      '--placement',
      'inprocess',
      ...flags,
    ]);

    // Assess: the local cloud ran it, with claims in its plan; same rounds, same bits.
    expect(local.code, local.err.join('\n')).toBe(0);
    expect(inprocess.code, inprocess.err.join('\n')).toBe(0);
    const a = local.json<TrainJson>();
    const b = inprocess.json<TrainJson>();
    expect(a.runner).toBe('local');
    expect(b.runner).toBe('inprocess');
    const plan = JSON.parse(readFileSync(join(dir, 'local', 'store', 'jobs', a.jobId, 'plan.json'), 'utf8'));
    expect(plan.claims).toBe(true);
    expect(a.steps).toBe(b.steps);
    const pa = finalParams(join(dir, 'local'), a.jobId);
    const pb = finalParams(join(dir, 'inproc'), b.jobId);
    expect(pa.length).toBe(4);
    expect(pa.filter((v, i) => !Object.is(v, pb[i]))).toEqual([]);
    // The claims were scratch: the finished job removed them with its results.
    const claims = join(dir, 'local', 'store', 'scratch', 'jobs', a.jobId, 'claims');
    const left = existsSync(claims) ? readdirSync(claims, { recursive: true, withFileTypes: true }) : [];
    expect(left.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
  }, 300_000); // two CLI runs and a local cloud of worker threads on a shared machine
});
