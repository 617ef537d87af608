import { decimateIndices } from './decimate.js';

/** The chart library's files, inlined into every page so it opens from disk with no network. */
export interface ChartAssets {
  readonly js: string;
  readonly css: string;
}

/** One chart: x values and one or more series over them, drawn by uPlot in the page. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: 'line' | 'scatter' | 'bars';
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: number[];
  readonly series: {
    readonly label: string;
    readonly values: (number | null)[];
    readonly dashed?: boolean;
  }[];
  /** Tick labels for bar charts over categories (x = 0, 1, …). */
  readonly xNames?: string[];
  /** Log-scaled y (only used when every value is positive). */
  readonly logY?: boolean;
  /** Points before decimation, when the series was decimated. */
  readonly total?: number;
  /** A JSON endpoint the page polls to redraw this chart live (the job view while it runs). */
  readonly live?: string;
}

/** Line charts longer than this are min–max decimated to about this many points. */
export const MAX_LINE_POINTS = 4000;

export function escapeHtml(s: unknown): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON safe inside `<script>`: no `</script>` or `<!--` can close it early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Formats a number for a table: 6 significant digits, exponent when tiny or huge. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6)) return String(Number(x.toPrecision(6)));
  return x.toExponential(3);
}

/** A line chart spec, min–max decimated on the first series when longer than {@link MAX_LINE_POINTS}. */
export function lineChart(spec: Omit<ChartSpec, 'kind' | 'total'>): ChartSpec {
  const first = spec.series[0]?.values ?? [];
  if (spec.x.length <= MAX_LINE_POINTS) return { ...spec, kind: 'line' };
  const idx = decimateIndices(first, MAX_LINE_POINTS / 2 - 1);
  return {
    ...spec,
    kind: 'line',
    total: spec.x.length,
    x: idx.map((i) => spec.x[i]!),
    series: spec.series.map((s) => ({ ...s, values: idx.map((i) => s.values[i] ?? null) })),
  };
}

/** A `<figure>` that the page script turns into a chart; `data-points` = points per series drawn. */
export function chartFigure(spec: ChartSpec, caption?: string): string {
  const points = spec.x.length;
  return `<figure class="chart" id="chart-${escapeHtml(spec.id)}" data-chart="${escapeHtml(spec.id)}" data-points="${points}" data-total="${spec.total ?? points}">
<figcaption>${escapeHtml(spec.title)}${spec.total !== undefined ? ` <span class="muted">(${points} of ${spec.total} points drawn, min–max decimated)</span>` : ''}${caption !== undefined ? `<br><span class="muted">${escapeHtml(caption)}</span>` : ''}</figcaption>
<div class="plot" role="img" aria-label="${escapeHtml(`${spec.title}: ${spec.yLabel} against ${spec.xLabel}, ${points} points`)}"></div>
<script type="application/json" class="chart-spec">${scriptJson(spec)}</script>
</figure>`;
}

export function errorBox(message: string): string {
  return `<div class="error-box" role="alert"><strong>Problem:</strong> ${escapeHtml(message)}</div>`;
}

/** A table from rows of cells (already HTML); `head` cells are escaped. */
export function table(head: string[], rows: string[][], caption?: string): string {
  return `<table>${caption !== undefined ? `<caption>${escapeHtml(caption)}</caption>` : ''}<thead><tr>${head
    .map((h) => `<th scope="col">${escapeHtml(h)}</th>`)
    .join(
      '',
    )}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** A matrix as a shaded table (confusion matrices): rows actual, columns predicted. */
export function heatTable(labels: string[], matrix: number[][], id: string): string {
  const max = Math.max(1, ...matrix.flat());
  const head = `<tr><th scope="col">actual \\ predicted</th>${labels.map((l) => `<th scope="col">${escapeHtml(l)}</th>`).join('')}</tr>`;
  const body = matrix
    .map(
      (row, i) =>
        `<tr><th scope="row">${escapeHtml(labels[i] ?? i)}</th>${row
          .map((v) => {
            const a = (0.08 + 0.8 * (v / max)).toFixed(2);
            return `<td class="heat" style="background:rgba(37,99,235,${a});color:${v / max > 0.5 ? '#fff' : '#111'}">${v}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<table class="confusion" id="${escapeHtml(id)}" data-cells="${labels.length * labels.length}"><caption>Confusion matrix (rows: actual, columns: predicted)</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
:root{--fg:#111;--muted:#555;--line:#ddd;--accent:#2563eb;--bad:#b91c1c;--ok:#15803d}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0;background:#fafafa}
header.top{background:#0f172a;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header.top a{color:#cbd5e1;text-decoration:none;padding:4px 6px;border-radius:4px}
header.top a:hover{color:#fff}
header.top .brand{font-weight:700;color:#fff}
main{max-width:1180px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px} h3{font-size:15px;margin:16px 0 6px}
.muted{color:var(--muted);font-weight:normal}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.grid.small{grid-template-columns:repeat(auto-fill,minmax(340px,1fr))}
figure.chart{background:#fff;border:1px solid var(--line);border-radius:6px;margin:0;padding:8px}
figure.chart figcaption{font-weight:600;margin-bottom:4px}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f1f5f9}
caption{text-align:left;font-weight:600;padding:4px 0}
td.heat{text-align:right;min-width:48px}
.error-box{border:1px solid var(--bad);background:#fef2f2;color:var(--bad);padding:8px 12px;border-radius:6px;margin:8px 0}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.kv dt{color:var(--muted)} .kv dd{margin:0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#e2e8f0;font-size:12px}
.badge.done{background:#dcfce7;color:var(--ok)} .badge.failed{background:#fee2e2;color:var(--bad)} .badge.running{background:#dbeafe;color:var(--accent)}
ol.timeline{list-style:none;padding-left:0;border-left:3px solid var(--line);margin-left:8px}
ol.timeline li{position:relative;padding:4px 0 8px 16px}
ol.timeline li::before{content:"";position:absolute;left:-8px;top:9px;width:13px;height:13px;border-radius:50%;background:var(--accent)}
ol.timeline li.rollback::before{background:#d97706} ol.timeline li.gate-keep::before{background:var(--bad)} ol.timeline li.gate-promote::before{background:var(--ok)}
ol.timeline time{color:var(--muted);font-size:12px;margin-right:8px}
form.inline{display:inline-flex;gap:6px;align-items:center;flex-wrap:wrap;background:#fff;border:1px solid var(--line);padding:6px 10px;border-radius:6px;margin:4px 8px 4px 0}
input,select,button{font:inherit;padding:3px 6px}
button{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:4px 12px;cursor:pointer}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
code{background:#f1f5f9;padding:0 4px;border-radius:3px}
`;

/**
 * The page script: draws every chart from its JSON spec with uPlot, and polls the `live`
 * endpoint of a chart that has one (a running job), redrawing until the job is finished.
 * `window.shardtrainCharts[id]` holds each uPlot instance (the browser tests read its data).
 */
const RUNTIME = `
(function(){
  var charts = window.shardtrainCharts = {};
  var palette = ['#2563eb','#dc2626','#16a34a','#9333ea','#ea580c','#0891b2','#4b5563','#ca8a04','#db2777','#65a30d'];
  function allPositive(series){ for (var i=0;i<series.length;i++){ var v=series[i].values; for (var j=0;j<v.length;j++){ if (v[j]!==null && !(v[j]>0)) return false; } } return true; }
  function build(fig, spec){
    var el = fig.querySelector('.plot');
    var width = Math.max(280, Math.min(el.clientWidth || fig.clientWidth || 520, 1100) - 4);
    var log = spec.logY && allPositive(spec.series);
    var bars = spec.kind === 'bars';
    var n = spec.series.length;
    var series = [{ label: spec.xLabel }];
    spec.series.forEach(function(s, i){
      var color = palette[i % palette.length];
      var o = { label: s.label, stroke: color, width: 1.5, spanGaps: true };
      if (s.dashed) { o.dash = [6, 4]; o.stroke = '#9ca3af'; }
      if (spec.kind === 'scatter' && !s.dashed) { o.paths = function(){ return null; }; o.points = { show: true, size: 4, stroke: color, fill: color }; }
      if (bars) { o.fill = color + 'b0'; o.paths = uPlot.paths.bars({ size: [0.9 / n, 60], align: 0, gap: 1 }); o.points = { show: false }; }
      series.push(o);
    });
    var xAxis = { label: spec.xLabel, values: ticksFor(false) };
    if (spec.xNames) { xAxis.values = function(u, ticks){ return ticks.map(function(t){ return spec.xNames[Math.round(t)] !== undefined && Math.abs(t - Math.round(t)) < 1e-9 ? spec.xNames[Math.round(t)] : ''; }); }; xAxis.splits = function(){ return spec.xNames.map(function(_, i){ return i; }); }; }
    var opts = {
      width: width, height: 260,
      scales: {
        x: { time: false, range: bars ? function(u, min, max){ var pad = spec.x.length > 1 ? (max - min) / (spec.x.length - 1) * 0.6 : 0.6; return [min - pad, max + pad]; } : undefined },
        y: log ? { distr: 3 } : bars ? { range: function(u, min, max){ var lo = Math.min(0, min), hi = Math.max(0, max), pad = (hi - lo) * 0.05 || 1; return [lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : 0]; } } : {}
      },
      axes: [xAxis, { label: spec.yLabel, size: 64, values: ticksFor(log) }],
      series: series,
      legend: { live: true },
      cursor: { focus: { prox: 16 } }
    };
    var data = [spec.x].concat(spec.series.map(function(s){ return s.values; }));
    el.innerHTML = '';
    var u = new uPlot(opts, data, el);
    charts[spec.id] = u;
    return u;
  }
  function tick(v){ if (v === null || v === undefined) return ''; var a = Math.abs(v); if (v === 0) return '0'; if (a >= 1e5 || a < 1e-3) return v.toExponential(0); return String(Number(v.toPrecision(3))); }
  // Linear axes: as many decimals as the tick spacing needs (0.2931, 0.2932, … not 0.293 ×4).
  function ticksFor(log){ return function(u, ticks){
    if (log || ticks.length < 2) return ticks.map(tick);
    var step = Math.abs(ticks[1] - ticks[0]);
    var big = Math.max(Math.abs(ticks[0]), Math.abs(ticks[ticks.length - 1]));
    if (big >= 1e5 || (big < 1e-3 && big > 0)) return ticks.map(function(v){ return v === 0 ? '0' : v.toExponential(Math.max(0, Math.min(6, Math.ceil(Math.log10(big / step))))); });
    var d = 0;
    while (d < 10 && step > 0 && Math.abs(step * Math.pow(10, d) - Math.round(step * Math.pow(10, d))) > 1e-6 * step * Math.pow(10, d)) d++;
    return ticks.map(function(v){ return v === null || v === undefined ? '' : Number(v.toFixed(d)).toString(); });
  }; }
  function specOf(fig){ return JSON.parse(fig.querySelector('script.chart-spec').textContent); }
  var figs = document.querySelectorAll('figure.chart');
  for (var i = 0; i < figs.length; i++) {
    try { build(figs[i], specOf(figs[i])); }
    catch (e) { figs[i].insertAdjacentHTML('beforeend', '<div class="error-box" role="alert">This chart could not be drawn: ' + String(e && e.message || e).replace(/[<&]/g, '') + '</div>'); }
  }
  var live = document.querySelector('[data-live]');
  if (live) {
    var url = live.getAttribute('data-live');
    var pause = document.getElementById('pause-live');
    var status = document.getElementById('live-status');
    var timer = setInterval(function(){
      if (pause && pause.checked) return;
      fetch(url, { cache: 'no-store' }).then(function(r){ return r.json(); }).then(function(p){
        Object.keys(p.charts || {}).forEach(function(id){
          var u = charts[id]; var c = p.charts[id]; if (!u || !c) return;
          u.setData([c.x].concat(c.series));
          var fig = document.getElementById('chart-' + id);
          if (fig) fig.setAttribute('data-points', String(c.x.length));
        });
        if (status) status.textContent = p.text;
        var box = document.getElementById('live-errors');
        if (box) box.innerHTML = (p.errors || []).map(function(e){ return '<div class="error-box" role="alert"><strong>Problem:</strong> ' + String(e).replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</div>'; }).join('');
        live.setAttribute('data-round', String(p.round));
        live.setAttribute('data-status', p.status);
        if (p.status === 'done' || p.status === 'failed') { clearInterval(timer); location.reload(); }
      }).catch(function(){ if (status) status.textContent = 'the dashboard did not answer; retrying'; });
    }, Number(live.getAttribute('data-interval') || 1000));
  }
})();
`;

/** Navigation of the dashboard (left out of the stand-alone report). */
export interface Nav {
  readonly links: { readonly href: string; readonly label: string }[];
}

/** A whole page: inline CSS, the chart library, the page script; nothing fetched from the network. */
export function page(title: string, body: string, assets: ChartAssets, nav?: Nav): string {
  const navHtml =
    nav === undefined
      ? '<header class="top"><span class="brand">shardtrain report</span></header>'
      : `<header class="top"><nav aria-label="Dashboard"><span class="brand">shardtrain</span> ${nav.links
          .map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`)
          .join(' ')}</nav></header>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${escapeHtml(title)}</title>
<style>${assets.css}</style><style>${STYLE}</style>
</head><body>${navHtml}<main>
${body}
</main>
<script>${assets.js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${RUNTIME}</script>
</body></html>
`;
}
