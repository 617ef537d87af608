/**
 * Optimisation benchmark: gradient-step throughput (rows/s) of every kernel, all in one process,
 * on n=100k×d=32 and n=1M×d=64, for linear and logistic models. Kernels: the naive JS double loop
 * (baseline), lib/optim's TypedArrayKernel, and TfjsKernel on each tfjs backend that initialises
 * here (tensorflow when tfjs-node is installed, wasm, cpu). Budget ≈ 60 s; `BENCH_OPTIM_SECONDS`
 * (default 0.6) sets the time spent per measurement, `BENCH_OPTIM_SIZES` the
 * sizes (default `100000x32,1000000x64`). Run with `npx tsx bench/optim.ts`.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Batch, GradientKernel, LossAndGradient, ModelSpec, RowSelection } from '../lib/optim/index.js';
import {
  activateBackend,
  BACKENDS,
  loadTfjs,
  paramCount,
  TfjsKernel,
  TypedArrayKernel,
} from '../lib/optim/index.js';

/** The plain loop one writes first: no unrolling, one accumulator. The baseline. */
class NaiveKernel implements GradientKernel {
  public readonly name = 'naive-loop';
  public lossAndGradient(
    spec: ModelSpec,
    w: Float64Array,
    sel: RowSelection,
    g: Float64Array,
  ): LossAndGradient {
    const { x, y, d } = sel.batch;
    g.fill(0);
    let loss = 0;
    for (let i = sel.start; i < sel.end; i++) {
      const o = i * d;
      let z = w[0]!;
      for (let j = 0; j < d; j++) z += w[j + 1]! * x[o + j]!;
      let r: number;
      if (spec.kind === 'logistic') {
        const p = 1 / (1 + Math.exp(-z));
        r = p - y[i]!;
        loss += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y[i]! * z;
      } else {
        r = z - y[i]!;
        loss += 0.5 * r * r;
      }
      g[0] = g[0]! + r;
      for (let j = 0; j < d; j++) g[j + 1] = g[j + 1]! + r * x[o + j]!;
    }
    return { lossSum: loss, rows: sel.end - sel.start };
  }
}

function makeBatch(rows: number, d: number): Batch {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const x = new Float32Array(rows * d);
  for (let i = 0; i < x.length; i++) x[i] = next();
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = next() > 0 ? 1 : 0;
  return { x, y, rows, d };
}

/** Median-free simple timing: one warm-up call, then calls until `seconds` elapse (at least 2). */
function measure(kernel: GradientKernel, spec: ModelSpec, batch: Batch, seconds: number): number {
  const params = new Float64Array(paramCount(spec)).fill(0.01);
  const g = new Float64Array(params.length);
  const sel = { batch, indices: null, start: 0, end: batch.rows };
  kernel.lossAndGradient(spec, params, sel, g);
  let calls = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (calls < 2 || elapsed < seconds * 1000) {
    kernel.lossAndGradient(spec, params, sel, g);
    calls++;
    elapsed = performance.now() - t0;
  }
  return (batch.rows * calls) / (elapsed / 1000);
}

/** Runs the benchmark, prints a table, returns `{ rows: [...], backends, skipped }`. */
export async function runOptimBench(): Promise<Record<string, unknown>> {
  const seconds = Number(process.env.BENCH_OPTIM_SECONDS ?? 0.6);
  // `BENCH_OPTIM_SIZES=100000x32,1000000x64` (the default) picks the problem sizes
  const sizes = (process.env.BENCH_OPTIM_SIZES ?? '100000x32,1000000x64').split(',').map((s) => {
    const [rows, d] = s.split('x').map(Number);
    return { rows: rows ?? 0, d: d ?? 0 };
  });
  const kinds = ['linear', 'logistic'] as const;
  const kernels: { label: string; kernel: GradientKernel; activate?: () => Promise<boolean> }[] = [
    { label: 'naive-loop', kernel: new NaiveKernel() },
    { label: 'typed-array', kernel: new TypedArrayKernel() },
  ];
  const tf = await loadTfjs();
  const skipped: Record<string, string> = {};
  const available: string[] = [];
  for (const backend of BACKENDS) {
    const why: string[] = [];
    if (await activateBackend(tf, backend, why)) {
      available.push(backend);
      kernels.push({
        label: `tfjs-${backend}`,
        kernel: new TfjsKernel(tf),
        activate: () => tf.setBackend(backend),
      });
    } else skipped[backend] = why.join('; ');
  }
  const results: { size: string; model: string; kernel: string; rowsPerSec: number; msPerStep: number }[] =
    [];
  for (const size of sizes) {
    const batch = makeBatch(size.rows, size.d);
    for (const model of kinds) {
      const spec: ModelSpec = { kind: model, numFeatures: size.d };
      for (const k of kernels) {
        if (k.activate !== undefined) await k.activate();
        const rps = measure(k.kernel, spec, batch, seconds);
        results.push({
          size: `${size.rows}x${size.d}`,
          model,
          kernel: k.label,
          rowsPerSec: Math.round(rps),
          msPerStep: Number(((size.rows / rps) * 1000).toFixed(2)),
        });
      }
    }
  }
  const numpy = numpyReference(sizes, seconds);
  if (numpy.rows.length > 0) results.push(...numpy.rows);
  else skipped.numpy = numpy.why;
  console.log('\noptim bench: one full-batch gradient (loss + gradient sums) per step');
  console.table(results);
  if (Object.keys(skipped).length > 0) console.log('skipped backends:', skipped);
  return { results, backends: available, skipped };
}

/**
 * The target the issue names: numpy on OpenBLAS, same sizes, same work per step (X·w, the loss,
 * Xᵀ·r), float32 like the shards. Measured in a child `python3` when numpy is installed; the
 * OPENBLAS_CORETYPE/L2_SIZE workarounds of this workplace are unset for that one command so a
 * current numpy runs its own kernels. A reference, not a project dependency.
 */
function numpyReference(
  sizes: readonly { rows: number; d: number }[],
  seconds: number,
): {
  rows: { size: string; model: string; kernel: string; rowsPerSec: number; msPerStep: number }[];
  why: string;
} {
  const script = `
import json, sys, time
import numpy as np
out = []
for n, d in ${JSON.stringify(sizes.map((z) => [z.rows, z.d]))}:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d), dtype=np.float32); y = (rng.random(n) < 0.5).astype(np.float32); w = np.zeros(d, np.float32)
    for model in ('linear', 'logistic'):
        t = time.perf_counter(); k = 0
        while time.perf_counter() - t < ${seconds}:
            z = X @ w
            if model == 'linear':
                r = z - y; loss = 0.5 * float(r @ r)
            else:
                p = 1 / (1 + np.exp(-z)); r = p - y; loss = -float(np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
            g = X.T @ r; b = float(r.sum()); k += 1
        el = (time.perf_counter() - t) / k
        out.append({'size': f'{n}x{d}', 'model': model, 'kernel': 'numpy-openblas', 'rowsPerSec': round(n / el), 'msPerStep': round(el * 1000, 2)})
print(json.dumps(out))
`;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const run = spawnSync('python3', ['-c', script], { env, encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0)
    return {
      rows: [],
      why: (run.stderr || run.error?.message || 'python3 failed').split('\n').at(-2) ?? 'python3 failed',
    };
  return { rows: JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]'), why: '' };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  await runOptimBench();
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
