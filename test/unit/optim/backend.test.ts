import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { selectBackend, WasmSimdKernel } from '../../../lib/optim/index.js';

describe('Function: selectBackend', () => {
  it('defaults to the wasm SIMD kernel without loading tfjs', async () => {
    const sel = await selectBackend(undefined, { env: {} });
    expect(sel).toMatchObject({ backend: 'cpu', kernelKind: 'wasm', tf: null, fallbacks: [] });
    expect(sel.kernel.name).toBe('wasm-simd');
    expect(sel.kernelFallback).toBeUndefined();
  });

  it('falls back to the typed kernel, saying why, where the wasm kernel cannot start', async () => {
    // Prepare: an engine without WebAssembly SIMD or shared memory, as create() would report it
    const spy = vi.spyOn(WasmSimdKernel, 'create').mockRejectedValueOnce(new Error('no SIMD here'));
    try {
      // Act
      const sel = await selectBackend(undefined, { env: {} });
      // Assess
      expect(sel).toMatchObject({ backend: 'cpu', kernelKind: 'typed', tf: null });
      expect(sel.kernel.name).toBe('typed-array');
      expect(sel.kernelFallback).toMatch(/wasm kernel unavailable: no SIMD here/);
    } finally {
      spy.mockRestore();
    }
  });

  it('gives the typed kernel with SHARDTRAIN_KERNEL=typed, and the thread count from the environment', async () => {
    const typed = await selectBackend(undefined, { env: { SHARDTRAIN_KERNEL: 'typed' } });
    expect(typed).toMatchObject({ backend: 'cpu', kernelKind: 'typed', tf: null });
    expect(typed.kernel.name).toBe('typed-array');
    const wasm = await selectBackend(undefined, { env: { SHARDTRAIN_KERNEL_THREADS: '1' } });
    expect((wasm.kernel as WasmSimdKernel).threads).toBe(1);
    await expect(selectBackend(undefined, { env: { SHARDTRAIN_KERNEL_THREADS: 'two' } })).rejects.toThrow(
      /SHARDTRAIN_KERNEL_THREADS/,
    );
  });

  it('honours SHARDTRAIN_BACKEND=cpu with the tfjs kernel', async () => {
    const sel = await selectBackend(undefined, { env: { SHARDTRAIN_BACKEND: 'cpu' } });
    expect(sel.backend).toBe('cpu');
    expect(sel.kernel.name).toBe('tfjs-cpu');
    expect(sel.tf?.getBackend()).toBe('cpu');
  });

  it('falls back gracefully when tfjs-node is not installed, and SHARDTRAIN_KERNEL picks the kernel', async () => {
    // tfjs-node is an optionalDependency that is absent here: tensorflow must fail, wasm (or cpu) must win
    const sel = await selectBackend('tensorflow', { env: { SHARDTRAIN_KERNEL: 'typed' } });
    expect(['tensorflow', 'wasm', 'cpu']).toContain(sel.backend);
    if (sel.backend !== 'tensorflow') expect(sel.fallbacks[0]?.backend).toBe('tensorflow');
    expect(sel.kernelKind).toBe('typed');
  });

  it('initialises wasm from node_modules when asked', async () => {
    const sel = await selectBackend('wasm', { env: {} });
    expect(sel.backend).toBe('wasm');
    expect(sel.kernel.name).toBe('tfjs-wasm');
  });

  it('rejects unknown names', async () => {
    await expect(selectBackend('webgpu', { env: {} })).rejects.toThrow(UsageError);
    await expect(selectBackend(undefined, { env: { SHARDTRAIN_KERNEL: 'cuda' } })).rejects.toThrow(/kernel/);
  });
});
