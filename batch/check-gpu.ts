/**
 * `batch/check-gpu.sh` (or `node dist/batch/check-gpu.js [rows] [tolerance]`): on a GPU machine,
 * compares the tfjs kernel on libtensorflow (tfjs-node-gpu) with the deterministic CPU kernel on
 * the same gradients — linear, logistic, softmax — within a relative tolerance, and prints the
 * rows per second of each. Exit 0 when every gradient agrees, 1 when one does not or no GPU
 * backend loads, 2 for bad arguments.
 */
import { pathToFileURL } from 'node:url';
import { allRows, type Batch, type ModelSpec, paramCount, selectBackend } from '../lib/optim/index.js';
import { calibrateKernel } from '../lib/planner/index.js';
import { gpuVisibility } from './job-kernel.js';

/** A seeded batch: x in [−1, 1), y fitting the model kind. */
function problem(rows: number, d: number, spec: ModelSpec): Batch {
  const x = new Float32Array(rows * d);
  const y = new Float32Array(rows);
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  for (let i = 0; i < x.length; i++) x[i] = next();
  const k = spec.numClasses ?? 2;
  for (let r = 0; r < rows; r++) {
    const t = (x[r * d] ?? 0) + 0.5 * (x[r * d + 1] ?? 0);
    y[r] = spec.kind === 'linear' ? t + 0.1 * next() : spec.kind === 'logistic' ? (t > 0 ? 1 : 0) : r % k;
  }
  return { x, y, rows, d };
}

/** Largest |a − b| over max(1, largest |b|): the relative gap of two gradients. */
export function relativeGap(a: Float64Array, b: Float64Array): number {
  let gap = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs((a[i] ?? Number.NaN) - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return gap / scale;
}

async function main(rows: number, tolerance: number): Promise<number> {
  const d = 64;
  const gpu = gpuVisibility(process.env);
  console.log(`GPU visible: ${gpu.visible} (${gpu.why})`);
  const cpu = await selectBackend(undefined, { kernel: 'wasm' });
  const tf = await selectBackend('tensorflow', { kernel: 'tfjs' });
  if (tf.backend !== 'tensorflow') {
    console.log(`FAIL: libtensorflow did not load: ${tf.fallbacks.map((f) => f.reason).join('; ')}`);
    return 1;
  }
  console.log(`kernels: ${cpu.kernel.name} (CPU, deterministic) vs ${tf.kernel.name} on tfjs-${tf.backend}`);
  let ok = true;
  const specs: ModelSpec[] = [
    { kind: 'linear', numFeatures: d },
    { kind: 'logistic', numFeatures: d },
    { kind: 'softmax', numFeatures: d, numClasses: 10 },
  ];
  for (const spec of specs) {
    const batch = problem(rows, d, spec);
    const params = new Float64Array(paramCount(spec)).map((_, i) => 0.01 * Math.sin(i));
    const gCpu = new Float64Array(params.length);
    const gGpu = new Float64Array(params.length);
    const lCpu = cpu.kernel.lossAndGradient(spec, params, allRows(batch), gCpu).lossSum;
    const lGpu = tf.kernel.lossAndGradient(spec, params, allRows(batch), gGpu).lossSum;
    const gap = relativeGap(gGpu, gCpu);
    const lossGap = Math.abs(lGpu - lCpu) / Math.max(1, Math.abs(lCpu));
    const pass = gap <= tolerance && lossGap <= tolerance;
    ok &&= pass;
    const rate = (k: typeof cpu.kernel) => calibrateKernel(k, { rows, features: d }).rowFeaturesPerSecond / d;
    const cpuRows = rate(cpu.kernel);
    const gpuRows = rate(tf.kernel);
    console.log(
      `${spec.kind.padEnd(8)} gradient gap ${gap.toExponential(2)}, loss gap ${lossGap.toExponential(2)} ` +
        `(tolerance ${tolerance}) ${pass ? 'ok' : 'FAIL'}; rows/s CPU ${cpuRows.toExponential(3)}, ` +
        `GPU ${gpuRows.toExponential(3)} (×${(gpuRows / cpuRows).toFixed(2)})`,
    );
  }
  console.log(ok ? 'PASS' : 'FAIL');
  return ok ? 0 : 1;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const rows = Number(process.argv[2] ?? 200_000);
  const tolerance = Number(process.argv[3] ?? 1e-4);
  if (!Number.isInteger(rows) || rows < 1 || !(tolerance > 0)) {
    console.error('usage: check-gpu.sh [rows ≥ 1] [tolerance > 0]');
    process.exit(2);
  }
  main(rows, tolerance).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
