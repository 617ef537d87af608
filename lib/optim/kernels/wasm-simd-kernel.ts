import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InfrastructureError, UsageError } from '../../errors.js';
import type { Batch, RowSelection } from '../models/batch.js';
import type { ModelSpec } from '../models/model-spec.js';
import { numOutputs, paramCount } from '../models/model-spec.js';
import type { GradientKernel, LossAndGradient } from './gradient-kernel.js';
import { mlpLossAndGradient } from './mlp-kernel.js';

/**
 * Rows per chunk. A selection is cut into chunks of this many rows from its start; each chunk's
 * sums are computed by one thread and the chunks are added in chunk order, so the bits depend
 * on this constant and never on how many threads ran or which thread took which chunk.
 */
export const CHUNK_ROWS = 4096;

const PAGE = 65_536;
const MAX_PAGES = 65_536; // 4 GiB, the wasm32 limit
const CTRL_BYTES = 4096;
/** Resident batch copies are dropped (all at once) when a new one would pass this many bytes. */
const RESIDENT_CAP = 1 << 30;
const MAX_THREADS = 32;

// Int32 slots of the control block at address 0, shared by the calling thread and the workers.
const GEN = 0;
const NEXT = 1;
const DONE = 2;
const NCHUNKS = 3;
const KIND = 4;
const K = 5;
const D = 6;
const X = 7;
const Y = 8;
const IDX = 9;
const RS = 10;
const RE = 11;
const W = 12;
const B = 13;
const SLOTS = 14;
const SLOT_BYTES = 15;
const STOP = 16;
/** Bit t set: worker thread t has exited (its own exit handler, or the parent's exit event). */
const DEAD = 17;
/** Worker thread t + 1 that exited holding a chunk (the call cannot complete), else 0. */
const LOST = 18;
/** That thread's exit code. */
const LOST_CODE = 19;
/** Tests only: worker thread t exits (process.exit) right after claiming its next chunk. */
const FAULT = 20;
const SCRATCH = 32; // + thread number: that thread's scratch address
const CLAIM = 64; // + thread number: 1 + the chunk that thread computes, -1 while claiming, 0 idle
/** NEXT after a call is abandoned: no chunk of it is claimed any more. */
const ABANDONED = 1 << 30;
const CTRL_INTS = 128;
/** A call gives up when no chunk finishes for this long (a worker that died without a word). */
const STALL_MS = 60_000;

type ChunkFn = (...args: number[]) => number;

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no DOM types). */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: Record<string, unknown> }>;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * The worker threads' loop (CommonJS, evaluated with `eval: true` so no file has to ship):
 * wait for a new generation, then claim chunks until none are left. `drain` is the same
 * algorithm as {@link drain} below.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, thread } = workerData;
const chunk = new WebAssembly.Instance(module, { env: { memory } }).exports.chunk;
const c = new Int32Array(memory.buffer, 0, ${CTRL_INTS});
// Dying (an uncaught error, a trap, process.exit) while holding a chunk would leave the calling
// thread waiting for it forever: say so in the shared block and wake it.
process.on('exit', (code) => {
  if (Atomics.load(c, ${STOP}) !== 0) return;
  Atomics.or(c, ${DEAD}, 1 << thread);
  if (Atomics.load(c, ${CLAIM} + thread) !== 0 && Atomics.compareExchange(c, ${LOST}, 0, thread + 1) === 0)
    Atomics.store(c, ${LOST_CODE}, code);
  Atomics.notify(c, ${DONE});
});
parentPort.postMessage('ready');
for (;;) {
  const gen = Atomics.load(c, ${GEN});
  if (Atomics.load(c, ${STOP}) !== 0) break;
  for (;;) {
    Atomics.store(c, ${CLAIM} + thread, -1);
    const i = Atomics.add(c, ${NEXT}, 1);
    const n = Atomics.load(c, ${NCHUNKS});
    if (i >= n) {
      Atomics.store(c, ${CLAIM} + thread, 0);
      break;
    }
    Atomics.store(c, ${CLAIM} + thread, i + 1);
    if (Atomics.load(c, ${FAULT}) === thread) process.exit(70);
    const rs = c[${RS}] + i * ${CHUNK_ROWS};
    chunk(c[${KIND}], c[${K}], c[${D}], c[${X}], c[${Y}], c[${IDX}], rs, Math.min(c[${RE}], rs + ${CHUNK_ROWS}),
      c[${W}], c[${B}], c[${SLOTS}] + i * c[${SLOT_BYTES}], c[${SCRATCH} + thread]);
    Atomics.store(c, ${CLAIM} + thread, 0);
    if (Atomics.add(c, ${DONE}, 1) + 1 === n) Atomics.notify(c, ${DONE});
  }
  Atomics.wait(c, ${GEN}, gen);
}
`;

/** Claims and computes chunks until none are left (the calling thread's share of the work). */
function drain(c: Int32Array, chunk: ChunkFn, thread: number): void {
  for (;;) {
    const i = Atomics.add(c, NEXT, 1);
    const n = Atomics.load(c, NCHUNKS);
    if (i >= n) return;
    const rs = c[RS]! + i * CHUNK_ROWS;
    chunk(
      c[KIND]!,
      c[K]!,
      c[D]!,
      c[X]!,
      c[Y]!,
      c[IDX]!,
      rs,
      Math.min(c[RE]!, rs + CHUNK_ROWS),
      c[W]!,
      c[B]!,
      c[SLOTS]! + i * c[SLOT_BYTES]!,
      c[SCRATCH + thread]!,
    );
    if (Atomics.add(c, DONE, 1) + 1 === n) Atomics.notify(c, DONE);
  }
}

const align = (n: number, to = 64): number => Math.ceil(n / to) * to;

/** Bytes of one thread's scratch for k outputs and d features (layout: gradient-simd.wat `chunk`). */
function scratchBytes(k: number, d: number): number {
  return align(512 + 288 * k + 144 * k + 8 * k * d + 8 * k);
}

/**
 * Finds the assembled kernel: `gradient-simd.wasm` next to this file (dist/, and the Lambda
 * bundle, where the CDK bundling copies it), else assembles `gradient-simd.wat` from the source
 * tree with wabt (a dev dependency: tests run from source, and dist/ built by `tsc` alone).
 */
export async function loadGradientWasm(): Promise<Uint8Array> {
  try {
    return await readFile(new URL('./gradient-simd.wasm', import.meta.url));
  } catch {
    // not built: fall through to the source
  }
  let wat: string | undefined;
  for (const rel of ['./gradient-simd.wat', '../../../../lib/optim/kernels/gradient-simd.wat']) {
    try {
      wat = await readFile(new URL(rel, import.meta.url), 'utf8');
      break;
    } catch {
      // try the next place
    }
  }
  if (wat === undefined) throw new Error('gradient-simd.wasm is missing (run `npm run build`)');
  const spec = 'wabt'; // a variable, so bundlers leave the dev-only assembler out
  const wabtInit = ((await import(spec)) as { default: () => Promise<WabtLike> }).default;
  const wabt = await wabtInit();
  const mod = wabt.parseWat('gradient-simd.wat', wat, {
    simd: true,
    threads: true,
    bulk_memory: true,
    sat_float_to_int: true,
  });
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

interface WabtLike {
  parseWat(
    name: string,
    text: string,
    features: Record<string, boolean>,
  ): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
}

/** Where a batch's copy lives in the shared memory; valid while `epoch` is current. */
interface Resident {
  readonly epoch: number;
  readonly x: number;
  readonly y: number;
}

/** Options for {@link WasmSimdKernel.create}. */
export interface WasmSimdOptions {
  /** Threads that compute, the calling one included. @default os.availableParallelism() */
  readonly threads?: number;
}

const instances = new Map<number, Promise<WasmSimdKernel>>();

/**
 * Gradient kernel in WebAssembly SIMD128 (lib/optim/kernels/gradient-simd.wat) over a shared
 * WebAssembly.Memory, with worker threads.
 *
 * - Precision: float32 inputs, weights and products — a row's d products summed in four f32
 *   lanes for z, each r·x rounded to f32 — and float64 for everything else: the bias, the lanes'
 *   sum, residuals, the loss and every sum over rows. Agrees with the float64
 *   {@link TypedArrayKernel} to ~1e-7 relative. Because every per-row quantity has the same bits
 *   however rows are grouped and all sums over rows are f64, a different partitioning changes
 *   results only at f64 rounding (the engine's 1-vs-N-workers tests hold as with the typed
 *   kernel); summing r·x in f32 over 32-row blocks measured no faster here but moved 1-vs-4-worker
 *   trainings apart by ~1e-9 to 1e-5 relative (a stopping rule firing one epoch apart).
 * - Determinism: a selection is cut into {@link CHUNK_ROWS}-row chunks; any thread may compute
 *   any chunk, each chunk's sums land in their own slot, and the calling thread adds the slots
 *   in chunk order. Same bits with 1, 2 or N threads, on x86 and arm64 (no FMA, exp/log are
 *   the module's own polynomials).
 * - Data: a batch is copied into the shared memory on first use and reused while it stays
 *   resident (keyed by Batch identity: batches are treated as immutable, as JobCache does);
 *   a permutation slice is copied per call (4 bytes a row).
 *
 * `lossAndGradient` is synchronous: the calling thread takes chunks too and then blocks in
 * `Atomics.wait` until the workers are done. Use {@link WasmSimdKernel.create} (cached per
 * thread count) and {@link WasmSimdKernel.close} to stop the workers.
 * - A worker thread that dies never hangs a call. Dying while computing a chunk (an error, a
 *   trap, `process.exit`), it marks the shared block and wakes the caller, and the call throws an
 *   {@link InfrastructureError} naming the thread and its exit code; a call where no chunk
 *   finishes for a minute throws too (a thread gone without a word). Either way, and when a
 *   thread exits between calls, the kernel goes on with the threads it has left (the bits do not
 *   depend on the thread count) and leaves the per-process cache, so the next `create()` starts
 *   a full pool.
 */
export class WasmSimdKernel implements GradientKernel {
  public readonly name = 'wasm-simd';
  private readonly resident = new WeakMap<Batch, Resident>();
  private readonly labelsChecked = new WeakMap<Batch, Map<number, readonly number[]>>();
  private epoch = 0;
  private callBytes = 1 << 20;
  private top: number;
  private closed = false;
  /** Tests only: the next call leaves every chunk to the worker threads. */
  private callerIdleOnce = false;

  private constructor(
    public readonly threads: number,
    private readonly memory: WasmMemory,
    private readonly chunk: ChunkFn,
    private readonly workers: readonly Worker[],
  ) {
    this.top = CTRL_BYTES + this.callBytes;
  }

  /** The kernel for `threads` threads, created once per process (per thread count). */
  public static create(options: WasmSimdOptions = {}): Promise<WasmSimdKernel> {
    const threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(options.threads ?? availableParallelism())));
    let hit = instances.get(threads);
    if (hit === undefined) {
      hit = WasmSimdKernel.start(threads);
      instances.set(threads, hit);
      hit.catch(() => instances.delete(threads));
    }
    return hit;
  }

  private static async start(threads: number): Promise<WasmSimdKernel> {
    const module = await wasm.compile(await loadGradientWasm());
    const memory = new wasm.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
    const instance = await wasm.instantiate(module, { env: { memory } });
    const chunk = instance.exports.chunk as ChunkFn;
    const workers = await Promise.all(
      Array.from(
        { length: threads - 1 },
        (_, i) =>
          new Promise<Worker>((resolve, reject) => {
            const w = new Worker(WORKER_SOURCE, {
              eval: true,
              workerData: { module, memory, thread: i + 1 },
            });
            w.once('message', () => {
              w.unref();
              resolve(w);
            });
            w.once('error', reject);
          }),
      ),
    );
    const kernel = new WasmSimdKernel(threads, memory, chunk, workers);
    workers.forEach((w, i) => {
      w.on('error', () => {}); // the exit event below (and the call, if one was running) reports it
      w.on('exit', () => kernel.lostThread(i + 1));
    });
    return kernel;
  }

  /** Worker thread `thread` has exited: mark it, and let the next `create()` start a full pool. */
  private lostThread(thread: number): void {
    if (this.closed) return;
    Atomics.or(this.ctrl(), DEAD, 1 << thread);
    // only this kernel's entry (a pool rebuilt for the same count is left alone)
    void instances.get(this.threads)?.then((k) => {
      if (k === this) instances.delete(this.threads);
    });
  }

  /** Worker threads still running. */
  public get liveThreads(): number {
    const dead = Atomics.load(this.ctrl(), DEAD);
    return 1 + this.workers.filter((_, i) => (dead & (1 << (i + 1))) === 0).length;
  }

  /**
   * Tests only: worker thread `thread` (1 … threads − 1) exits with code 70 right after claiming a
   * chunk of the next call, and the calling thread takes no chunk in that call, so the call must
   * notice the lost chunk.
   */
  public failThreadForTests(thread: number): void {
    Atomics.store(this.ctrl(), FAULT, thread);
    this.callerIdleOnce = true;
  }

  /** Tests only: the worker thread object of `thread` (1 … threads − 1). */
  public workerForTests(thread: number): Worker {
    return this.workers[thread - 1]!;
  }

  /** Stops the worker threads; the kernel cannot be used afterwards. */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    instances.delete(this.threads);
    const c = this.ctrl();
    Atomics.store(c, STOP, 1);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  public lossAndGradient(
    spec: ModelSpec,
    params: Float64Array,
    sel: RowSelection,
    outGradSum: Float64Array,
  ): LossAndGradient {
    if (this.closed) throw new Error('WasmSimdKernel is closed');
    // MLPs run on the deterministic float64 back-propagation kernel (lib/optim/kernels/mlp-kernel.ts).
    if (spec.kind === 'mlp') return mlpLossAndGradient(spec, params, sel, outGradSum);
    this.settle();
    const d = sel.batch.d;
    if (d !== spec.numFeatures) {
      throw new UsageError(`batch has ${d} features but the model expects ${spec.numFeatures}`);
    }
    const p = paramCount(spec);
    if (outGradSum.length !== p || params.length !== p) {
      throw new UsageError(`params and gradient must have ${p} entries`);
    }
    outGradSum.fill(0);
    const rows = Math.max(0, sel.end - sel.start);
    if (rows === 0) return { lossSum: 0, rows: 0 };
    const k = numOutputs(spec);
    if (spec.kind === 'softmax') this.checkLabels(sel, k);

    const nChunks = Math.ceil(rows / CHUNK_ROWS);
    const slotBytes = 8 * (p + 1);
    const scratch = scratchBytes(k, d);
    const wBytes = align(4 * k * d);
    const bBytes = align(8 * k);
    const idxBytes = sel.indices ? align(4 * rows) : 0;
    this.reserveCallArea(wBytes + bBytes + this.threads * scratch + align(nChunks * slotBytes) + idxBytes);
    const res = this.residentCopy(sel.batch);

    // call area: W (f32 k×d), b (f64 k), scratch per thread, chunk slots, permutation slice
    const wAt = CTRL_BYTES;
    const bAt = wAt + wBytes;
    const scratchAt = bAt + bBytes;
    const slotsAt = scratchAt + this.threads * scratch;
    const idxAt = slotsAt + align(nChunks * slotBytes);
    const buf = this.memory.buffer;
    const w32 = new Float32Array(buf, wAt, k * d);
    const b64 = new Float64Array(buf, bAt, k);
    for (let c = 0; c < k; c++) {
      b64[c] = params[c * (d + 1)]!;
      for (let j = 0; j < d; j++) w32[c * d + j] = params[c * (d + 1) + 1 + j]!;
    }
    let rs = sel.start;
    let re = sel.end;
    if (sel.indices) {
      new Uint32Array(buf, idxAt, rows).set(sel.indices.subarray(sel.start, sel.end));
      rs = 0;
      re = rows;
    }
    const c = this.ctrl();
    c[KIND] = spec.kind === 'linear' ? 0 : spec.kind === 'logistic' ? 1 : 2;
    c[K] = k;
    c[D] = d;
    c[X] = res.x | 0;
    c[Y] = res.y | 0;
    c[IDX] = sel.indices ? idxAt : 0;
    c[RS] = rs;
    c[RE] = re;
    c[W] = wAt;
    c[B] = bAt;
    c[SLOTS] = slotsAt;
    c[SLOT_BYTES] = slotBytes;
    for (let t = 0; t < this.threads; t++) c[SCRATCH + t] = scratchAt + t * scratch;
    c[NCHUNKS] = nChunks;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, NEXT, 0); // publishes everything above to the workers' Atomics.add
    const callerIdle = this.callerIdleOnce;
    this.callerIdleOnce = false;
    if (this.workers.length > 0 && (nChunks > 1 || callerIdle)) {
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
    }
    if (!callerIdle) drain(c, this.chunk, 0);
    this.waitForChunks(c, nChunks);

    // the fixed reduction: chunk 0, 1, 2, … whoever computed them
    const slots = new Float64Array(this.memory.buffer, slotsAt, nChunks * (p + 1));
    let lossSum = 0;
    for (let i = 0; i < nChunks; i++) {
      const o = i * (p + 1);
      for (let q = 0; q < p; q++) outGradSum[q] = outGradSum[q]! + slots[o + q]!;
      lossSum += slots[o + p]!;
    }
    return { lossSum, rows };
  }

  private ctrl(): Int32Array {
    return new Int32Array(this.memory.buffer, 0, CTRL_INTS);
  }

  /**
   * Blocks until all `n` chunks are done; throws when a worker thread died holding one, or when
   * none finishes for {@link STALL_MS}.
   */
  private waitForChunks(c: Int32Array, n: number): void {
    let done = Atomics.load(c, DONE);
    let since = performance.now();
    while (done < n) {
      const lost = Atomics.load(c, LOST);
      if (lost !== 0) {
        this.abandon(c);
        Atomics.store(c, LOST, 0);
        Atomics.store(c, FAULT, 0);
        this.lostThread(lost - 1);
        throw new InfrastructureError(
          `gradient kernel: worker thread ${lost - 1} of ${this.threads} exited (code ${Atomics.load(c, LOST_CODE)}) while computing a chunk; this call is abandoned, the kernel goes on with ${this.liveThreads} thread(s)`,
        );
      }
      Atomics.wait(c, DONE, done, 1000);
      const now = Atomics.load(c, DONE);
      if (now !== done) {
        done = now;
        since = performance.now();
      } else if (performance.now() - since > STALL_MS) {
        this.abandon(c);
        throw new InfrastructureError(
          `gradient kernel: no chunk finished in ${STALL_MS / 1000} s (${done} of ${n} done); a worker thread is presumed dead`,
        );
      }
    }
  }

  /** No chunk of the current call is claimed any more (live workers finish the one they hold). */
  private abandon(c: Int32Array): void {
    Atomics.store(c, NEXT, ABANDONED);
  }

  /**
   * Before a call: a previous call that threw may have left live workers finishing a chunk of it;
   * wait for them (they would count into this call's DONE otherwise).
   */
  private settle(): void {
    const c = this.ctrl();
    const start = performance.now();
    for (let t = 1; t < this.threads; t++) {
      for (;;) {
        const dead = (Atomics.load(c, DEAD) & (1 << t)) !== 0;
        const claim = Atomics.load(c, CLAIM + t);
        if (dead || claim === 0) break;
        if (performance.now() - start > STALL_MS) {
          throw new InfrastructureError(
            `gradient kernel: worker thread ${t} did not finish a chunk in ${STALL_MS / 1000} s`,
          );
        }
        Atomics.wait(c, CLAIM + t, claim, 10);
      }
    }
  }

  /** Makes the per-call area at least `bytes` long; growing it drops the resident batches. */
  private reserveCallArea(bytes: number): void {
    if (bytes <= this.callBytes) return;
    this.callBytes = align(Math.max(bytes, 2 * this.callBytes), PAGE);
    this.dropResident();
    this.ensureMemory(this.top);
  }

  private dropResident(): void {
    this.epoch++;
    this.top = CTRL_BYTES + this.callBytes;
  }

  /** The batch's copy in the shared memory, made on first use (the cost of one pass over x). */
  private residentCopy(batch: Batch): Resident {
    const hit = this.resident.get(batch);
    if (hit !== undefined && hit.epoch === this.epoch) return hit;
    const xBytes = align(batch.x.byteLength);
    const bytes = xBytes + align(batch.y.byteLength);
    if (this.top + bytes > CTRL_BYTES + this.callBytes + RESIDENT_CAP) this.dropResident();
    const at = this.top;
    this.ensureMemory(at + bytes);
    new Float32Array(this.memory.buffer, at, batch.x.length).set(batch.x);
    new Float32Array(this.memory.buffer, at + xBytes, batch.y.length).set(batch.y);
    this.top = at + bytes;
    const entry = { epoch: this.epoch, x: at, y: at + xBytes };
    this.resident.set(batch, entry);
    return entry;
  }

  private ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new UsageError(
        `a partition of ${(bytes / 2 ** 30).toFixed(1)} GiB does not fit the wasm kernel's 4 GiB; use more workers`,
      );
    }
    this.memory.grow(pages);
  }

  /** Softmax labels must be class indices; the batch is scanned once per (batch, k). */
  private checkLabels(sel: RowSelection, k: number): void {
    const { batch } = sel;
    let perK = this.labelsChecked.get(batch);
    if (perK === undefined) {
      perK = new Map();
      this.labelsChecked.set(batch, perK);
    }
    let bad = perK.get(k);
    if (bad === undefined) {
      const found: number[] = [];
      for (let r = 0; r < batch.rows; r++) if (!validLabel(batch.y[r]!, k)) found.push(r);
      bad = found;
      perK.set(k, bad);
    }
    if (bad.length === 0) return;
    for (let i = sel.start; i < sel.end; i++) {
      const row = sel.indices ? sel.indices[i]! : i;
      const label = batch.y[row]!;
      if (!validLabel(label, k)) {
        throw new UsageError(
          `softmax label at row ${row} is ${label}; labels must be class indices 0..${k - 1}`,
        );
      }
    }
  }
}

function validLabel(label: number, k: number): boolean {
  return Number.isInteger(label) && label >= 0 && label < k;
}
