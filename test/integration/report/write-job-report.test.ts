/**
 * The report as the finishing aggregator writes it on AWS (`jobs/<id>/report.html`), and the
 * presigned link `shardtrain report --url` prints, over a local store with a stand-in signer.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from '../../../cli/commands/report.js';
import type { Io } from '../../../cli/output.js';
import { Session } from '../../../cli/session.js';
import { keys } from '../../../lib/engine/keys.js';
import { linearProblem, toCsv } from '../../../lib/examples/generators.js';
import type { ObjectLinks } from '../../../lib/ports.js';
import { writeJobReport } from '../../../lib/report/index.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../../support/cli.js';

describe('Function: writeJobReport', () => {
  let dir: string;
  let session: Session;
  let jobId: string;

  beforeAll(async () => {
    dir = tempDir('shardtrain-report-store-');
    const file = writeCsv(dir, 'prices.csv', toCsv(linearProblem({ rows: 120, weights: [3, -1], seed: 2 })));
    const r = await runCli([
      '--home',
      join(dir, 'home'),
      'train',
      '--data',
      file,
      '--target',
      'y',
      '--model',
      'linear',
      '--runner',
      'inprocess',
      '--json',
    ]);
    expect(r.code, r.err.join('\n')).toBe(0);
    jobId = r.json<{ jobId: string }>().jobId;
    session = new Session(join(dir, 'home'));
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    removeTemp(dir);
  });

  it('stores one self-contained HTML page next to the job', async () => {
    const { store, registry } = session.home;
    const key = await writeJobReport(store, registry, jobId);
    expect(key).toBe(`jobs/${jobId}/report.html`);
    const html = new TextDecoder().decode((await store.get(key))!.body);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`Job <code>${jobId}</code>`);
    expect(html).toContain('uPlot'); // the chart library is inlined
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it('report --url signs a GET of the stored report as HTML, writing it first when missing', async () => {
    const { store } = session.home;
    await store.delete(keys.job.report(jobId));
    const signed: unknown[][] = [];
    const links: ObjectLinks = {
      presignGet: async (...args) => {
        signed.push(args);
        return `https://bucket.example/${args[0]}?signed`;
      },
    };
    const fake = { home: { ...session.home, links } } as unknown as Session;
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: () => undefined, isTty: false };

    await report(fake, { ref: jobId, out: 'unused.html', url: true, json: false }, io);

    expect(out).toEqual([`https://bucket.example/jobs/${jobId}/report.html?signed`]);
    expect(signed).toEqual([[`jobs/${jobId}/report.html`, 86_400, 'text/html; charset=utf-8']]);
    expect(await store.head(keys.job.report(jobId))).toBeDefined();
  });
});
