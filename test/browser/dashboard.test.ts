/**
 * `shardtrain ui` in a real browser: every page renders without console errors, charts hold the
 * expected points, a running job's view updates live, controls are labelled and reachable by
 * keyboard, writes need --allow-writes, and bad input gets a 404 page or a clear error.
 */
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../cli/session.js';
import { type Dashboard, startDashboard } from '../../cli/ui-server.js';
import { keys } from '../../lib/engine/keys.js';
import { pipelineSchema } from '../../lib/engine/pipelines/index.js';
import { writeRoundRecord } from '../../lib/engine/training/round-records.js';
import { UsageError } from '../../lib/errors.js';
import { blobsProblem, toCsv } from '../../lib/examples/generators.js';
import type { TrainState } from '../../lib/optim/index.js';
import { ARTIFACTS, chartPoints, openBrowser, watchedPage } from '../support/browser.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';
import { readJson } from '../support/stored-json.js';

describe('Command: ui (in chromium)', () => {
  let dir: string;
  let home: string;
  let session: Session;
  let writable: Dashboard;
  let readOnly: Dashboard;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const jobIds: string[] = [];
  const versions: string[] = [];

  const churn = (seed: number, shift: number) =>
    toCsv(
      blobsProblem({
        rows: 200,
        centres: [
          [0, 0],
          [1.5 + shift, 1 + shift],
        ],
        labels: ['stay', 'leave'],
        seed,
      }),
    );

  beforeAll(async () => {
    dir = tempDir('shardtrain-ui-');
    home = join(dir, 'home');
    // Two versions of one dataset (the second shifted, so PSI sees drift), one job on each.
    for (const [seed, shift] of [
      [1, 0],
      [2, 2],
    ] as const) {
      const file = writeCsv(dir, 'churn.csv', churn(seed, shift));
      const r = await runCli([
        '--home',
        home,
        'train',
        '--data',
        file,
        '--target',
        'label',
        '--model',
        'logistic',
        '--runner',
        'inprocess',
        '--holdout',
        '0.2',
        '--json',
      ]);
      expect(r.code, r.err.join('\n')).toBe(0);
      jobIds.push(r.json<{ jobId: string }>().jobId);
    }
    for (const [args, ok] of [
      [['models', 'promote', 'churn', '1', '--reason', 'first model'], 0],
      [['models', 'promote', 'churn', '2', '--reason', 'better on holdout'], 0],
      [['models', 'rollback', 'churn', '--reason', 'rollback: v2 misbehaved'], 0],
    ] as const) {
      expect((await runCli(['--home', home, ...args])).code).toBe(ok);
    }
    session = new Session(home);
    const { store } = session.home;
    for (const u of (await store.list('processed/churn/')).filter((i) => i.key.endsWith('/manifest.json')))
      versions.push(u.key.split('/')[2]!);
    // A pipeline with one recorded gate decision, as the aggregator writes them.
    await store.put(
      keys.pipeline.definition('nightly'),
      JSON.stringify(
        pipelineSchema.parse({
          v: 1,
          name: 'nightly',
          dataset: 'churn',
          target: 'label',
          model: 'logistic',
          modelName: 'churn',
          schedule: 'rate(1 day)',
          createdAt: '2026-12-01T00:00:00.000Z',
        }),
      ),
    );
    await store.put(
      keys.pipeline.run('nightly', jobIds[1]!),
      JSON.stringify({
        v: 1,
        kind: 'gate',
        pipeline: 'nightly',
        at: '2026-12-01T03:00:00.000Z',
        jobId: jobIds[1],
        challenger: 2,
        champion: 1,
        promote: false,
        reason: 'accuracy 0.71 is not above the champion’s 0.93',
        metric: 'accuracy',
        challengerMetrics: { accuracy: 0.71 },
        championMetrics: { accuracy: 0.93 },
      }),
    );
    writable = await startDashboard(session, { port: 0, host: '127.0.0.1', allowWrites: true });
    readOnly = await startDashboard(session, { port: 0, host: '127.0.0.1', allowWrites: false });
    browser = await openBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await writable?.close();
    await readOnly?.close();
    await session?.close();
    removeTemp(dir);
  });

  it('renders every page with no console errors and the expected chart points', async () => {
    const { page, errors } = await watchedPage(browser.context);
    const pages: [string, Record<string, number>][] = [
      ['', {}],
      ['datasets/churn', { 'col-0': 24, 'col-1': 24, 'col-2': 2 }],
      [`datasets/churn?version=${versions[0]}`, { 'col-0': 24, 'col-1': 24, 'col-2': 2 }],
      [`jobs/${jobIds[0]}`, { 'coef-0': 2, 'col-2': 2 }],
      ['models/churn', { 'version-metrics': 2 }],
      ['pipelines', {}],
      ['dead-letters', {}],
    ];
    for (const [path, expected] of pages) {
      const response = await page.goto(`${readOnly.url}${path}`);
      expect(response?.status(), path).toBe(200);
      await page.waitForFunction(() => 'shardtrainCharts' in globalThis);
      expect(await chartPoints(page), path).toMatchObject(expected);
      expect(await page.$$('.error-box'), path).toHaveLength(0);
      if (path === '')
        await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
      if (path === 'models/churn')
        await page.screenshot({ path: join(ARTIFACTS, 'dashboard-model.png'), fullPage: true });
    }
    expect(errors).toEqual([]);
    // The dataset page compares the two versions; the model page shows every move and the gate.
    await page.goto(`${readOnly.url}datasets/churn`);
    expect(await page.textContent('#drift + table')).toContain(`${versions[0]} → ${versions[1]}`);
    await page.goto(`${readOnly.url}models/churn`);
    const timeline = await page.$$eval('ol.timeline li', (li) => li.map((x) => x.textContent ?? ''));
    expect(timeline).toHaveLength(4); // three alias moves + one gate decision
    expect(timeline.some((t) => t.includes('rollback: v2 misbehaved'))).toBe(true);
    expect(timeline.some((t) => t.includes('kept the champion'))).toBe(true);
    await page.goto(`${readOnly.url}pipelines`);
    expect(await page.textContent('main')).toContain('accuracy 0.71 is not above the champion’s 0.93');
    await page.close();
  });

  it('answers an unknown job, model, dataset or path with a 404 page', async () => {
    const { page } = await watchedPage(browser.context);
    for (const [path, text] of [
      ['jobs/no-such-job', 'no job "no-such-job"'],
      ['models/nope', 'no model "nope"'],
      ['datasets/nope', 'no dataset "nope"'],
      ['datasets/churn?version=0123456789abcdef', 'has no version 0123456789abcdef'],
      ['elsewhere', 'no page at /elsewhere'],
    ]) {
      const response = await page.goto(`${readOnly.url}${path}`);
      expect(response?.status(), path).toBe(404);
      expect(await page.textContent('.error-box'), path).toContain(text);
    }
    const api = await fetch(`${readOnly.url}api/jobs/no-such-job/progress`);
    expect(api.status).toBe(404);
    await page.close();
  });

  it('updates a running job’s loss curve live, shows a corrupt record in an error box, then its report', async () => {
    // Prepare: a copy of a finished job's spec and plan under a new id, with no rounds yet.
    const { store } = session.home;
    const id = 'live-job-0001';
    const spec = (await readJson<Record<string, unknown>>(store, keys.job.spec(jobIds[0]!)))!;
    const plan = (await readJson<Record<string, unknown>>(store, keys.job.plan(jobIds[0]!)))!;
    await store.put(keys.job.spec(id), JSON.stringify({ ...spec, jobId: id }));
    await store.put(keys.job.plan(id), JSON.stringify({ ...plan, jobId: id }));
    // Each round as the aggregator leaves it: the (lean) state after it, then its metrics record.
    const round = async (r: number) => {
      const last = { round: r, epoch: r, loss: 1 / (r + 1), gradNorm: 2 / (r + 1), lr: 0.5 };
      const state = {
        v: 1,
        round: r + 1,
        epoch: r + 1,
        last,
        lastEpoch: null,
        status: { status: 'running' },
      };
      await store.put(keys.job.state(id, r + 1), JSON.stringify(state));
      await writeRoundRecord(store, id, state as unknown as TrainState);
    };
    for (let r = 0; r < 5; r++) await round(r);
    const { page, errors } = await watchedPage(browser.context);

    // Act 1: open the job while it runs.
    await page.goto(`${readOnly.url}jobs/${id}`);
    await page.waitForFunction(() => 'shardtrainCharts' in globalThis);
    expect(await chartPoints(page)).toEqual({ loss: 5, lr: 5, 'grad-norm': 5 });
    expect(await page.textContent('#live-status')).toContain('running: round 5');

    // Act 2: five more rounds arrive; the page polls and redraws without a reload.
    for (let r = 5; r < 10; r++) await round(r);
    await page.waitForSelector('#chart-loss[data-points="10"]', { timeout: 15_000 });
    expect(await chartPoints(page)).toEqual({ loss: 10, lr: 10, 'grad-norm': 10 });
    expect(await page.getAttribute('[data-live]', 'data-round')).toBe('10');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live-job.png'), fullPage: true });

    // Act 3: a corrupt record shows up in an error box; the curve keeps its 10 points.
    await store.put(`jobs/${id}/metrics/000010.json`, 'not json');
    await page.waitForSelector('#live-errors .error-box', { timeout: 15_000 });
    expect(await page.textContent('#live-errors')).toContain(
      `jobs/${id}/metrics/000010.json: the metrics record is not valid JSON`,
    );
    await store.delete(`jobs/${id}/metrics/000010.json`);

    // Act 4: the job finishes (its model is written): the page reloads into the report.
    const model = (await store.get(keys.job.model(jobIds[0]!)))!;
    await store.put(keys.job.model(id), model.body);
    await page.waitForSelector('h2#evaluation', { timeout: 15_000 });
    expect(await chartPoints(page)).toMatchObject({ loss: 10, 'coef-0': 2 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('labels every control, reaches them by keyboard with a visible focus ring, and promotes through the form', async () => {
    const { page, errors } = await watchedPage(browser.context);
    await page.goto(`${writable.url}models/churn`);
    // Every form control has a label.
    const unlabelled = await page.$$eval('input, select', (els) =>
      els
        .filter((e) => (e as unknown as { labels: ArrayLike<unknown> }).labels.length === 0)
        .map((e) => e.id || e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    // Tab walks nav links, then the promote form's controls, in document order.
    const order: unknown[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(
          '(() => { const a = document.activeElement; return a.id || a.textContent.trim() || a.tagName; })()',
        ),
      );
    }
    expect(order.slice(0, 3)).toEqual(['Overview', 'Pipelines', 'Dead letters']);
    const at = order.indexOf('promote-version');
    expect(order.slice(at, at + 4)).toEqual([
      'promote-version',
      'promote-alias',
      'promote-reason',
      'Promote',
    ]);
    // The focused control shows an outline.
    await page.focus('#promote-reason');
    expect(
      await page.evaluate("getComputedStyle(document.querySelector('#promote-reason')).outlineStyle"),
    ).toBe('solid');

    // Promote v2 with the keyboard only: choose the version, type a reason, press Enter.
    await page.focus('#promote-version');
    await page.selectOption('#promote-version', '2');
    await page.focus('#promote-reason');
    await page.keyboard.type('chosen in the dashboard');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.textContent('[role="status"]')).toContain('churn@champion → 2');
    const last = (await session.home.registry.history('churn')).at(-1);
    expect(last).toMatchObject({ alias: 'champion', from: 1, to: 2, reason: 'chosen in the dashboard' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is read-only without --allow-writes: no forms, and a POST is refused with 403', async () => {
    const before = await session.home.registry.history('churn');
    const { page } = await watchedPage(browser.context);
    await page.goto(`${readOnly.url}models/churn`);
    expect(await page.$$('form')).toHaveLength(0);
    const r = await fetch(`${readOnly.url}models/churn/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'alias=champion',
    });
    expect(r.status).toBe(403);
    expect(await session.home.registry.history('churn')).toEqual(before);
    await page.close();
  });

  it('names the port when it is in use, at the API and on the command line (exit 2)', async () => {
    const port = Number(new URL(readOnly.url).port);
    await expect(startDashboard(session, { port, host: '127.0.0.1', allowWrites: false })).rejects.toThrow(
      new UsageError(`port ${port} on 127.0.0.1 is already in use; choose another with --port`),
    );
    const cli = await runCli(['--home', home, 'ui', '--port', String(port)]);
    expect(cli.code).toBe(2);
    expect(cli.err).toEqual([
      `shardtrain: port ${port} on 127.0.0.1 is already in use; choose another with --port`,
    ]);
  });
});
