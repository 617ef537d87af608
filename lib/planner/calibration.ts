import type { GradientKernel, ModelSpec } from '../optim/index.js';
import { allRows, type Batch, initParams, mlpLossAndGradient, paramCount } from '../optim/index.js';
import { type CostModel, DEFAULT_COST_MODEL } from './cost-model.js';
import { lambdaVcpusAt } from './published-figures.js';
import { modelRowWork } from './workload.js';

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

/** The network {@link calibrateMlp} times: 64 inputs, one hidden layer of 64, a 10-class softmax head. */
export const MLP_CALIBRATION_SPEC: ModelSpec = {
  kind: 'mlp',
  numFeatures: 64,
  numClasses: 10,
  hidden: [64],
  head: 'softmax',
};

/**
 * Times the MLP's own kernel (`mlpLossAndGradient`: float64 back-propagation on one thread — the
 * wasm SIMD kernel hands every mlp to it) on {@link MLP_CALIBRATION_SPEC} over `rows` rows, and
 * returns its throughput in multiply-adds per second ({@link modelRowWork}'s unit, ≈ 3 × weights
 * per row) in `rowFeaturesPerSecond`, with `kernel: 'mlp-float64'`. A network of another size
 * is then priced at rows/s = rate / modelRowWork(its spec).
 *
 * @example
 * const mlp = calibrateMlp({ machine: 'laptop' });
 * mlp.rowFeaturesPerSecond / modelRowWork(spec); // the planner's rows/s for `spec`
 */
export function calibrateMlp(options: CalibrationOptions = {}): KernelCalibration {
  const rows = options.rows ?? 2048;
  const spec = MLP_CALIBRATION_SPEC;
  const d = spec.numFeatures;
  const minMs = (options.minSeconds ?? 0.3) * 1000;
  const clock = options.clock ?? (() => performance.now());
  const base = calibrationBatch(rows, d);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = r % (spec.numClasses ?? 1);
  const selection = allRows({ ...base, y });
  const params = initParams(spec, 1);
  const grad = new Float64Array(paramCount(spec));
  mlpLossAndGradient(spec, params, selection, grad); // warm-up: JIT
  let repetitions = 0;
  const start = clock();
  let elapsed = 0;
  while (elapsed < minMs || repetitions === 0) {
    mlpLossAndGradient(spec, params, selection, grad);
    repetitions++;
    elapsed = clock() - start;
  }
  const seconds = Math.max(elapsed, 1e-6) / 1000;
  return {
    v: 1,
    kernel: 'mlp-float64',
    machine: options.machine ?? 'unknown',
    rows,
    features: d,
    repetitions,
    seconds,
    rowFeaturesPerSecond: (repetitions * rows * modelRowWork(spec)) / seconds,
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
 * $0 an hour (the laptop is already paid for) and, given `mlp` ({@link calibrateMlp}), the MLP
 * kernel's measured rate; `threadsPerProcess` is raised to cover both that
 * and Lambda's 6 vCPUs, because the default wasm kernel uses every core it has.
 */
export function costModelForHost(
  calibration: KernelCalibration,
  host: LocalHost,
  base: CostModel = DEFAULT_COST_MODEL,
  mlp?: KernelCalibration,
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
      ...(mlp !== undefined ? { mlpWorkPerSecond: mlp.rowFeaturesPerSecond } : {}),
    },
  };
}
