import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

interface PlanJson {
  features: number;
  solver: string;
  rounds: number;
  roundsWhy: string;
  calibration: {
    kernel: string;
    machine: string;
    rowFeaturesPerSecond: number;
    mlp?: { kernel: string; multiplyAddsPerSecond: number; multiplyAddsPerRow: number; measuredAt: string };
  };
  decision: { placement: string; reason: string };
  candidates: {
    placement: string;
    label: string;
    workers: number;
    memoryMb: number | null;
    instanceType: string | null;
    spot: boolean | null;
    seconds: number;
    dollars: number;
    rejection: string | null;
  }[];
}

/**
 * The README's price table ("Batch: g4dn.xlarge $0.526/h, g5.xlarge $1.006/h on-demand (Spot ≈
 * $0.18, $0.40)"; "S3 Standard: PUT $0.005, GET $0.0004 per 1,000"): a single-process run reads
 * its shards once and writes its model once.
 */
const USD_PER_HOUR: Record<string, { onDemand: number; spot: number }> = {
  'g4dn.xlarge': { onDemand: 0.526, spot: 0.18 },
  'g5.xlarge': { onDemand: 1.006, spot: 0.4 },
};
const ONE_GET_ONE_PUT_USD = 0.0004 / 1000 + 0.005 / 1000;

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

  it('puts the MLP kernel’s calibrated rate in --json and prices the in-process run at it', async () => {
    // Prepare: the same mlp at 7 and at 14 rounds of full-batch gradient descent (one gradient over
    // every row a round; L-BFGS would count its trial points too); the rate is cached after the first.
    const args = [
      ...[...home(), 'plan', '--dataset', 'seed', '--model', 'mlp', '--hidden', '8'],
      ...['--solver', 'gd', '--algorithm', 'batch', '--json'],
    ];
    const r7 = await runCli([...args, '--rounds', '7']);
    const r14 = await runCli([...args, '--rounds', '14']);
    const linear = await runCli([...home(), 'plan', '--dataset', 'seed', '--json']);

    // Assess
    expect(r7.code, r7.err.join('\n')).toBe(0);
    const a = r7.json<PlanJson>();
    const b = r14.json<PlanJson>();
    const mlp = a.calibration.mlp!;
    expect(mlp.kernel).toBe('mlp-float64');
    expect(mlp.multiplyAddsPerSecond).toBeGreaterThan(0);
    // 1 feature → 8 hidden → 1 logit (two classes: a logistic head): 3 × (1·8 + 8·1) = 48.
    expect(mlp.multiplyAddsPerRow).toBe(48);
    expect(b.calibration.mlp).toEqual(mlp);
    expect(linear.json<PlanJson>().calibration.mlp).toBeUndefined();
    // In this process: load + R · 100 rows · 48 / rate, so 7 more rounds add 7 · 100 · 48 / rate.
    const here = (p: PlanJson) => p.candidates.find((c) => c.placement === 'inprocess')!.seconds;
    const extra = (7 * 100 * 48) / mlp.multiplyAddsPerSecond;
    expect((here(b) - here(a)) / extra).toBeCloseTo(1, 9);
  });

  it('lists every candidate with placement, workers, memory, seconds and dollars, in sane relations', async () => {
    // Prepare: a dataset 100 times larger than seed, and both planned at the same 5 rounds.
    await runCli([
      ...home(),
      ...['upload', writeCsv(dir, 'big.csv', seedExample({ rows: 10_000 })), '--dataset', 'big'],
    ]);
    const plan = async (dataset: string) => {
      const out = await runCli([...home(), 'plan', '--dataset', dataset, '--rounds', '5', '--json']);
      expect(out.code, out.err.join('\n')).toBe(0);
      return out.json<PlanJson>();
    };
    const small = await plan('seed');
    const big = await plan('big');

    // Assess: the fields, every candidate
    for (const c of [...small.candidates, ...big.candidates]) {
      expect(['inprocess', 'lambda', 'batch']).toContain(c.placement);
      expect(Number.isInteger(c.workers) && c.workers >= 1).toBe(true);
      if (c.placement === 'lambda') expect(c.memoryMb).toBeGreaterThan(0);
      else expect(c.memoryMb).toBeNull();
      expect(c.seconds).toBeGreaterThan(0);
      expect(c.dollars).toBeGreaterThan(0);
    }
    // More rows → more seconds, candidate by candidate (same rounds, same placement).
    const bigByLabel = new Map(big.candidates.map((c) => [c.label, c]));
    expect(bigByLabel.size).toBe(small.candidates.length);
    for (const c of small.candidates) expect(bigByLabel.get(c.label)!.seconds).toBeGreaterThan(c.seconds);
    // Dollars = seconds × the hourly price (+ one GET and one PUT) for the Batch GPU instances, and
    // just the requests for this machine, whose time costs $0.
    for (const c of [...small.candidates, ...big.candidates]) {
      if (c.placement === 'batch') {
        const price = USD_PER_HOUR[c.instanceType!]!;
        const perHour = c.spot ? price.spot : price.onDemand;
        expect(c.dollars / ((c.seconds * perHour) / 3600 + ONE_GET_ONE_PUT_USD)).toBeCloseTo(1, 9);
      }
      if (c.placement === 'inprocess') expect(c.dollars).toBeCloseTo(ONE_GET_ONE_PUT_USD, 15);
    }
    expect(small.candidates.filter((c) => c.placement === 'batch')).toHaveLength(4);
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
