import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../../lib/errors.js';
import type { Batch, ModelSpec } from '../../../lib/optim/index.js';
import { CHUNK_ROWS, WasmSimdKernel } from '../../../lib/optim/index.js';

/**
 * A worker thread of the threaded wasm kernel that dies must not hang the caller (issue 9): the
 * call it was working on throws, the kernel goes on with the threads it has left, and the next
 * `create()` starts a new pool.
 */
const spec: ModelSpec = { kind: 'logistic', numFeatures: 2 };
const rows = 3 * CHUNK_ROWS + 5; // four chunks
// x = (r mod 7, 1), y = r mod 2: at θ = 0 every p is ½, so the loss is n·ln 2 and the gradient
// sum is Σ (½ − y)·x̃, worked out here row by row.
const batch: Batch = {
  x: Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? (i / 2) % 7 : 1)),
  y: Float32Array.from({ length: rows }, (_, r) => r % 2),
  rows,
  d: 2,
};
const expected = (() => {
  let [g0, g1, g2] = [0, 0, 0];
  for (let r = 0; r < rows; r++) {
    const residual = 0.5 - (r % 2);
    g0 += residual;
    g1 += residual * (r % 7);
    g2 += residual;
  }
  return { loss: rows * Math.LN2, g: [g0, g1, g2] };
})();

function call(kernel: WasmSimdKernel): { loss: number; g: number[] } {
  const g = new Float64Array(3);
  const { lossSum } = kernel.lossAndGradient(spec, new Float64Array(3), { batch, start: 0, end: rows }, g);
  return { loss: lossSum, g: [...g] };
}

function expectReference(got: { loss: number; g: number[] }): void {
  expect(got.loss).toBeCloseTo(expected.loss, 6);
  for (const [i, v] of got.g.entries()) expect(v).toBeCloseTo(expected.g[i]!, 9);
}

const exited = (kernel: WasmSimdKernel, thread: number): Promise<void> =>
  new Promise((resolve) => {
    const w = kernel.workerForTests(thread);
    if (w.threadId === -1) resolve();
    else w.once('exit', () => resolve());
  });

describe('WasmSimdKernel when a worker thread dies', () => {
  it('a thread exiting while it holds a chunk makes that call throw, not hang; later calls still compute', async () => {
    const kernel = await WasmSimdKernel.create({ threads: 2 });
    try {
      expectReference(call(kernel));
      kernel.failThreadForTests(1);
      const gone = exited(kernel, 1);
      expect(() => call(kernel)).toThrow(InfrastructureError);
      await gone;
      expect(kernel.liveThreads).toBe(1);
      // the calling thread alone: the same sums
      expectReference(call(kernel));
      // the cache let go of the broken pool: a new one with both threads
      const fresh = await WasmSimdKernel.create({ threads: 2 });
      expect(fresh).not.toBe(kernel);
      expect(fresh.liveThreads).toBe(2);
      expectReference(call(fresh));
    } finally {
      await kernel.close();
    }
  }, 30_000);

  it('names the thread and its exit code', async () => {
    const kernel = await WasmSimdKernel.create({ threads: 2 });
    try {
      kernel.failThreadForTests(1);
      expect(() => call(kernel)).toThrow(/worker thread 1 of 2 exited \(code 70\)/);
    } finally {
      await kernel.close();
    }
  }, 30_000);

  it('a thread terminated between calls: the next call computes with the threads left', async () => {
    const kernel = await WasmSimdKernel.create({ threads: 2 });
    try {
      const before = call(kernel);
      expectReference(before);
      await kernel.workerForTests(1).terminate();
      await new Promise((r) => setImmediate(r)); // the exit event
      expect(kernel.liveThreads).toBe(1);
      const after = call(kernel);
      // the sums are added in chunk order whoever computed them: the same bits
      expect(after).toEqual(before);
      expect(await WasmSimdKernel.create({ threads: 2 })).not.toBe(kernel);
    } finally {
      await kernel.close();
      await (await WasmSimdKernel.create({ threads: 2 })).close();
    }
  }, 30_000);
});
