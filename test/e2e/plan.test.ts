import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

interface PlanJson {
  features: number;
  solver: string;
  rounds: number;
  roundsWhy: string;
  calibration: { kernel: string; machine: string; rowFeaturesPerSecond: number };
  decision: { placement: string; reason: string };
  candidates: {
    placement: string;
    workers: number;
    memoryMb: number | null;
    seconds: number;
    dollars: number;
  }[];
}

describe('Command: plan', () => {
  let dir: string;
  const home = () => ['--home', `${dir}/home`];
  beforeAll(async () => {
    dir = tempDir();
    await runCli([...home(), 'upload', writeCsv(dir, 'seed.csv', seedExample()), '--dataset', 'seed']);
  });
  afterAll(() => removeTemp(dir));

  it('puts a 100-row job in one process and shows every kind of candidate', async () => {
    const out = await runCli([...home(), 'plan', '--dataset', 'seed', '--json']);
    expect(out.code, out.err.join('\n')).toBe(0);
    const plan = out.json<PlanJson>();
    // 100 rows × 1 feature, one round of normal equations: any fan-out only adds cost.
    expect(plan.decision.placement).toBe('inprocess');
    expect(new Set(plan.candidates.map((c) => c.placement))).toEqual(
      new Set(['inprocess', 'lambda', 'batch']),
    );
    const lambda = plan.candidates.find(
      (c) => c.placement === 'lambda' && c.workers === 4 && c.memoryMb === 1769,
    );
    expect(lambda).toBeDefined();
    expect(lambda!.seconds).toBeGreaterThan(0);
    expect(lambda!.dollars).toBeGreaterThan(0);
  });

  it('prices an mlp at the MLP kernel’s own calibration and refuses --hidden without it', async () => {
    const out = await runCli([...home(), 'plan', '--dataset', 'seed', '--model', 'mlp', '--hidden', '8']);
    expect(out.code, out.err.join('\n')).toBe(0);
    expect(out.out.join('\n')).toMatch(/mlp kernel: mlp-float64 at .* multiply-adds\/s/);
    const bad = await runCli([...home(), 'plan', '--dataset', 'seed', '--hidden', '8']);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(['shardtrain: --hidden belongs to --model mlp']);
  });

  it('counts the features without the target, for every model, and checks --target', async () => {
    // seed.csv has two numeric columns, x and y: one is the target, so one feature for each model.
    for (const model of ['linear', 'logistic', 'softmax']) {
      const out = await runCli([...home(), 'plan', '--dataset', 'seed', '--model', model, '--json']);
      expect(out.code, out.err.join('\n')).toBe(0);
      expect(out.json<PlanJson>().features).toBe(1);
    }
    const named = await runCli([...home(), 'plan', '--dataset', 'seed', '--target', 'x', '--json']);
    expect(named.json<PlanJson>().features).toBe(1);
    const bad = await runCli([...home(), 'plan', '--dataset', 'seed', '--target', 'label']);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(['shardtrain: --target label: no such column in the dataset']);
  });

  it("takes the rounds from the solver's own estimate, not a fixed 200", async () => {
    const normal = (await runCli([...home(), 'plan', '--dataset', 'seed', '--json'])).json<PlanJson>();
    expect(normal).toMatchObject({ solver: 'normal', rounds: 1 });
    const lbfgs = (
      await runCli([...home(), 'plan', '--dataset', 'seed', '--solver', 'lbfgs', '--json'])
    ).json<PlanJson>();
    expect(lbfgs).toMatchObject({ solver: 'lbfgs', rounds: 30 });
    const given = (
      await runCli([...home(), 'plan', '--dataset', 'seed', '--rounds', '7', '--json'])
    ).json<PlanJson>();
    expect(given).toMatchObject({ rounds: 7, roundsWhy: '--rounds 7' });
  });

  it('caches the calibration per machine under the home and measures again with --calibrate', async () => {
    const first = (await runCli([...home(), 'plan', '--dataset', 'seed', '--json'])).json<PlanJson>();
    const file = `${dir}/home/calibration/${first.calibration.machine}.json`;
    expect(existsSync(file)).toBe(true);
    const cached = (await runCli([...home(), 'plan', '--dataset', 'seed', '--json'])).json<PlanJson>();
    expect(cached.calibration).toEqual(first.calibration);
    const fresh = (
      await runCli([...home(), 'plan', '--dataset', 'seed', '--calibrate', '--json'])
    ).json<PlanJson>();
    expect(fresh.calibration.kernel).toBe(first.calibration.kernel);
    expect(fresh.calibration).not.toEqual(first.calibration); // a new measurement (new time stamp)
  });
});
