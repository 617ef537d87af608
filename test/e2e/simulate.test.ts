import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

interface SimulateJson {
  rows: number;
  table: { solver: string; workers: number; efficiency: number; rounds: number; dollars: number }[];
}

describe('Command: simulate', () => {
  let dir: string;
  const home = () => ['--home', `${dir}/home`];
  beforeAll(async () => {
    dir = tempDir();
    await runCli([...home(), 'upload', writeCsv(dir, 'seed.csv', seedExample()), '--dataset', 'seed']);
  });
  afterAll(() => removeTemp(dir));

  it('prints one row per solver and W, W = 1 at 100 % efficiency', async () => {
    const out = await runCli([
      ...home(),
      'simulate',
      '--dataset',
      'seed',
      '--workers',
      '1,4',
      '--solvers',
      'sync-gd,lbfgs',
      '--epochs',
      '5',
      '--json',
    ]);
    expect(out.code, out.err.join('\n')).toBe(0);
    const sim = out.json<SimulateJson>();
    expect(sim.rows).toBe(100);
    expect(sim.table.map((r) => `${r.solver}:${r.workers}`)).toEqual([
      'sync-gd:1',
      'sync-gd:4',
      'lbfgs:1',
      'lbfgs:4',
    ]);
    // batch GD, 5 epochs → 5 rounds at any W
    expect(sim.table.filter((r) => r.solver === 'sync-gd').map((r) => r.rounds)).toEqual([5, 5]);
    expect(sim.table[0]!.efficiency).toBe(1);
    for (const r of sim.table) expect(r.dollars).toBeGreaterThan(0);
  });

  it('times an MLP at the MLP kernel’s own calibration, cached beside the linear one', async () => {
    const out = await runCli([
      ...home(),
      'simulate',
      '--dataset',
      'seed',
      '--model',
      'mlp',
      '--workers',
      '1,2',
      '--solvers',
      'sync-gd',
      '--epochs',
      '2',
      '--json',
    ]);
    expect(out.code, out.err.join('\n')).toBe(0);
    const sim = out.json<SimulateJson & { calibration: { kernel: string } }>();
    expect(sim.calibration.kernel).toBe('mlp-float64');
    expect(sim.table.map((r) => r.rounds)).toEqual([2, 2]);
    expect(readdirSync(`${dir}/home/calibration`).some((f) => f.endsWith('.mlp.json'))).toBe(true);
  });

  it.each([
    [['--workers', '1,0'], '--workers'],
    [['--workers', '4,x'], '--workers'],
    [['--workers', '2000'], '--workers'],
    [['--solvers', 'sgd'], '--solvers'],
    [['--row-scale', '-1'], '--row-scale'],
  ])('refuses %j with exit 2 and one line naming the flag', async (flags, flag) => {
    const out = await runCli([...home(), 'simulate', '--dataset', 'seed', ...flags]);
    expect(out.code).toBe(2);
    expect(out.err).toHaveLength(1);
    expect(out.err[0]).toContain(flag);
  });

  it('refuses an unknown dataset with exit 2', async () => {
    const out = await runCli([...home(), 'simulate', '--dataset', 'nope']);
    expect(out.code).toBe(2);
    expect(out.err.join('\n')).toContain('nope');
  });
});
