import type { GradientKernel } from '../optim/index.js';
import { allRows, type Batch } from '../optim/index.js';
import { type CostModel, DEFAULT_COST_MODEL } from './cost-model.js';
import { lambdaVcpusAt } from './published-figures.js';

/** A short measurement of a gradient kernel on this machine, cached per machine under the home. */
export interface KernelCalibration {
  readonly v: 1;
  /** The kernel measured (`wasm-simd`, `typed-array`, `tfjs-…`). */
  readonly kernel: string;
  /** Which machine: host name, CPU model and core count (the cache key). */
  readonly machine: string;
  readonly rows: number;
  readonly features: number;
  readonly repetitions: number;
  readonly seconds: number;
  /** Gradient throughput of one process, rows·features·outputs per second (the cost model's unit). */
  readonly rowFeaturesPerSecond: number;
  readonly measuredAt: string;
}

/** Options of {@link calibrateKernel}. */
export interface CalibrationOptions {
  /** @default 16384 */
  readonly rows?: number;
  /** @default 32 */
  readonly features?: number;
  /** Keep repeating until this much time has passed. @default 0.3 */
  readonly minSeconds?: number;
  /** Milliseconds clock. @default performance.now */
  readonly clock?: () => number;
  readonly machine?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** A deterministic logistic-regression batch: x in [−0.5, 0.5), y ∈ {0, 1}. */
function calibrationBatch(rows: number, d: number): Batch {
  const x = new Float32Array(rows * d);
  const y = new Float32Array(rows);
  let s = 0x9e3779b9;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // Numerical Recipes LCG
    x[i] = s / 2 ** 32 - 0.5;
  }
  for (let r = 0; r < rows; r++) y[r] = (x[r * d] ?? 0) > 0 ? 1 : 0;
  return { x, y, rows, d };
}

/**
 * Times `kernel` on a logistic-regression gradient over `rows × features` float32 rows (one
 * warm-up pass, then passes until `minSeconds`) and returns its throughput in rows·features per
 * second: the figure the planner's in-process estimate uses on this machine.
 *
 * @example
 * const cal = calibrateKernel(await WasmSimdKernel.create(), { machine: 'laptop' });
 * cal.rowFeaturesPerSecond; // e.g. 1.2e9
 */
export function calibrateKernel(kernel: GradientKernel, options: CalibrationOptions = {}): KernelCalibration {
  const rows = options.rows ?? 16_384;
  const d = options.features ?? 32;
  const minMs = (options.minSeconds ?? 0.3) * 1000;
  const clock = options.clock ?? (() => performance.now());
  const batch = calibrationBatch(rows, d);
  const spec = { kind: 'logistic' as const, numFeatures: d };
  const params = new Float64Array(d + 1).fill(0.01);
  const grad = new Float64Array(d + 1);
  const selection = allRows(batch);
  kernel.lossAndGradient(spec, params, selection, grad); // warm-up: JIT, thread start, wasm memory
  let repetitions = 0;
  const start = clock();
  let elapsed = 0;
  while (elapsed < minMs || repetitions === 0) {
    kernel.lossAndGradient(spec, params, selection, grad);
    repetitions++;
    elapsed = clock() - start;
  }
  const seconds = Math.max(elapsed, 1e-6) / 1000;
  return {
    v: 1,
    kernel: kernel.name,
    machine: options.machine ?? 'unknown',
    rows,
    features: d,
    repetitions,
    seconds,
    rowFeaturesPerSecond: (repetitions * rows * d) / seconds,
    measuredAt: (options.now?.() ?? new Date()).toISOString(),
  };
}

/**
 * Lambda gradient throughput per memory size, rows·features per second: the cost model's per-vCPU
 * figure (`DEFAULT_COST_MODEL.rowFeaturesPerVcpuSecond`, 1.5e8: the typed kernel's 2.5e8 on the
 * development machine taken down for a Graviton2 vCPU — an estimate until measured on Lambda) ×
 * vCPUs at that size (min(M / 1769, 6), AWS Lambda Developer Guide, "Configuring memory").
 * The wasm kernel spreads over every vCPU the function has.
 */
export function lambdaRowFeaturesPerSecond(memoryMb: number, cost: CostModel = DEFAULT_COST_MODEL): number {
  return lambdaVcpusAt(memoryMb) * cost.rowFeaturesPerVcpuSecond;
}

/** This machine as the planner's in-process host. */
export interface LocalHost {
  readonly label: string;
  readonly memoryMb: number;
  /** Longest in-process run allowed. @default 86400 (a day) */
  readonly maxSeconds?: number;
}

/**
 * The cost model with in-process runs on this machine at its calibrated rate: `inProcessHost`
 * gets v = measured rate / per-vCPU rate effective vCPUs (so v·T is the measured throughput) and
 * $0 an hour (the laptop is already paid for); `threadsPerProcess` is raised to cover both that
 * and Lambda's 6 vCPUs, because the default wasm kernel uses every core it has.
 */
export function costModelForHost(
  calibration: KernelCalibration,
  host: LocalHost,
  base: CostModel = DEFAULT_COST_MODEL,
): CostModel {
  const vcpus = calibration.rowFeaturesPerSecond / base.rowFeaturesPerVcpuSecond;
  return {
    ...base,
    threadsPerProcess: Math.max(base.lambdaMaxVcpus, vcpus),
    inProcessHost: {
      label: `${host.label} (${calibration.kernel})`,
      vcpus,
      memoryMb: host.memoryMb,
      usdPerHour: 0,
      maxSeconds: host.maxSeconds ?? 86_400,
    },
  };
}
