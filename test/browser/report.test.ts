/**
 * `shardtrain report` in a real browser (headless chromium): the file opens from disk with no
 * network, draws every chart with the expected number of points, and shows problems in an
 * error box instead of a blank page.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/local/index.js';
import { isHoldoutRow } from '../../lib/engine/datasets/holdout.js';
import { HOLDOUT_SEED } from '../../lib/engine/training/job-plan.js';
import { blobsProblem, linearProblem, toCsv } from '../../lib/examples/generators.js';
import { chartAssets } from '../../lib/report/assets.js';
import { chartFigure, lineChart, MAX_LINE_POINTS, page } from '../../lib/report/html.js';
import { ARTIFACTS, chartPoints, openBrowser, watchedPage } from '../support/browser.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

interface Trained {
  jobId: string;
  modelId: string;
  metrics: { rounds: number; epochs: number };
}

/** Rows of an n-row dataset in the holdout mask every job uses. */
const holdoutCount = (n: number, f: number) =>
  Array.from({ length: n }, (_, i) => i).filter((i) => isHoldoutRow(i, f, HOLDOUT_SEED)).length;

describe('Command: report (in chromium)', () => {
  let dir: string;
  let home: string;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const jobs: Record<string, Trained> = {};

  const train = async (name: string, csv: string, args: string[]) => {
    const file = writeCsv(dir, `${name}.csv`, csv);
    const r = await runCli([
      '--home',
      home,
      'train',
      '--data',
      file,
      '--runner',
      'inprocess',
      '--json',
      ...args,
    ]);
    expect(r.code, r.err.join('\n')).toBe(0);
    jobs[name] = r.json<Trained>();
  };

  /** Writes the report of `ref` and opens it from disk; returns the page, its errors and chart points. */
  const open = async (ref: string, extra: string[] = []) => {
    const out = join(dir, `${ref.replace(/[^a-z0-9]/gi, '_')}.html`);
    const r = await runCli(['--home', home, 'report', ref, '--out', out, '--json', ...extra]);
    expect(r.code, r.err.join('\n')).toBe(0);
    const { page, errors } = await watchedPage(browser.context);
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(`file://${out}`);
    await page.waitForFunction(() => 'shardtrainCharts' in globalThis);
    return { page, errors, requests, points: await chartPoints(page), html: readFileSync(out, 'utf8') };
  };

  beforeAll(async () => {
    dir = tempDir('shardtrain-report-');
    home = join(dir, 'home');
    browser = await openBrowser();
    await train(
      'churn',
      toCsv(
        blobsProblem({
          rows: 300,
          centres: [
            [0, 0],
            [1.5, 1],
          ],
          labels: ['stay', 'leave'],
        }),
      ),
      ['--target', 'label', '--model', 'logistic', '--holdout', '0.25'],
    );
    await train(
      'iris',
      toCsv(
        blobsProblem({
          rows: 240,
          centres: [
            [0, 0],
            [3, 0],
            [0, 3],
          ],
          labels: ['a', 'b', 'c'],
          seed: 3,
        }),
      ),
      ['--target', 'label', '--model', 'softmax', '--holdout', '0.25'],
    );
    await train('houses', toCsv(linearProblem({ rows: 200, weights: [1, -2, 0.5], seed: 5 })), [
      '--target',
      'y',
      '--model',
      'linear',
      '--pca',
      '2',
      '--holdout',
      '0.2',
    ]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    removeTemp(dir);
  });

  it('binary: loss curves, coefficients, ROC over every holdout row, confusion matrix, calibration, histograms', async () => {
    // Prepare
    const job = jobs.churn!;
    const holdout = holdoutCount(300, 0.25);

    // Act
    const { page, errors, points, html, requests } = await open(job.jobId);
    await page.screenshot({ path: join(ARTIFACTS, 'report-binary.png'), fullPage: true });

    // Assess: self-contained (no external script, style or image; the page asked only for itself).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|url\(\s*['"]?https?:/);
    expect(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);
    expect(errors).toEqual([]);
    const rounds = Math.min(job.metrics.rounds, 1000);
    expect(points).toMatchObject({ loss: rounds, lr: rounds, 'grad-norm': rounds });
    expect(points['epoch-loss']).toBe(job.metrics.epochs);
    expect(points['coef-0']).toBe(2); // f1, f2
    // Continuous features give distinct scores: one ROC point per holdout row, plus (0, 0).
    expect(points.roc).toBe(holdout + 1);
    expect(points.calibration).toBeGreaterThanOrEqual(2);
    expect(points.calibration).toBeLessThanOrEqual(10);
    expect(points).toMatchObject({ 'col-0': 24, 'col-1': 24, 'col-2': 2 }); // f1, f2 binned; label: 2 classes
    const cells = await page.$$eval('#confusion td.heat', (tds) => tds.map((td) => Number(td.textContent)));
    expect(cells).toHaveLength(4);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(holdout);
    // Every chart figure says how many points it drew, as uPlot holds them.
    const declared = await page.$$eval('figure.chart', (fs) =>
      Object.fromEntries(
        fs.map((f) => [f.getAttribute('data-chart'), Number(f.getAttribute('data-points'))]),
      ),
    );
    expect(declared).toEqual(points);
    await page.close();
  });

  it('multiclass: per-class coefficients, per-class accuracy and a K×K confusion matrix', async () => {
    const { page, errors, points } = await open(jobs.iris!.modelId);
    await page.screenshot({ path: join(ARTIFACTS, 'report-multiclass.png'), fullPage: true });

    expect(errors).toEqual([]);
    expect(points).toMatchObject({ 'coef-0': 2, 'coef-1': 2, 'coef-2': 2, 'per-class-accuracy': 3 });
    const cells = await page.$$eval('#confusion td.heat', (tds) => tds.map((td) => Number(td.textContent)));
    expect(cells).toHaveLength(9);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(holdoutCount(240, 0.25));
    await page.close();
  });

  it('regression with PCA: predicted vs actual, residual histogram, components; --data scores another file', async () => {
    const holdout = holdoutCount(200, 0.2);
    const first = await open(jobs.houses!.jobId);
    expect(first.errors).toEqual([]);
    expect(first.points).toMatchObject({
      'pred-vs-actual': holdout,
      residuals: 30,
      'coef-0': 3,
      'pca-variance': 2,
    });
    await first.page.close();

    const test = writeCsv(
      dir,
      'houses-test.csv',
      toCsv(linearProblem({ rows: 50, weights: [1, -2, 0.5], seed: 9 })),
    );
    const second = await open(jobs.houses!.jobId, ['--data', test]);
    expect(second.errors).toEqual([]);
    expect(second.points['pred-vs-actual']).toBe(50);
    expect(await second.page.textContent('#evaluation + p')).toContain('houses-test.csv: 50 rows');
    await second.page.close();
  });

  it('shows a corrupt metrics record in an error box, not a blank page', async () => {
    // Prepare: a per-round record that is not JSON, where the aggregator writes them.
    const store = new FsObjectStore({ root: join(home, 'store') });
    const jobId = jobs.houses!.jobId;
    await store.put(`jobs/${jobId}/metrics/000000.json`, '{"round": 0, "lo');

    // Act
    const { page, errors } = await open(jobId);

    // Assess
    expect(errors).toEqual([]);
    const boxes = await page.$$eval('.error-box', (b) => b.map((x) => x.textContent ?? ''));
    expect(
      boxes.some((t) =>
        t.includes(`jobs/${jobId}/metrics/000000.json: the metrics record is not valid JSON`),
      ),
    ).toBe(true);
    expect(await page.textContent('h1')).toContain(jobId);
    await page.close();
    await store.delete(`jobs/${jobId}/metrics/000000.json`);
  });

  it('draws a 10k-round loss curve min–max decimated, keeping the spike and saying so', async () => {
    // Prepare: the loss chart of a 10 000-round job with one spike at round 7000.
    const x = Array.from({ length: 10_000 }, (_, i) => i);
    const loss = x.map((i) => 1 / (1 + i / 100) + (i === 7000 ? 3 : 0));
    const spec = lineChart({
      id: 'loss',
      title: 'loss',
      xLabel: 'round',
      yLabel: 'loss',
      x,
      series: [{ label: 'loss', values: loss }],
      logY: true,
    });
    const file = join(dir, 'long.html');
    writeFileSync(file, page('long', chartFigure(spec), chartAssets()));
    const { page: tab, errors } = await watchedPage(browser.context);

    // Act
    await tab.goto(`file://${file}`);
    await tab.waitForFunction(() => 'shardtrainCharts' in globalThis);

    // Assess
    const drawn = (await chartPoints(tab)).loss!;
    expect(drawn).toBeLessThanOrEqual(MAX_LINE_POINTS);
    expect(await tab.getAttribute('#chart-loss', 'data-total')).toBe('10000');
    const max = await tab.evaluate('Math.max(...globalThis.shardtrainCharts.loss.data[1])');
    expect(max).toBeCloseTo(1 / 71 + 3, 12);
    expect(errors).toEqual([]);
    await tab.close();
  });

  it('exits 2 with one line for an unknown job or model, and for --url without the deployed bucket', async () => {
    const unknown = await runCli(['--home', home, 'report', 'no-such-job', '--out', join(dir, 'x.html')]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toEqual([
      'shardtrain: no job or model version "no-such-job" (see: shardtrain jobs, shardtrain models list)',
    ]);
    const noVersion = await runCli(['--home', home, 'report', 'churn@7']);
    expect(noVersion.code).toBe(2);
    expect(noVersion.err).toHaveLength(1);
    const url = await runCli(['--home', home, 'report', jobs.churn!.jobId, '--url']);
    expect(url.code).toBe(2);
    expect(url.err[0]).toContain('--url needs the deployed bucket (SHARDTRAIN_CLOUD=aws)');
  });
});
