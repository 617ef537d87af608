import { UsageError } from '../errors.js';
import type { GradientKernel } from './kernels/gradient-kernel.js';
import type { TfModule } from './kernels/tfjs-kernel.js';
import { TfjsKernel } from './kernels/tfjs-kernel.js';
import { TypedArrayKernel } from './kernels/typed-array-kernel.js';
import { WasmSimdKernel } from './kernels/wasm-simd-kernel.js';

/** tfjs backends, best first: libtensorflow (tfjs-node), WebAssembly, plain JS. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * `wasm`: {@link WasmSimdKernel} (WebAssembly SIMD, worker threads); `typed`: the plain-JS
 * {@link TypedArrayKernel}; `tfjs`: {@link TfjsKernel} on the chosen backend.
 */
export const KERNEL_KINDS = ['wasm', 'typed', 'tfjs'] as const;
export type KernelKind = (typeof KERNEL_KINDS)[number];

/**
 * Default kernel: the wasm SIMD kernel, measured with bench/optim.ts against numpy on the same
 * cores; bit-deterministic whatever the thread count. Where WebAssembly SIMD or shared memory
 * is unavailable, {@link selectBackend} falls back to the typed kernel and says so.
 */
export const DEFAULT_KERNEL: KernelKind = 'wasm';

/** What `selectBackend` settled on. `tf` is null when tfjs was never loaded (typed kernel). */
export interface BackendSelection {
  readonly backend: BackendName;
  readonly kernelKind: KernelKind;
  readonly kernel: GradientKernel;
  readonly tf: TfModule | null;
  /** Backends that were tried before this one and why they failed (empty when the first worked). */
  readonly fallbacks: readonly { readonly backend: BackendName; readonly reason: string }[];
  /** Set when the wasm kernel was wanted but could not start: why; `kernelKind` is then 'typed'. */
  readonly kernelFallback?: string;
}

/**
 * Options for {@link selectBackend}. `env` holds the SHARDTRAIN_BACKEND / _KERNEL / _KERNEL_THREADS
 * settings when given as variables (tests); the runtime passes parsed settings instead, and
 * nothing here reads the environment. @default {}
 */
export interface SelectBackendOptions {
  readonly kernel?: string;
  /** Threads of the wasm kernel (calling thread included); else env SHARDTRAIN_KERNEL_THREADS, else all cores. */
  readonly threads?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

let tfPromise: Promise<TfModule> | undefined;

/** Loads `@tensorflow/tfjs` once (about a second), on first need only. */
export function loadTfjs(): Promise<TfModule> {
  tfPromise ??= import('@tensorflow/tfjs').then((m) => m as unknown as TfModule);
  return tfPromise;
}

/**
 * Makes `name` the active tfjs backend; resolves false (never throws) when it cannot be used
 * here, with the reason in `why`. tfjs-node is an optional dependency and is imported dynamically.
 */
export async function activateBackend(tf: TfModule, name: BackendName, why: string[] = []): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // The CPU build where it is installed, else the CUDA build (the Batch GPU image has only that).
      const cpu = '@tensorflow/tfjs-node';
      const gpu = '@tensorflow/tfjs-node-gpu';
      await import(cpu).catch(() => import(gpu));
    } else if (name === 'wasm') {
      // In Node the wasm backend finds tfjs-backend-wasm*.wasm next to its own dist file.
      await import('@tensorflow/tfjs-backend-wasm');
    }
    const ok = await tf.setBackend(name);
    if (!ok || tf.getBackend() !== name) {
      why.push(`tf.setBackend('${name}') failed`);
      return false;
    }
    await tf.ready();
    if (name === 'cpu') silenceCpuBanner(tf);
    return true;
  } catch (error) {
    why.push(error instanceof Error ? error.message.split('\n')[0]! : String(error));
    return false;
  }
}

/**
 * Picks the compute path. Order of precedence: `preferred`, then env `SHARDTRAIN_BACKEND`
 * (tensorflow|wasm|cpu); kernel from `options.kernel`, then env `SHARDTRAIN_KERNEL`
 * (wasm|typed|tfjs). With no backend asked for and the wasm or typed kernel, tfjs is not even
 * loaded and `backend` is 'cpu'. The wasm kernel falls back to the typed one where it cannot start.
 * Asking for a backend without a kernel means the tfjs kernel. An unavailable backend falls back
 * along tensorflow → wasm → cpu and says so in `fallbacks`.
 *
 * @example
 * const { backend, kernel } = await selectBackend();
 * console.log(`training on ${backend} with ${kernel.name}`);
 */
export async function selectBackend(
  preferred?: string,
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const env = options.env ?? {};
  const wantBackend = parseChoice(preferred ?? env.SHARDTRAIN_BACKEND, BACKENDS, 'backend');
  const wantKernel = parseChoice(options.kernel ?? env.SHARDTRAIN_KERNEL, KERNEL_KINDS, 'kernel');
  const wanted: KernelKind = wantKernel ?? (wantBackend !== undefined ? 'tfjs' : DEFAULT_KERNEL);
  let cpuKernel: GradientKernel = new TypedArrayKernel();
  let kernelKind = wanted;
  let kernelFallback: string | undefined;
  if (wanted === 'wasm') {
    const threads = options.threads ?? parseThreads(env.SHARDTRAIN_KERNEL_THREADS);
    try {
      cpuKernel = await WasmSimdKernel.create(threads === undefined ? {} : { threads });
    } catch (error) {
      kernelKind = 'typed';
      kernelFallback = `wasm kernel unavailable: ${error instanceof Error ? error.message.split('\n')[0]! : String(error)}`;
    }
  }
  const extra = kernelFallback === undefined ? {} : { kernelFallback };
  if (kernelKind !== 'tfjs' && wantBackend === undefined) {
    return { backend: 'cpu', kernelKind, kernel: cpuKernel, tf: null, fallbacks: [], ...extra };
  }
  const tf = await loadTfjs();
  const chain = BACKENDS.slice(wantBackend === undefined ? 0 : BACKENDS.indexOf(wantBackend));
  const fallbacks: { backend: BackendName; reason: string }[] = [];
  for (const name of chain) {
    const why: string[] = [];
    if (await activateBackend(tf, name, why)) {
      const kernel = kernelKind === 'tfjs' ? new TfjsKernel(tf) : cpuKernel;
      return { backend: name, kernelKind, kernel, tf, fallbacks, ...extra };
    }
    fallbacks.push({ backend: name, reason: why.join('; ') });
  }
  // 'cpu' is built into tfjs, so reaching this line means tfjs itself is broken.
  throw new UsageError(`no tfjs backend could be initialised: ${JSON.stringify(fallbacks)}`);
}

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`SHARDTRAIN_KERNEL_THREADS "${value}" must be a whole number ≥ 1`);
  }
  return n;
}

function parseChoice<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  what: string,
): T | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`${what} "${value}" is unknown; use one of ${allowed.join(', ')}`);
}

/**
 * tfjs's cpu backend prints an "install tfjs-node" banner on its first tensor write unless in
 * PROD mode; write one tensor with PROD on, then restore the flag, so the banner never shows.
 */
function silenceCpuBanner(tf: TfModule): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    tf.tidy(() => {
      tf.scalar(0);
    });
  } finally {
    tf.env().set('PROD', prod);
  }
}
