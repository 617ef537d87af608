import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

interface UploadJson {
  state: string;
  version: string;
  rows: number;
  columns: string[];
  route: { via: string; reason: string };
}

/**
 * Issue 9: `shardtrain upload` on a local home parses the file in this process unless a pipeline
 * watches the dataset (as `train --data` does): no queue database, no handler thread. The stored
 * version is the one the local cloud's preprocess handler makes of the same bytes.
 */
describe('Command: upload (parsed in this process on a local home)', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = tempDir();
    // y = 2x + 1 on 25 rows: every value is exact in float32.
    file = writeCsv(
      dir,
      'line.csv',
      `x,y\n${Array.from({ length: 25 }, (_, i) => `${i},${2 * i + 1}`).join('\n')}\n`,
    );
  });
  afterAll(() => removeTemp(dir));

  it('stores the same version as the local cloud, without opening the queues', async () => {
    const here = await runCli(['--home', join(dir, 'a'), 'upload', file, '--dataset', 'line', '--json']);
    const cloud = await runCli([
      '--home',
      join(dir, 'b'),
      'upload',
      file,
      '--dataset',
      'line',
      '--runner',
      'local',
      '--json',
    ]);
    expect(here.code, here.err.join('\n')).toBe(0);
    expect(cloud.code, cloud.err.join('\n')).toBe(0);
    const a = here.json<UploadJson>();
    const b = cloud.json<UploadJson>();
    expect(a).toMatchObject({ state: 'ready', rows: 25, columns: ['x', 'y'] });
    expect(a.version).toBe(b.version); // content-addressed: same bytes, same version
    // The route and its reason, chosen by one Session method for upload and train --data.
    expect(a.route).toEqual({ via: 'inprocess', reason: 'a local home and no pipeline watches line' });
    expect(b.route).toEqual({ via: 'cloud', reason: '--runner local asks for it' });
    expect(existsSync(join(dir, 'a', 'queues.db'))).toBe(false);
    expect(existsSync(join(dir, 'b', 'queues.db'))).toBe(true);
    const manifest = (home: string, version: string) =>
      JSON.parse(
        readFileSync(join(home, 'store', 'processed', 'line', version, 'manifest.json'), 'utf8'),
      ) as {
        rows: number;
        columns: { name: string; stats: { mean: number; m2: number } }[];
      };
    // Worked by hand: x is 0..24, mean 12, M2 = Σ(x − 12)² = 2·(1² + … + 12²) = 1300;
    // y = 2x + 1: mean 25, M2 = 4 · 1300 = 5200.
    for (const m of [manifest(join(dir, 'a'), a.version), manifest(join(dir, 'b'), b.version)]) {
      expect(m.rows).toBe(25);
      expect(m.columns.map((c) => [c.stats.mean, c.stats.m2])).toEqual([
        [12, 1300],
        [25, 5200],
      ]);
    }
  });

  it('refuses a bad file with one line and exit 2, and stores no version', async () => {
    const bad = writeCsv(dir, 'bad.csv', 'x,y\n1,2\n3,oops\n');
    const res = await runCli(['--home', join(dir, 'c'), 'upload', bad, '--dataset', 'bad']);
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(/bad\.csv line 3, column "y": "oops" is not a number/);
    expect(existsSync(join(dir, 'c', 'store', 'processed', 'bad', 'current.json'))).toBe(false);
  });
});
