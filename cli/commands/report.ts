import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { keys } from '../../lib/engine/keys.js';
import { UsageError } from '../../lib/errors.js';
import { jobReportHtml, resolveReportJob } from '../../lib/report/index.js';
import { withScratchDataset } from '../home.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';

/** How long `shardtrain report --url` links stay valid. */
export const REPORT_LINK_SECONDS = 24 * 3600;

export interface ReportArgs {
  readonly ref: string;
  readonly out: string;
  readonly data?: string;
  readonly url: boolean;
  readonly json: boolean;
}

/**
 * `shardtrain report <jobId | name@version>`: one self-contained HTML file (the chart library
 * inlined; it opens from disk with no network). `--data test.csv` scores the model on that file
 * instead of the job's holdout. `--url` (SHARDTRAIN_CLOUD=aws): a presigned link to the report
 * the finishing aggregator left at `jobs/<id>/report.html` (written now if it is not there).
 */
export async function report(session: Session, args: ReportArgs, io: Io) {
  const { store, registry, links } = session.home;
  const jobId = await resolveReportJob(store, registry, args.ref);
  if (args.url) {
    if (links === undefined) {
      throw new UsageError(
        '--url needs the deployed bucket (SHARDTRAIN_CLOUD=aws); locally, open the file --out writes',
      );
    }
    const key = keys.job.report(jobId);
    if ((await store.head(key)) === undefined)
      await store.put(key, await jobReportHtml(store, registry, jobId));
    const url = await links.presignGet(key, REPORT_LINK_SECONDS, 'text/html; charset=utf-8');
    io.out(args.json ? JSON.stringify({ jobId, key, url, expiresInSeconds: REPORT_LINK_SECONDS }) : url);
    return { jobId, url };
  }
  const html =
    args.data === undefined
      ? await jobReportHtml(store, registry, jobId)
      : await withScratchDataset(args.data, (scratch, manifest) =>
          jobReportHtml(store, registry, jobId, {
            evaluateOn: { store: scratch, manifest, label: args.data! },
          }),
        );
  const out = resolve(args.out);
  await writeFile(out, html);
  if (args.json) io.out(JSON.stringify({ jobId, out, bytes: Buffer.byteLength(html) }));
  else io.out(`wrote the report of job ${jobId} to ${out}`);
  return { jobId, out };
}
