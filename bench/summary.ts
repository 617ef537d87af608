/**
 * Turns the bench report into Markdown fit for an issue note: one table or list per section.
 * Tolerant of missing sections and fields (a section that failed or was not selected).
 */

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const fmtInt = (v: unknown): string => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : '—');
const fmt = (v: unknown): string => (v === undefined || v === null ? '—' : String(v));

/** Markdown for the whole report (sections in run order). */
export function reportMarkdown(report: Json): string {
  const out: string[] = [];
  const env = isObj(report.environment) ? report.environment : {};
  out.push(
    `bench on ${fmt(env.cpus)} cores (${fmt(env.cpuModel)}), node ${fmt(env.node)}, load average ${fmt(env.loadAverageStart)} at start → ${fmt(env.loadAverageEnd)} at end${report.quick === true ? ', BENCH_QUICK' : ''}; total ${fmt(report.totalSeconds)} s`,
  );
  const sections = isObj(report.sections) ? report.sections : {};
  for (const [name, value] of Object.entries(sections)) {
    if (!isObj(value)) continue;
    if (typeof value.error === 'string') {
      out.push(`\n### ${name}\nFAILED: ${value.error}`);
      continue;
    }
    if (name === 'optim') out.push(optimMd(value));
    if (name === 'data') out.push(dataMd(value));
    if (name === 'coordination') out.push(coordinationMd(value));
    if (name === 'local-sgd') out.push(localSgdMd(value));
    if (name === 'solvers') out.push(solversMd(value));
    if (name === 'whole') out.push(wholeMd(value));
    if (name === 'mlp') out.push(mlpMd(value));
  }
  return `${out.join('\n')}\n`;
}

function mlpMd(s: Json): string {
  const runs = Array.isArray(s.runs) ? (s.runs as Json[]) : [];
  const t = isObj(s.throughput) ? s.throughput : {};
  return [
    `\n### mlp: digits, hidden ${fmt(s.hidden)}, ${fmt(s.workers)} partitions, ${fmt(s.seeds)} seed(s), vs scikit-learn MLPClassifier (anchor: ${fmt(s.anchor)})`,
    '| run | alpha | accuracy | sk adam | sk lbfgs | rounds | rounds → sk adam | s | × sk adam wall | × sk lbfgs wall |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${fmt(r.run)} | ${fmt(r.alpha)} | ${fmt(r.accuracy)} | ${fmt(r.sklearnAdam)} | ${fmt(r.sklearnLbfgs)} | ${fmt(r.rounds)} | ${fmt(r.roundsToSklearn)} (${fmt(r.reachedSklearn)}) | ${fmt(r.seconds)} | ${fmt(r.wallVsSklearnAdam)} | ${fmt(r.wallVsSklearnLbfgs)} |`,
    ),
    `\nMLP gradient pass: ${fmtInt(t.rowsPerSecond)} rows/s vs numpy ${fmtInt(t.numpyRowsPerSecond)} (ratio ${fmt(t.ratioToNumpy)})`,
    ...(Array.isArray(s.stateBytes) ? (s.stateBytes as Json[]) : []).map(
      (b) =>
        `\nround state, ${fmt(b.run)}: ${fmtInt(b.storedBytesPerRound)} B stored vs ${fmtInt(b.plainJsonBytesPerRound)} B plain JSON (ratio ${fmt(b.ratio)})`,
    ),
    ...(Array.isArray(s.calibration) ? (s.calibration as Json[]) : []).map(
      (c) =>
        `\ncalibration ${fmt(c.kernel)}: ${fmtInt(c.logisticRowFeaturesPerSecond)} row·features/s; mlp rows/s predicted ${fmtInt(c.mlpRowsPerSecondPredicted)} vs measured ${fmtInt(c.mlpRowsPerSecondMeasured)} (×${fmt(c.predictedOverMeasured)})`,
    ),
  ].join('\n');
}

function solversMd(s: Json): string {
  const rows = Array.isArray(s.rows) ? (s.rows as Json[]) : [];
  const lines = [
    `\n### solvers: rounds to the solution (4 partitions), vs scikit-learn ${fmt(s.sklearn)} lbfgs (anchor: ${fmt(s.anchor)})`,
    '| problem | solver | rounds | stop | ms | loss gap | test metric | rounds → sk metric | sk iterations | sk metric |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${fmt(r.problem)} | ${fmt(r.solver)} | ${fmt(r.rounds)} | ${fmt(r.stop)} | ${fmt(r.ms)} | ${fmt(r.lossGap)} | ${fmt(r.testMetric)} | ${fmt(r.roundsToSklearnMetric)} | ${fmt(r.sklearnIter)} | ${fmt(r.sklearnMetric)} |`,
    );
  return lines.join('\n');
}

function wholeMd(s: Json): string {
  const results = Array.isArray(s.results) ? (s.results as Json[]) : [];
  const lines = [`\n### whole process: shardtrain train --data vs ${fmt(s.anchor)}`];
  for (const w of results)
    lines.push(
      `\n${fmt(w.rows)} × ${fmt(w.features)} logistic CSV (${fmt(w.csvMb)} MB), ${fmt(w.pairs)} pair(s) in turn: shardtrain train --runner inprocess ${fmt(w.shardtrainSeconds)} s (CPU ${fmt(w.shardtrainCpuSeconds)} s, peak RSS ${fmt(w.shardtrainMaxRssMb)} MB; training ${fmt(w.shardtrainTrainSeconds)} s: ${fmt(w.shardtrainSolver)}, ${fmt(w.shardtrainRounds)} rounds) vs pandas + scikit-learn ${fmt(w.sklearnSeconds)} s (CPU ${fmt(w.sklearnCpuSeconds)} s, peak RSS ${fmt(w.sklearnMaxRssMb)} MB; ${fmt(w.sklearnIter)} iterations): median wall ratio ${fmt(w.ratio)} (pairs ${fmt(w.ratios)}), median CPU ratio ${fmt(w.cpuRatio)} (pairs ${fmt(w.cpuRatios)}); test accuracy ${fmt(w.shardtrainTestAccuracy)} vs ${fmt(w.sklearnTestAccuracy)} on ${fmt(w.testRows)} rows; load ${fmt(w.loadAverage)}`,
    );
  return lines.join('\n');
}

function optimMd(s: Json): string {
  const rows = Array.isArray(s.results) ? (s.results as Json[]) : [];
  const kernels = [...new Set(rows.map((r) => String(r.kernel)))];
  const problems = [...new Set(rows.map((r) => `${String(r.size)} ${String(r.model)}`))];
  // the ratio's reference: numpy's float32 step when it was measured, else the typed-array kernel
  const ref = kernels.includes('numpy-openblas') ? 'numpy-openblas' : 'typed-array';
  const lines = [
    `\n### optim: gradient-step throughput, rows/s (× ${ref} in brackets), ${fmt(s.seconds)} s per cell`,
    `| problem | ${kernels.join(' | ')} |`,
    `| --- |${kernels.map(() => ' ---: |').join('')}`,
  ];
  for (const p of problems) {
    const cells = kernels.map((k) => {
      const r = rows.find((x) => `${String(x.size)} ${String(x.model)}` === p && x.kernel === k);
      const typed = rows.find((x) => `${String(x.size)} ${String(x.model)}` === p && x.kernel === ref);
      if (r === undefined) return '—';
      const ratio =
        typed !== undefined && typeof typed.rowsPerSec === 'number' && typeof r.rowsPerSec === 'number'
          ? ` (${(r.rowsPerSec / typed.rowsPerSec).toFixed(2)}×)`
          : '';
      return `${fmtInt(r.rowsPerSec)}${ratio}`;
    });
    lines.push(`| ${p} | ${cells.join(' | ')} |`);
  }
  if (isObj(s.skipped) && Object.keys(s.skipped).length > 0) {
    lines.push(
      `\nskipped backends: ${Object.entries(s.skipped)
        .map(([k, v]) => `${k} (${fmt(v)})`)
        .join('; ')}`,
    );
  }
  return lines.join('\n');
}

function dataMd(s: Json): string {
  const lines = [
    `\n### data: CSV preprocessing, ${fmt(s.csvMb)} MB CSV, ${fmtInt(s.rows)} rows × ${fmt(s.columns)} columns (own process: max RSS ${fmt(s.childMaxRssMb)} MB)`,
    '| compression | MB/s | seconds | peak RSS MB (sampled) | shard MB | CSV/shard ratio | shards |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of ['none', 'deflate', 'brotli']) {
    const r = s[c];
    if (!isObj(r)) continue;
    lines.push(
      `| ${c} | ${fmt(r.MBps)} | ${fmt(r.seconds)} | ${fmt(r.peakRssMb)} | ${fmt(r.shardMb)} | ${fmt(r.ratio)} | ${fmt(r.shards)} |`,
    );
  }
  const codec = isObj(s.codec) ? s.codec : undefined;
  if (codec !== undefined) {
    lines.push(
      `\nshard codec alone (one ${fmtInt(codec.shardRows)}-row float32 shard, ${fmt(codec.rawMb)} MB):`,
    );
    for (const c of ['none', 'deflate', 'brotli']) {
      const r = codec[c];
      if (isObj(r))
        lines.push(
          `- ${c}: ratio vs raw float32 ${fmt(r.ratio)}, encode ${fmt(r.encodeMBps)} MB/s, decode ${fmt(r.decodeMBps)} MB/s`,
        );
    }
  }
  const ingest = isObj(s.ingest) ? s.ingest : undefined;
  if (ingest !== undefined) {
    lines.push(
      `\ningest vs pandas.read_csv (${fmt(ingest.csvMb)} MB, ${fmtInt(ingest.rows)} × ${fmt(ingest.columns)}, load average ${fmt(ingest.loadAverage)} on ${fmt(ingest.cpus)} CPUs):`,
    );
    const parsers = isObj(ingest.parsers) ? ingest.parsers : {};
    for (const [name, r] of Object.entries(parsers)) {
      if (isObj(r))
        lines.push(
          `- parser ${name}: ${fmt(r.MBps)} MB/s, × ${fmt(r.vsPandasReadCsv)} of pandas.read_csv in-process`,
        );
    }
    const pandas = ingest.pandas;
    lines.push(
      isObj(pandas)
        ? `- pandas.read_csv: ${fmt(pandas.readCsvMBps)} MB/s in-process, whole process ${fmt(pandas.wholeSeconds)} s (CPU ${fmt(pandas.cpuSeconds)} s), peak RSS ${fmt(pandas.maxRssMb)} MB`
        : `- pandas.read_csv: ${fmt(pandas)}`,
    );
    const up = isObj(ingest.upload) ? ingest.upload : undefined;
    if (up !== undefined)
      lines.push(
        `- shardtrain upload, whole process: ${fmt(up.wholeSeconds)} s (CPU ${fmt(up.cpuSeconds)} s), peak RSS ${fmt(up.maxRssMb)} MB; speed × ${fmt(up.speedVsPandasWhole)} of pandas (CPU × ${fmt(up.cpuVsPandasWhole)}), RSS × ${fmt(up.rssVsPandas)}`,
      );
  }
  return lines.join('\n');
}

function coordinationMd(s: Json): string {
  const lines = [
    `\n### coordination: per-round wall time, ${fmt(s.workers)} workers (local cloud: ${fmt(s.localCloudWorkerThreads)} worker threads)`,
    '| job | runner | rounds | p50 ms | p95 ms | CPU ms/round | train s | overhead p50 / p95 ms | ratio p50 / p95 | final params bit-identical |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const job of ['linear', 'logistic']) {
    const c = s[job];
    if (!isObj(c)) continue;
    for (const runner of ['local', 'inprocess']) {
      const t = c[runner];
      if (!isObj(t)) continue;
      const ms = isObj(t.roundMs) ? t.roundMs : {};
      const over = isObj(c.overheadMs) ? c.overheadMs : {};
      const ratio = isObj(c.ratio) ? c.ratio : {};
      const first = runner === 'local';
      lines.push(
        `| ${first ? fmt(c.problem) : ''} | ${runner === 'local' ? 'local cloud' : 'in-process'} | ${fmt(t.rounds)} | ${fmt(ms.p50)} | ${fmt(ms.p95)} | ${fmt(t.cpuMsPerRound)} | ${fmt(t.trainSeconds)} | ${first ? `${fmt(over.p50)} / ${fmt(over.p95)}` : ''} | ${first ? `${fmt(ratio.p50)}× / ${fmt(ratio.p95)}×` : ''} | ${first ? fmt(c.bitIdentical) : ''} |`,
      );
    }
  }
  const lean = isObj(s.lean) ? s.lean : {};
  const bytes = isObj(lean.bytes) ? lean.bytes : undefined;
  if (bytes !== undefined)
    lines.push(
      `\nBytes per round (${fmt(bytes.problem)}): ${fmt(bytes.writtenBytesPerRound)} B written (${fmt(bytes.putsPerRound)} puts; state ${fmt(bytes.stateBytes)} B), ${fmt(bytes.keptBytesPerRound)} B kept after the job.`,
    );
  const rss = isObj(lean.rss) ? lean.rss : undefined;
  if (rss !== undefined)
    lines.push(
      `RSS over ${fmt(rss.rounds)} local-cloud rounds: ${fmt(rss.rssMbAtTenth)} MB at round ${fmt(rss.tenthRound)}, ${fmt(rss.rssMbAtEnd)} MB at round ${fmt(rss.rounds)} (×${fmt(rss.ratioEndToTenth)}), peak ${fmt(rss.peakRssMb)} MB.`,
    );
  return lines.join('\n');
}

function localSgdMd(s: Json): string {
  const rows = Array.isArray(s.results) ? (s.results as Json[]) : [];
  const lines = [
    `\n### sync GD vs local SGD: ${fmt(s.problem)}; target ${fmt(s.target)} (L* = ${typeof s.optimumLoss === 'number' ? s.optimumLoss.toPrecision(6) : '—'})`,
    '| variant | lr | rounds to target | epochs to target | in-process s to target | local cloud s to target | local cloud p50 ms/round |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${fmt(r.variant)} | ${fmt(r.lr)} | ${r.roundsToTarget === null ? `not reached (${fmt(r.stoppedBy)})` : fmt(r.roundsToTarget)} | ${fmt(r.epochsToTarget)} | ${fmt(r.inprocessSeconds)} | ${fmt(r.localCloudSeconds)} | ${fmt(r.localCloudRoundP50Ms)} |`,
    );
  }
  return lines.join('\n');
}
