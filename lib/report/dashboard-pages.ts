import type { UploadRecord } from '../engine/datasets/uploads.js';
import type { PipelineDecision } from '../engine/pipelines/index.js';
import type { DriftReport } from '../registry/drift.js';
import type { AliasMove, ModelVersion } from '../registry/index.js';
import type { DatasetSummary } from './dataset-charts.js';
import type { JobReport } from './gather-job-report.js';
import { type ChartAssets, chartFigure, errorBox, escapeHtml, fmt, type Nav, page, table } from './html.js';
import { datasetHtml, jobReportBody, roundCharts } from './render-job-report.js';

/** The dashboard's navigation bar. */
export const DASHBOARD_NAV: Nav = {
  links: [
    { href: '/', label: 'Overview' },
    { href: '/pipelines', label: 'Pipelines' },
    { href: '/dead-letters', label: 'Dead letters' },
  ],
};

const link = (href: string, text: string) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
const enc = encodeURIComponent;

export interface JobRow {
  readonly id: string;
  readonly state: string;
  readonly round: number;
  readonly dataset: string;
  readonly model: string;
  readonly createdAt: string;
}

export interface Overview {
  readonly where: string;
  readonly datasets: {
    readonly name: string;
    readonly versions: number;
    readonly failed: number;
    readonly rows: number | null;
  }[];
  readonly jobs: JobRow[];
  readonly models: {
    readonly name: string;
    readonly versions: number;
    readonly aliases: Record<string, number>;
  }[];
  readonly pipelines: { readonly name: string; readonly decisions: number }[];
  readonly deadLetters: number | null;
}

export function overviewPage(o: Overview, assets: ChartAssets): string {
  const body = [
    `<h1>shardtrain <span class="muted">— ${escapeHtml(o.where)}</span></h1>`,
    '<h2 id="datasets">Datasets</h2>',
    o.datasets.length === 0
      ? '<p class="muted">No datasets yet: <code>shardtrain upload file.csv --dataset name</code>.</p>'
      : table(
          ['dataset', 'versions', 'rows (newest)', 'failed uploads'],
          o.datasets.map((d) => [
            link(`/datasets/${enc(d.name)}`, d.name),
            String(d.versions),
            d.rows === null ? '–' : String(d.rows),
            String(d.failed),
          ]),
        ),
    '<h2 id="jobs">Jobs</h2>',
    o.jobs.length === 0
      ? '<p class="muted">No jobs yet.</p>'
      : table(
          ['job', 'state', 'round', 'model', 'dataset', 'created'],
          o.jobs.map((j) => [
            link(`/jobs/${enc(j.id)}`, j.id),
            `<span class="badge ${escapeHtml(j.state)}">${escapeHtml(j.state)}</span>`,
            String(j.round),
            escapeHtml(j.model),
            escapeHtml(j.dataset),
            escapeHtml(j.createdAt),
          ]),
        ),
    '<h2 id="models">Models</h2>',
    o.models.length === 0
      ? '<p class="muted">No models yet.</p>'
      : table(
          ['model', 'versions', 'aliases'],
          o.models.map((m) => [
            link(`/models/${enc(m.name)}`, m.name),
            String(m.versions),
            Object.entries(m.aliases)
              .map(([a, v]) => `<span class="badge">${escapeHtml(a)} → ${v}</span>`)
              .join(' '),
          ]),
        ),
    '<h2 id="pipelines">Pipelines</h2>',
    o.pipelines.length === 0
      ? '<p class="muted">No pipelines.</p>'
      : `<p>${o.pipelines.map((p) => `${escapeHtml(p.name)} (${p.decisions} decisions)`).join(', ')} — ${link('/pipelines', 'every decision')}</p>`,
    '<h2 id="dlq">Dead letters</h2>',
    `<p>${o.deadLetters === null ? 'not readable here' : `${o.deadLetters} message(s)`} — ${link('/dead-letters', 'with their reasons')}</p>`,
  ];
  return page('shardtrain dashboard', body.join('\n'), assets, DASHBOARD_NAV);
}

export interface DatasetPage {
  readonly name: string;
  readonly uploads: UploadRecord[];
  readonly shown: DatasetSummary;
  /** PSI of each version against the one before it, newest last. */
  readonly drift: {
    readonly from: string;
    readonly to: string;
    readonly report: DriftReport | null;
    readonly error?: string;
  }[];
}

export function datasetPage(d: DatasetPage, assets: ChartAssets): string {
  const ready = d.uploads.filter((u) => u.state === 'ready');
  const versions = [...new Set(ready.map((u) => (u.state === 'ready' ? u.version : '')))];
  const psiCols = [...new Set(d.drift.flatMap((x) => x.report?.features.map((f) => f.feature) ?? []))];
  const body = [
    `<h1>Dataset <code>${escapeHtml(d.name)}</code></h1>`,
    table(
      ['uploaded', 'file', 'state', 'version / error', 'rows'],
      d.uploads.map((u) => [
        escapeHtml(u.at),
        escapeHtml(u.key),
        `<span class="badge ${u.state === 'failed' ? 'failed' : u.state === 'ready' ? 'done' : ''}">${escapeHtml(u.state)}</span>`,
        u.state === 'ready'
          ? link(`?version=${enc(u.version)}`, u.version)
          : u.state === 'failed'
            ? escapeHtml(u.error)
            : '',
        u.state === 'ready' ? String(u.rows) : '',
      ]),
      'Uploads',
    ),
    `<form class="inline" method="get" action=""><label for="version-select">Version shown</label>
<select id="version-select" name="version">${versions
      .map(
        (v) =>
          `<option value="${escapeHtml(v)}"${v === d.shown.version ? ' selected' : ''}>${escapeHtml(v)}</option>`,
      )
      .join('')}</select><button type="submit">Show</button></form>`,
    '<h2 id="drift">Drift between versions (PSI)</h2>',
    d.drift.length === 0
      ? '<p class="muted">One version only: nothing to compare.</p>'
      : table(
          ['from → to', ...psiCols, 'max'],
          d.drift.map((x) =>
            x.report === null
              ? [
                  `${escapeHtml(x.from)} → ${escapeHtml(x.to)}`,
                  ...psiCols.map(() => '–'),
                  escapeHtml(x.error ?? ''),
                ]
              : [
                  `${escapeHtml(x.from)} → ${escapeHtml(x.to)}`,
                  ...psiCols.map((c) => {
                    const f = x.report?.features.find((y) => y.feature === c);
                    return f === undefined
                      ? '–'
                      : `${f.drifted ? '<strong>' : ''}${fmt(f.psi)}${f.drifted ? '</strong>' : ''}`;
                  }),
                  `${fmt(x.report.maxPsi)}${x.report.drifted ? ' <span class="badge failed">drift</span>' : ''}`,
                ],
          ),
          'PSI per column at the reference version’s deciles (> 0.2: significant drift)',
        ),
    `<h2 id="stats">Columns of version ${escapeHtml(d.shown.version)}</h2>`,
    datasetHtml(d.shown),
  ];
  return page(`dataset ${d.name}`, body.join('\n'), assets, DASHBOARD_NAV);
}

/** A running job: the round charts, redrawn from the progress endpoint; a finished job: its report. */
export function jobPage(r: JobReport, assets: ChartAssets): string {
  if (r.status === 'done' || r.status === 'failed')
    return page(`job ${r.jobId}`, jobReportBody(r), assets, DASHBOARD_NAV);
  const api = `/api/jobs/${enc(r.jobId)}/progress`;
  const body = [
    `<h1>Job <code>${escapeHtml(r.jobId)}</code> <span class="badge running">${escapeHtml(r.status)}</span></h1>`,
    `<div id="live-errors">${r.errors.map((e) => errorBox(e)).join('')}</div>`,
    `<section data-live="${escapeHtml(api)}" data-interval="1000" data-round="${r.round}" data-status="${escapeHtml(r.status)}">`,
    `<p id="live-status" aria-live="polite">${escapeHtml(progressText(r))}</p>`,
    '<p><input type="checkbox" id="pause-live"> <label for="pause-live">Pause live updates</label></p>',
    `<div class="grid">${roundCharts(r.history, api)
      .map((c) => chartFigure(c))
      .join('\n')}</div>`,
    '</section>',
  ];
  return page(`job ${r.jobId} (running)`, body.join('\n'), assets, DASHBOARD_NAV);
}

export function progressText(r: Pick<JobReport, 'status' | 'round' | 'history' | 'maxEpochs'>): string {
  const last = r.history.rounds.at(-1);
  return `${r.status}: round ${r.round}${last !== undefined ? `, epoch ${last.epoch}${r.maxEpochs !== null ? ` of at most ${r.maxEpochs}` : ''}, loss ${fmt(last.loss)}` : ''}`;
}

export interface ModelPage {
  readonly name: string;
  readonly versions: ModelVersion[];
  readonly aliases: Record<string, number>;
  readonly history: AliasMove[];
  readonly decisions: PipelineDecision[];
  readonly allowWrites: boolean;
  readonly message?: string;
}

export function modelPage(m: ModelPage, assets: ChartAssets): string {
  const metricNames = [
    ...new Set(
      m.versions.flatMap((v) => [...Object.keys(v.metrics.train), ...Object.keys(v.metrics.holdout ?? {})]),
    ),
  ];
  const rows = m.versions.map((v) => [
    `<strong>${v.version}</strong>`,
    escapeHtml(v.createdAt),
    Object.entries(m.aliases)
      .filter(([, n]) => n === v.version)
      .map(([a]) => `<span class="badge">${escapeHtml(a)}</span>`)
      .join(' '),
    ...metricNames.map((k) => {
      const h = v.metrics.holdout?.[k];
      return `${fmt(v.metrics.train[k])}${h !== undefined ? ` <span class="muted">/ ${fmt(h)}</span>` : ''}`;
    }),
    `<code>${escapeHtml(v.lineage.dataset)}@${escapeHtml(v.lineage.datasetVersion)}</code>`,
    v.lineage.jobId === undefined ? '–' : link(`/jobs/${enc(v.lineage.jobId)}`, v.lineage.jobId),
    escapeHtml(`${v.lineage.packageVersion}${v.lineage.gitCommit ? ` ${v.lineage.gitCommit}` : ''}`),
  ]);
  type Item = { at: string; cls: string; html: string };
  const items: Item[] = [
    ...m.history.map((h) => ({
      at: h.at,
      cls: /rollback|rolled back/i.test(h.reason) ? 'rollback' : '',
      html: `<strong>${escapeHtml(h.alias)}</strong>: ${h.from ?? '∅'} → ${h.to ?? '∅'} — ${escapeHtml(h.reason)}${h.actor ? ` <span class="muted">(${escapeHtml(h.actor)})</span>` : ''}`,
    })),
    ...m.decisions.map((d) =>
      d.kind === 'gate'
        ? {
            at: d.at,
            cls: d.promote ? 'gate-promote' : 'gate-keep',
            html: `<strong>gate (${escapeHtml(d.pipeline)})</strong>: v${d.challenger} vs champion ${d.champion ?? '∅'} on ${escapeHtml(d.metric)} — ${d.promote ? 'promoted' : 'kept the champion'}: ${escapeHtml(d.reason)}`,
          }
        : {
            at: d.at,
            cls: '',
            html: `<strong>pipeline ${escapeHtml(d.pipeline)} skipped</strong>: ${escapeHtml(d.reason)}`,
          },
    ),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const forms = m.allowWrites
    ? `<h2 id="actions">Move an alias</h2>
<form class="inline" method="post" action="/models/${escapeHtml(enc(m.name))}/promote">
<label for="promote-version">Version</label><select id="promote-version" name="version">${m.versions
        .map((v) => `<option value="${v.version}">${v.version}</option>`)
        .join('')}</select>
<label for="promote-alias">Alias</label><input id="promote-alias" name="alias" value="champion" required>
<label for="promote-reason">Reason</label><input id="promote-reason" name="reason" placeholder="why">
<button type="submit">Promote</button></form>
<form class="inline" method="post" action="/models/${escapeHtml(enc(m.name))}/rollback">
<label for="rollback-alias">Alias</label><input id="rollback-alias" name="alias" value="champion" required>
<label for="rollback-reason">Reason</label><input id="rollback-reason" name="reason" placeholder="why">
<button type="submit">Roll back</button></form>`
    : '<p class="muted">Read-only: start <code>shardtrain ui --allow-writes</code> to promote or roll back here.</p>';
  const ordered = [...m.versions].sort((a, b) => a.version - b.version);
  const tracked = metricNames.filter((k) => k !== 'epochs' && k !== 'rounds');
  const metricChart =
    ordered.length < 2 || tracked.length === 0
      ? ''
      : `<div class="grid">${chartFigure({
          id: 'version-metrics',
          title: 'Metrics by version (train; holdout dashed)',
          kind: 'line',
          xLabel: 'version',
          yLabel: 'metric',
          x: ordered.map((_, i) => i),
          xNames: ordered.map((v) => `v${v.version}`),
          series: tracked.flatMap((k) => [
            { label: `${k} (train)`, values: ordered.map((v) => v.metrics.train[k] ?? null) },
            ...(ordered.some((v) => v.metrics.holdout?.[k] !== undefined)
              ? [
                  {
                    label: `${k} (holdout)`,
                    values: ordered.map((v) => v.metrics.holdout?.[k] ?? null),
                    dashed: true,
                  },
                ]
              : []),
          ]),
        })}</div>`;
  const body = [
    `<h1>Model <code>${escapeHtml(m.name)}</code></h1>`,
    m.message === undefined ? '' : `<div class="kv" role="status">${escapeHtml(m.message)}</div>`,
    table(
      [
        'version',
        'created',
        'aliases',
        ...metricNames.map((k) => `${k} (train / holdout)`),
        'dataset',
        'job',
        'code',
      ],
      rows,
      'Versions',
    ),
    metricChart,
    '<h2 id="timeline">Alias timeline</h2>',
    items.length === 0
      ? '<p class="muted">No alias has been set.</p>'
      : `<ol class="timeline" aria-label="Alias history">${items
          .map(
            (i) =>
              `<li class="${i.cls}"><time datetime="${escapeHtml(i.at)}">${escapeHtml(i.at)}</time>${i.html}</li>`,
          )
          .join('')}</ol>`,
    forms,
  ];
  return page(`model ${m.name}`, body.join('\n'), assets, DASHBOARD_NAV);
}

export function pipelinesPage(
  pipelines: {
    readonly name: string;
    readonly modelName: string;
    readonly dataset: string;
    readonly schedule: string;
    readonly decisions: PipelineDecision[];
  }[],
  assets: ChartAssets,
): string {
  const body = [
    '<h1>Pipelines</h1>',
    pipelines.length === 0
      ? '<p class="muted">No pipelines: <code>shardtrain pipelines create</code>.</p>'
      : '',
    ...pipelines.map(
      (p) =>
        `<h2 id="p-${escapeHtml(p.name)}">${escapeHtml(p.name)} <span class="muted">— ${escapeHtml(p.dataset)} → ${link(`/models/${enc(p.modelName)}`, p.modelName)}, ${escapeHtml(p.schedule)}</span></h2>${
          p.decisions.length === 0
            ? '<p class="muted">No decisions yet.</p>'
            : table(
                ['at', 'decision', 'job', 'reason'],
                p.decisions.map((d) => [
                  escapeHtml(d.at),
                  d.kind === 'gate'
                    ? d.promote
                      ? `promote v${d.challenger}`
                      : `keep champion v${d.champion ?? '∅'}`
                    : 'skipped',
                  d.kind === 'gate' ? link(`/jobs/${enc(d.jobId)}`, d.jobId) : '–',
                  escapeHtml(d.reason),
                ]),
              )
        }`,
    ),
  ];
  return page('pipelines', body.join('\n'), assets, DASHBOARD_NAV);
}

export function deadLettersPage(
  rows:
    | { queue: string; messageId: string; receiveCount: number; body: string; reason: string | null }[]
    | { error: string },
  assets: ChartAssets,
): string {
  const body = [
    '<h1>Dead letters</h1>',
    'error' in rows
      ? errorBox(rows.error)
      : rows.length === 0
        ? '<p>No dead letters.</p>'
        : table(
            ['queue', 'message', 'tries', 'reason', 'body'],
            rows.map((r) => [
              escapeHtml(r.queue),
              `<code>${escapeHtml(r.messageId)}</code>`,
              String(r.receiveCount),
              escapeHtml(r.reason ?? 'no reason recorded'),
              `<code>${escapeHtml(r.body.slice(0, 200))}</code>`,
            ]),
          ),
  ];
  return page('dead letters', body.join('\n'), assets, DASHBOARD_NAV);
}

export function notFoundPage(message: string, assets: ChartAssets): string {
  return page(
    'not found',
    `<h1>Not found</h1>${errorBox(message)}<p>${link('/', 'Back to the overview')}</p>`,
    assets,
    DASHBOARD_NAV,
  );
}

export function errorPage(message: string, assets: ChartAssets): string {
  return page('error', `<h1>Something went wrong</h1>${errorBox(message)}`, assets, DASHBOARD_NAV);
}
