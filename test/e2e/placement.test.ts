import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../lib/examples/generators.js';
import { ensureBuilt, finalParams, removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';
import { writeOverlappingBlobs } from '../support/overlapping-blobs.js';

interface TrainJson {
  jobId: string;
  runner: string;
  steps: number;
  model: { coefficients: Record<string, number>; intercept: number };
  placement: { requested: string; placement: string; planned: string; reason: string; rounds: number };
}

describe('Command: train --placement', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    ensureBuilt(); // the Batch entry point runs compiled, as in the image
    dir = tempDir();
    file = writeOverlappingBlobs(dir); // full-batch GD does not converge on it: every round counts
  });
  afterAll(() => removeTemp(dir));

  it('batch (the Batch entry point in a child process) ends on the in-process bits', async () => {
    // Prepare
    const args = ['train', '--data', file, '--target', 'label', '--model', 'logistic'];
    const flags = ['--solver', 'gd', '--workers', '3', '--epochs', '40', '--seed', '3', '--json'];

    // Act
    const inprocess = await runCli(['--home', join(dir, 'a'), ...args, '--placement', 'inprocess', ...flags]);
    const batch = await runCli(['--home', join(dir, 'b'), ...args, '--placement', 'batch', ...flags]);

    // Assess
    expect(inprocess.code, inprocess.err.join('\n')).toBe(0);
    expect(batch.code, batch.err.join('\n')).toBe(0);
    const a = inprocess.json<TrainJson>();
    const b = batch.json<TrainJson>();
    expect(a.runner).toBe('inprocess');
    expect(b.runner).toBe('batch');
    expect(b.placement).toMatchObject({ requested: 'batch', placement: 'batch' });
    expect(b.steps).toBeGreaterThan(20);
    expect(b.steps).toBe(a.steps);
    const pa = finalParams(join(dir, 'a'), a.jobId);
    const pb = finalParams(join(dir, 'b'), b.jobId);
    expect(pb.length).toBe(4);
    expect(pb.filter((v, i) => !Object.is(v, pa[i]))).toEqual([]);
    expect(b.model).toEqual(a.model);
    // The job's log says which kernel it used (no GPU here: the deterministic CPU kernel).
    const launches = join(dir, 'b', 'launches');
    const log = readdirSync(launches).find((f) => f.endsWith('.log'))!;
    expect(readFileSync(join(launches, log), 'utf8')).toMatch(/"mode":"cpu-deterministic","gpu":false/);
  });

  it('auto (the default) asks the planner, prints its reason and stores the decision in the job plan', async () => {
    // Prepare
    const home = join(dir, 'auto');
    const seed = writeCsv(dir, 'seed.csv', seedExample());

    // Act: no --placement, no --runner.
    const res = await runCli(['--home', home, 'train', '--data', seed, '--target', 'y', '--model', 'linear']);
    const json = await runCli([
      ...['--home', join(dir, 'auto-json'), 'train', '--data', seed, '--target', 'y', '--model', 'linear'],
      '--json',
    ]);

    // Assess: 100 rows, one round of normal equations: this process beats the local cloud and a
    // child process (both pay a start), all at $0 on this machine.
    expect(res.code, res.err.join('\n')).toBe(0);
    const reason =
      /in-process is the fastest of 3 feasible local placements \(this machine's time costs \$0\)/;
    expect(res.err.find((l) => l.startsWith('placement: '))).toMatch(
      new RegExp(`^placement: inprocess \\(auto; .*\\): ${reason.source}`),
    );
    expect(json.code, json.err.join('\n')).toBe(0);
    const j = json.json<TrainJson>();
    expect(j.runner).toBe('inprocess');
    expect(j.placement).toMatchObject({
      requested: 'auto',
      placement: 'inprocess',
      planned: 'in-process',
      rounds: 1,
    });
    expect(j.placement.reason).toMatch(reason);
    const plan = JSON.parse(
      readFileSync(join(dir, 'auto-json', 'store', 'jobs', j.jobId, 'plan.json'), 'utf8'),
    );
    expect(plan.placement).toEqual(j.placement);
  });

  it('refuses a --runner that contradicts --placement (exit 2, one line)', async () => {
    const res = await runCli([
      ...['--home', join(dir, 'bad'), 'train', '--data', file, '--target', 'label', '--model', 'logistic'],
      ...['--runner', 'inprocess', '--placement', 'batch'],
    ]);
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(/--runner inprocess contradicts --placement batch; give only --placement$/);
  });
});
