import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../lib/examples/random.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

/**
 * Issue 5 acceptance, on the local cloud through the CLI: upload v1 → pipeline trains →
 * champion = v1; upload drifted v2 → drift event → retrain → challenger better → promoted;
 * upload worse-labelled v3 → retrain → not promoted, reason recorded; rollback; history at
 * three instants.
 */

/** y = 2·x1 + w2·x2 + noise·ε with x ~ N(mu, 1). */
function table(rows: number, mu: number, w2: number, noise: number, seed: number): string {
  const rng = seededRng(seed);
  const lines = ['x1,x2,y'];
  for (let i = 0; i < rows; i++) {
    const a = mu + rng.normal();
    const b = mu + rng.normal();
    lines.push(`${a},${b},${2 * a + w2 * b + noise * rng.normal()}`);
  }
  return `${lines.join('\n')}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Model lifecycle on the local cloud', () => {
  let dir: string;
  let home: string[];
  const cli = (...args: string[]) => runCli([...home, ...args]);

  beforeAll(() => {
    dir = tempDir();
    home = ['--home', `${dir}/home`];
  });
  afterAll(() => removeTemp(dir));

  it('trains, detects drift, promotes only a better challenger, rolls back and answers history queries', async () => {
    // Prepare: v1 y = 2x1 + 3x2 (x ~ N(0,1)); v2 drifted: x ~ N(3,1) and y = 2x1 + 5x2, so the
    // v1 model is off by 2·x2 ≈ 6 on v2 (rmse ≈ 2·sqrt(E[x2²]) = 2·sqrt(10) ≈ 6.3);
    // v3: v2's relationship with noise sd 5: a model fitted to it is the true function plus
    // estimation error, so it cannot beat the v2 champion by 1 %.
    const v1 = writeCsv(dir, 'v1.csv', table(1500, 0, 3, 0.1, 1));
    const v2 = writeCsv(dir, 'v2.csv', table(1500, 3, 5, 0.1, 2));
    const v3 = writeCsv(dir, 'v3.csv', table(1500, 3, 5, 5, 3));

    expect((await cli('upload', v1, '--dataset', 'sales')).code).toBe(0);
    const created = await cli(
      'pipelines',
      'create',
      'p',
      '--dataset',
      'sales',
      '--target',
      'y',
      '--model',
      'linear',
      '--schedule',
      'cron(0 3 * * ? *)',
      '--retrain-on-drift',
      '--margin',
      '0.01',
      '--margin-mode',
      'relative',
      '--json',
    );
    expect(created.code).toBe(0);
    const t0 = new Date().toISOString();
    await sleep(20);

    // Act 1: the scheduled run trains v1 and, with no champion, promotes it.
    const run1 = await cli('pipelines', 'run', 'p', '--json');
    expect(run1.code).toBe(0);
    expect(run1.json<{ decision: { promote: boolean } }>().decision.promote).toBe(true);
    await sleep(20);
    const t1 = new Date().toISOString();

    // A second run on unchanged data is skipped, with the reason.
    const skipped = await cli('pipelines', 'run', 'p', '--json');
    expect(skipped.json<{ decision: { kind: string; reason: string } }>().decision).toMatchObject({
      kind: 'skipped',
    });
    expect(skipped.json<{ decision: { reason: string } }>().decision.reason).toMatch(/data unchanged/);

    // Act 2: drifted v2 → drift detected on upload → retrain → promoted.
    const up2 = await cli('upload', v2, '--dataset', 'sales', '--json');
    expect(up2.code).toBe(0);
    const effect = up2.json<{
      pipelines: {
        drift: { drifted: boolean; maxPsi: number };
        decision: { promote: boolean; reason: string };
      }[];
    }>().pipelines[0]!;
    expect(effect.drift.drifted).toBe(true);
    expect(effect.drift.maxPsi).toBeGreaterThan(0.2);
    expect(effect.decision.promote).toBe(true);
    await sleep(20);
    const t2 = new Date().toISOString();

    // Act 3: v3 has the same feature distribution (no drift), the scheduled run retrains, the gate keeps v2.
    const up3 = await cli('upload', v3, '--dataset', 'sales', '--json');
    expect(up3.json<{ pipelines: { drift: { drifted: boolean } }[] }>().pipelines[0]!.drift.drifted).toBe(
      false,
    );
    const run3 = await cli('pipelines', 'run', 'p', '--json');
    const d3 = run3.json<{
      decision: { promote: boolean; reason: string; champion: number; challenger: number };
    }>().decision;
    expect(d3.promote).toBe(false);
    expect(d3.reason).toMatch(/keep champion/);
    expect([d3.champion, d3.challenger]).toEqual([2, 3]);

    // The champion serves: predict through the alias uses v2 (y ≈ 2·1 + 5·1 = 7 at x = (1, 1)).
    const rowCsv = writeCsv(dir, 'row.csv', 'x1,x2\n1,1\n');
    const pred = await cli('predict', '--model', 'p@champion', '--data', rowCsv);
    expect(Number(pred.out[1])).toBeCloseTo(7, 1);

    // Act 4: rollback moves champion from 2 back to 1, recorded like any move.
    await sleep(20);
    const rb = await cli('models', 'rollback', 'p', '--json');
    expect(rb.json<{ moved: boolean; move: { from: number; to: number } }>().move).toMatchObject({
      from: 2,
      to: 1,
    });
    await sleep(20);
    const t3 = new Date().toISOString();

    // Assess: which version was champion at each instant.
    const at = async (t: string) =>
      (await cli('models', 'history', 'p', '--alias', 'champion', '--at', t, '--json')).json<{
        aliases: { champion: number | null };
      }>().aliases.champion;
    expect(await at(t0)).toBeNull();
    expect(await at(t1)).toBe(1);
    expect(await at(t2)).toBe(2);
    expect(await at(t3)).toBe(1);
    const history = (await cli('models', 'history', 'p', '--alias', 'champion', '--json')).json<
      { from: number | null; to: number; reason: string }[]
    >();
    expect(history.map((m) => [m.from, m.to])).toEqual([
      [null, 1],
      [1, 2],
      [2, 1],
    ]);
    const show = (await cli('pipelines', 'show', 'p', '--json')).json<{
      runs: { kind: string; promote?: boolean }[];
    }>();
    expect(show.runs.map((r) => (r.kind === 'gate' ? r.promote : 'skip'))).toEqual([
      true,
      'skip',
      true,
      false,
    ]);
  }, 180_000);
});
