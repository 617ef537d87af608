import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

describe('Command: plan', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => removeTemp(dir));

  it('puts a 100-row job in one process and shows every kind of candidate', async () => {
    const home = ['--home', `${dir}/home`];
    await runCli([...home, 'upload', writeCsv(dir, 'seed.csv', seedExample()), '--dataset', 'seed']);
    const out = await runCli([...home, 'plan', '--dataset', 'seed', '--json']);
    expect(out.code).toBe(0);
    const decision = out.json<{
      placement: { kind: string };
      candidates: { placement: { kind: string } }[];
    }>();
    // 100 rows × 1 feature × 200 rounds is microseconds of compute: any fan-out only adds cost.
    expect(decision.placement.kind).toBe('in-process');
    expect(new Set(decision.candidates.map((c) => c.placement.kind))).toEqual(
      new Set(['in-process', 'lambda', 'batch-gpu']),
    );
  });
});
