import type { DatasetSummary } from './dataset-charts.js';
import type { EvaluationCharts } from './evaluation-charts.js';
import type { JobReport } from './gather-job-report.js';
import {
  type ChartAssets,
  type ChartSpec,
  chartFigure,
  errorBox,
  escapeHtml,
  fmt,
  heatTable,
  lineChart,
  type Nav,
  page,
  table,
} from './html.js';
import type { RoundHistory } from './round-history.js';

/** The round charts (loss, lr, gradient norm), shared by the report and the live job view. */
export function roundCharts(h: RoundHistory, live?: string): ChartSpec[] {
  const x = h.rounds.map((r) => r.round);
  const one = (id: string, title: string, label: string, values: number[], logY: boolean): ChartSpec =>
    lineChart({
      id,
      title,
      xLabel: 'round',
      yLabel: label,
      x,
      series: [{ label, values }],
      logY,
      ...(live !== undefined ? { live } : {}),
    });
  return [
    one(
      'loss',
      'Training loss per round',
      'loss',
      h.rounds.map((r) => r.loss),
      true,
    ),
    one(
      'lr',
      'Learning rate per round',
      'learning rate',
      h.rounds.map((r) => r.lr),
      false,
    ),
    one(
      'grad-norm',
      'Gradient norm per round',
      '‖g‖',
      h.rounds.map((r) => r.gradNorm),
      true,
    ),
  ];
}

/** What the live endpoint sends for the round charts: the same decimation as the page. */
export function roundChartData(
  h: RoundHistory,
): Record<string, { x: number[]; series: (number | null)[][] }> {
  return Object.fromEntries(
    roundCharts(h).map((c) => [c.id, { x: c.x, series: c.series.map((s) => s.values) }]),
  );
}

function trainingSection(r: JobReport): string {
  const h = r.history;
  const parts: string[] = ['<h2 id="training">Training</h2>'];
  if (h.source === 'none') parts.push(errorBox('no round history was recorded for this job yet'));
  if (h.source === 'state')
    parts.push(
      `<p class="muted">History from the newest training state (the in-process runner writes no per-round records); it holds the last ${h.rounds.length} rounds.</p>`,
    );
  const charts = h.rounds.length > 0 ? roundCharts(h).map((c) => chartFigure(c)) : [];
  if (h.epochs.length > 0) {
    charts.push(
      chartFigure(
        lineChart({
          id: 'epoch-loss',
          title: 'Loss per epoch',
          xLabel: 'epoch',
          yLabel: 'loss',
          x: h.epochs.map((e) => e.epoch),
          series: [{ label: 'epoch loss', values: h.epochs.map((e) => e.loss) }],
          logY: true,
        }),
      ),
    );
  }
  const timed = h.rounds.filter((x) => x.roundMs !== null);
  if (timed.length > 0) {
    const hasCompute = timed.some((x) => x.computeMs !== null);
    charts.push(
      chartFigure(
        lineChart({
          id: 'round-time',
          title: hasCompute ? 'Wall time per round: compute and coordination' : 'Wall time per round',
          xLabel: 'round',
          yLabel: 'ms',
          x: timed.map((x) => x.round),
          series: hasCompute
            ? [
                { label: 'round (ms)', values: timed.map((x) => x.roundMs) },
                { label: 'compute (ms)', values: timed.map((x) => x.computeMs) },
                {
                  label: 'coordination (ms)',
                  values: timed.map((x) =>
                    x.computeMs === null ? null : Math.max(0, x.roundMs! - x.computeMs),
                  ),
                },
              ]
            : [{ label: 'round (ms)', values: timed.map((x) => x.roundMs) }],
        }),
        hasCompute
          ? 'coordination = round wall time − the slowest worker’s compute time'
          : 'only the round’s wall time is recorded (state to state); the compute/coordination split is not',
      ),
    );
  }
  parts.push(`<div class="grid">${charts.join('\n')}</div>`);
  return parts.join('\n');
}

function planSection(r: JobReport): string {
  const p = r.plan;
  const s = r.spec;
  const rows: [string, string][] = [
    ['job', `<code>${escapeHtml(r.jobId)}</code>`],
    [
      'status',
      `<span class="badge ${escapeHtml(r.status)}">${escapeHtml(r.status)}</span>${r.stopReason ? ` (${escapeHtml(r.stopReason)})` : ''}, ${r.round} rounds`,
    ],
    [
      'model',
      `${escapeHtml(s.model)} → <code>${escapeHtml(s.modelName)}</code>, target <code>${escapeHtml(s.target)}</code>`,
    ],
    ['dataset', `<code>${escapeHtml(s.dataset.name)}@${escapeHtml(s.dataset.version)}</code>`],
    ['features', escapeHtml(s.features.join(', '))],
    ['created', escapeHtml(s.createdAt)],
  ];
  if (p !== null) {
    if (p.solver !== null)
      rows.push(['solver', `<strong>${escapeHtml(p.solver.name)}</strong> — ${escapeHtml(p.solver.reason)}`]);
    const rowsLine = `${p.workers} worker(s), ${p.trainRows} training rows`;
    // The optimizer, schedule and epoch cap are gradient descent's; the solvers use none of them.
    if (p.solver === null || p.solver.name === 'gd')
      rows.push(
        [
          'algorithm',
          `${escapeHtml(p.algorithm)} (batch ${p.batchSize}), ${escapeHtml(p.sync)} over ${rowsLine}`,
        ],
        [
          'optimizer',
          `${escapeHtml(p.optimizer)}, lr ${fmt(p.lr)} (${escapeHtml(p.schedule)} schedule), at most ${p.maxEpochs} epochs`,
        ],
      );
    else rows.push(['data', rowsLine]);
  }
  if (s.reduction !== undefined)
    rows.push(['reduction', `${escapeHtml(s.reduction.kind)} to ${s.reduction.k} components`]);
  return `<h2 id="plan">Plan</h2><dl class="kv">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function modelSection(r: JobReport): string {
  const m = r.model;
  if (m === null)
    return '<h2 id="model">Model</h2><p class="muted">No model yet: the job has not finished.</p>';
  const charts = m.coefficients.map((c, i) =>
    chartFigure(
      {
        id: `coef-${i}`,
        title: m.coefficients.length > 1 ? `Coefficients, class ${c.label}` : `Coefficients (${c.label})`,
        kind: 'bars',
        xLabel: 'feature',
        yLabel: 'coefficient',
        x: m.features.map((_, j) => j),
        xNames: m.features,
        series: [{ label: 'coefficient', values: c.values }],
      },
      `in original feature units; intercept ${fmt(c.intercept)}`,
    ),
  );
  const net = m.network;
  if (net !== undefined)
    charts.push(
      chartFigure(
        {
          id: 'mlp-inputs',
          title: 'First-layer weight norm per feature',
          kind: 'bars',
          xLabel: 'feature',
          yLabel: '‖W₁[:, j]‖',
          x: m.features.map((_, j) => j),
          xNames: m.features,
          series: [{ label: 'weight norm', values: net.inputWeightNorms }],
        },
        'in original feature units: how strongly the network reads each feature',
      ),
    );
  const parts = [
    '<h2 id="model">Model</h2>',
    ...(net === undefined
      ? []
      : [
          `<p>Network: ${net.sizes.join(' → ')} (${escapeHtml(net.activation)} hidden layers, ${escapeHtml(net.head)} head), ${net.parameters} parameters</p>`,
        ]),
    `<p>Train metrics: ${Object.entries(m.metrics)
      .map(([k, v]) => `${escapeHtml(k)} <strong>${fmt(v)}</strong>`)
      .join(', ')}</p>`,
    `<div class="grid">${charts.join('\n')}</div>`,
  ];
  const comp = m.components;
  if (comp !== null) {
    parts.push(
      `<h3>${comp.kind === 'pca' ? 'Principal components' : 'Random projection'} used (${comp.k})</h3>`,
    );
    if (comp.explainedVarianceRatio !== null) {
      parts.push(
        chartFigure({
          id: 'pca-variance',
          title: 'Explained variance ratio per component',
          kind: 'bars',
          xLabel: 'component',
          yLabel: 'share of variance',
          x: comp.explainedVarianceRatio.map((_, i) => i),
          xNames: comp.explainedVarianceRatio.map((_, i) => `PC${i + 1}`),
          series: [{ label: 'explained variance ratio', values: comp.explainedVarianceRatio }],
        }),
      );
    }
    parts.push(
      table(
        [
          'feature',
          ...Array.from({ length: comp.k }, (_, i) => `${comp.kind === 'pca' ? 'PC' : 'R'}${i + 1}`),
        ],
        comp.matrix.map((row, j) => [escapeHtml(m.features[j] ?? j), ...row.map((v) => fmt(v))]),
        'Loadings (weight of each standardised feature in each component)',
      ),
    );
  }
  return parts.join('\n');
}

/** The evaluation charts of a model kind (also used by the dashboard's model page). */
export function evaluationHtml(e: EvaluationCharts, on: string, skipped = 0): string {
  const head = `<p>On ${escapeHtml(on)}: ${e.rows} rows${skipped > 0 ? `, ${skipped} with a label the model does not know left out` : ''}. ${Object.entries(
    e.metrics,
  )
    .map(([k, v]) => `${escapeHtml(k)} <strong>${fmt(v)}</strong>`)
    .join(', ')}</p>`;
  if (e.kind === 'regression') {
    const lo = Math.min(...e.scatter.actual);
    const hi = Math.max(...e.scatter.actual);
    const centres = e.residuals.counts.map((_, i) => (e.residuals.edges[i]! + e.residuals.edges[i + 1]!) / 2);
    return `${head}<div class="grid">${chartFigure({
      id: 'pred-vs-actual',
      title: 'Predicted vs actual',
      kind: 'scatter',
      xLabel: 'actual',
      yLabel: 'predicted',
      x: e.scatter.actual,
      series: [
        { label: 'prediction', values: e.scatter.predicted },
        {
          label: 'y = x',
          values: e.scatter.actual.map((a) => (a === lo || a === hi ? a : null)),
          dashed: true,
        },
      ],
    })}${chartFigure({
      id: 'residuals',
      title: 'Residuals (actual − predicted)',
      kind: 'bars',
      xLabel: 'residual',
      yLabel: 'rows',
      x: centres,
      series: [{ label: 'rows', values: e.residuals.counts }],
    })}</div>`;
  }
  if (e.kind === 'binary') {
    return `${head}<div class="grid">${chartFigure(
      {
        id: 'roc',
        title: `ROC curve (AUC ${fmt(e.roc.auc)})`,
        kind: 'line',
        xLabel: 'false positive rate',
        yLabel: 'true positive rate',
        x: e.roc.fpr,
        series: [
          { label: 'ROC', values: e.roc.tpr },
          { label: 'chance', values: e.roc.fpr, dashed: true },
        ],
      },
      `positive class: ${e.classes[1] ?? '1'}`,
    )}${chartFigure({
      id: 'calibration',
      title: 'Calibration (ten probability bins)',
      kind: 'line',
      xLabel: 'mean predicted probability',
      yLabel: 'observed positive rate',
      x: e.calibration.predicted,
      series: [
        { label: 'observed', values: e.calibration.observed },
        { label: 'perfect', values: e.calibration.predicted, dashed: true },
      ],
    })}</div>${heatTable(e.classes, e.confusion, 'confusion')}`;
  }
  return `${head}<div class="grid">${chartFigure({
    id: 'per-class-accuracy',
    title: 'Accuracy per class (recall)',
    kind: 'bars',
    xLabel: 'class',
    yLabel: 'accuracy',
    x: e.classes.map((_, i) => i),
    xNames: e.classes,
    series: [{ label: 'accuracy', values: e.perClassAccuracy }],
  })}</div>${heatTable(e.classes, e.confusion, 'confusion')}`;
}

/** Column statistics and histograms of a dataset version (report and dataset page). */
export function datasetHtml(d: DatasetSummary, idPrefix = 'col'): string {
  const stats = table(
    ['column', 'type', 'count', 'mean', 'std', 'min', 'max'],
    d.columns.map((c) => [
      `<code>${escapeHtml(c.name)}</code>`,
      c.type,
      String(c.count),
      fmt(c.mean),
      fmt(c.std),
      fmt(c.min),
      fmt(c.max),
    ]),
    `${d.dataset}@${d.version}: ${d.rows} rows from ${d.file}`,
  );
  const charts = d.columns
    .filter((c) => c.bars !== null)
    .map((c, i) =>
      chartFigure({
        id: `${idPrefix}-${i}`,
        title: `${c.name}`,
        kind: 'bars',
        xLabel: c.name,
        yLabel: 'rows',
        x: c.type === 'categorical' ? c.bars!.x : c.bars!.x,
        ...(c.type === 'categorical' ? { xNames: c.bars!.labels } : {}),
        series: [{ label: 'rows', values: c.bars!.counts }],
      }),
    );
  return `${stats}<div class="grid small">${charts.join('\n')}</div>`;
}

function lineageSection(r: JobReport): string {
  const v = r.version;
  if (v === null) return '<h2 id="lineage">Lineage</h2><p class="muted">Not registered (yet).</p>';
  const l = v.lineage;
  const rows: [string, string][] = [
    [
      'version',
      `<code>${escapeHtml(v.name)}@${v.version}</code>${v.aliases.length > 0 ? ` (${v.aliases.map((a) => `<span class="badge">${escapeHtml(a)}</span>`).join(' ')})` : ''}`,
    ],
    ['dataset', `<code>${escapeHtml(l.dataset)}@${escapeHtml(l.datasetVersion)}</code>`],
    [
      'code',
      `shardtrain ${escapeHtml(l.packageVersion)}${l.gitCommit ? ` (${escapeHtml(l.gitCommit)})` : ''}, backend ${escapeHtml(l.backend)}`,
    ],
    ['champion when trained', v.parent === null ? '–' : `<code>${escapeHtml(v.name)}@${v.parent}</code>`],
    ['wall time', `${fmt(l.wallTimeMs / 1000)} s`],
  ];
  const events = v.events
    .map(
      (e) =>
        `<li class="${e.kind.startsWith('gate: keep') ? 'gate-keep' : e.kind.startsWith('gate') ? 'gate-promote' : ''}"><time datetime="${escapeHtml(e.at)}">${escapeHtml(e.at)}</time><strong>${escapeHtml(e.kind)}</strong> ${escapeHtml(e.text)}</li>`,
    )
    .join('');
  return `<h2 id="lineage">Lineage and registry events</h2><dl class="kv">${rows.map(([k, x]) => `<dt>${escapeHtml(k)}</dt><dd>${x}</dd>`).join('')}</dl><ol class="timeline" aria-label="Registry events">${events}</ol>`;
}

/** The report's body (sections), without the page around it: the dashboard's job page reuses it. */
export function jobReportBody(r: JobReport): string {
  const parts = [
    `<h1>Job <code>${escapeHtml(r.jobId)}</code> <span class="muted">— ${escapeHtml(r.spec.modelName)}, ${escapeHtml(r.spec.model)}</span></h1>`,
    `<p class="muted">Report generated ${escapeHtml(r.generatedAt)}.</p>`,
    ...r.errors.map((e) => errorBox(e)),
    planSection(r),
    trainingSection(r),
    modelSection(r),
  ];
  parts.push('<h2 id="evaluation">Evaluation</h2>');
  parts.push(
    r.evaluation === null
      ? '<p class="muted">No evaluation: the job has no model yet, or no rows to score.</p>'
      : evaluationHtml(r.evaluation.charts, r.evaluation.on, r.evaluation.skipped),
  );
  parts.push('<h2 id="dataset">Dataset</h2>');
  parts.push(
    r.dataset === null
      ? errorBox('the dataset manifest of this job could not be read')
      : datasetHtml(r.dataset),
  );
  parts.push(lineageSection(r));
  return parts.join('\n');
}

/** The stand-alone report: one HTML file, the chart library inlined, no network. */
export function renderJobReport(r: JobReport, assets: ChartAssets, nav?: Nav): string {
  return page(`shardtrain report — ${r.spec.modelName} (${r.jobId})`, jobReportBody(r), assets, nav);
}
