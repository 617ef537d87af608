import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

/**
 * Issue 11, load: 8 concurrent training jobs and 4 concurrent uploads (one malformed) on one
 * home, each CLI invocation with its own local cloud, as separate terminals would. Every job
 * registers exactly one version, numbers are not lost or duplicated, the good uploads are
 * ready, the malformed one fails with its reason, and nothing is dead-lettered.
 */
describe('Load: concurrent jobs and uploads on one home', () => {
  let dir: string;
  let home: string;
  beforeAll(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterAll(() => removeTemp(dir));

  const csv = (n: number, slope: number) =>
    `x,y\n${Array.from({ length: n }, (_, i) => `${i % 17},${slope * (i % 17) + 1}`).join('\n')}\n`;

  it('loses and duplicates nothing', async () => {
    // Prepare: the dataset the jobs train on.
    const base = writeCsv(dir, 'base.csv', csv(60, 2));
    const up = await runCli(['--home', home, 'upload', base, '--dataset', 'base']);
    expect(up.code, up.err.join('\n')).toBe(0);
    const env = { SHARDTRAIN_WORKER_THREADS: '1' };
    const names = ['m1', 'm2', 'm3', 'm4'];
    const trains = Array.from({ length: 8 }, (_, i) =>
      runCli(
        ['--home', home, 'train', '--dataset', 'base', '--target', 'y', '--model', 'linear'].concat([
          '--workers',
          '2',
          '--epochs',
          '3',
          '--name',
          names[i % 4]!,
          ...['--placement', 'lambda'], // each through its own local cloud, sharing the queues
          '--json',
        ]),
        env,
      ),
    );
    const files = [
      writeCsv(dir, 'a.csv', csv(30, 3)),
      writeCsv(dir, 'b.csv', csv(40, 4)),
      writeCsv(dir, 'c.csv', csv(50, 5)),
      writeCsv(dir, 'bad.csv', 'x,y\n1,2\n3\n'),
    ];
    const uploads = files.map((f, i) =>
      runCli(
        ['--home', home, 'upload', f, '--dataset', i === 3 ? 'bad' : `u${i}`, '--runner', 'local', '--json'],
        env,
      ),
    );

    // Act
    const [t, u] = await Promise.all([Promise.all(trains), Promise.all(uploads)]);

    // Assess: every job finished and registered once; versions 1 and 2 of each name.
    for (const r of t) expect(r.code, r.err.join('\n')).toBe(0);
    const jobIds = t.map((r) => r.json<{ jobId: string }>().jobId);
    expect(new Set(jobIds).size).toBe(8);
    const modelIds = t.map((r) => r.json<{ modelId: string }>().modelId).sort();
    expect(modelIds).toEqual(['m1@1', 'm1@2', 'm2@1', 'm2@2', 'm3@1', 'm3@2', 'm4@1', 'm4@2']);
    for (const name of names) {
      const shown = await runCli(['--home', home, 'models', 'show', name, '--json']);
      expect(shown.code, shown.err.join('\n')).toBe(0);
    }
    // Uploads: three ready with their row counts, the malformed one refused with its line.
    expect(u.slice(0, 3).map((r) => r.code)).toEqual([0, 0, 0]);
    expect(u.slice(0, 3).map((r) => r.json<{ rows: number }>().rows)).toEqual([30, 40, 50]);
    expect(u[3]!.code).toBe(2);
    expect(u[3]!.err.join('\n')).toMatch(/bad\.csv line 3/);
    const dlq = await runCli(['--home', home, 'dlq', '--json']);
    expect(dlq.json<unknown[]>()).toEqual([]);
  }, 600_000);
});
