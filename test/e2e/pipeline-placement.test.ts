import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, finalParams, removeTemp, runCli, tempDir } from '../support/cli.js';
import { writeOverlappingBlobs } from '../support/overlapping-blobs.js';

describe('Command: pipelines run (a run placed on Batch)', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    ensureBuilt(); // the runtime's launcher runs the compiled Batch entry point
    dir = tempDir();
    file = writeOverlappingBlobs(dir); // full-batch GD does not converge on it: every round counts
  });
  afterAll(() => removeTemp(dir));

  it('launches the Batch entry point through the runtime and ends on the in-process bits, gate run', async () => {
    // Prepare: the same data and training options for the pipeline and for `train --placement inprocess`.
    const home = join(dir, 'home');
    const training = ['--target', 'label', '--model', 'logistic', '--solver', 'gd', '--epochs', '30'];
    expect((await runCli(['--home', home, 'upload', file, '--dataset', 'blobs'])).code).toBe(0);
    const created = await runCli([
      ...['--home', home, 'pipelines', 'create', 'nightly', '--dataset', 'blobs', ...training],
      ...['--workers', '2', '--schedule', 'rate(1 day)', '--placement', 'batch', '--json'],
    ]);
    expect(created.code, created.err.join('\n')).toBe(0);
    const reference = await runCli([
      ...['--home', join(dir, 'reference'), 'train', '--data', file, ...training],
      ...['--workers', '2', '--holdout', '0.2', '--placement', 'inprocess', '--json'],
    ]);
    expect(reference.code, reference.err.join('\n')).toBe(0);

    // Act
    const run = await runCli(['--home', home, 'pipelines', 'run', 'nightly', '--json']);

    // Assess: the gate ran (no champion yet: promoted) on the job the Batch entry point trained.
    expect(run.code, run.err.join('\n')).toBe(0);
    const decision = run.json<{ decision: { kind: string; promote: boolean; jobId: string } }>().decision;
    expect(decision).toMatchObject({ kind: 'gate', promote: true });
    const spec = JSON.parse(readFileSync(join(home, 'store', 'jobs', decision.jobId, 'spec.json'), 'utf8'));
    expect(spec.placement).toMatchObject({ requested: 'batch', placement: 'batch' });
    const launches = join(home, 'launches');
    const log = readdirSync(launches).find((f) => f.endsWith('.log'))!;
    expect(readFileSync(join(launches, log), 'utf8')).toMatch(/"message":"job finished"/);
    const ref = reference.json<{ jobId: string; steps: number }>();
    expect(ref.steps).toBeGreaterThan(20);
    const a = finalParams(join(dir, 'reference'), ref.jobId);
    const b = finalParams(home, decision.jobId);
    expect(b.length).toBe(4);
    expect(b.filter((v, i) => !Object.is(v, a[i]))).toEqual([]);
  });
});
