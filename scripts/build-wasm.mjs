#!/usr/bin/env node
/**
 * Assembles lib/optim/kernels/gradient-simd.wat into dist/lib/optim/kernels/gradient-simd.wasm
 * with wabt (SIMD + threads features). Runs as the second half of `npm run build`, so `npm ci`
 * (prepare → build) produces the binary; the CDK bundling copies it next to each Lambda bundle.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'lib', 'optim', 'kernels', 'gradient-simd.wat');
const dest = join(root, 'dist', 'lib', 'optim', 'kernels', 'gradient-simd.wasm');
const wabt = await wabtInit();
const mod = wabt.parseWat('gradient-simd.wat', readFileSync(src, 'utf8'), {
  simd: true,
  threads: true,
  bulk_memory: true,
  sat_float_to_int: true,
});
const { buffer } = mod.toBinary({});
mod.destroy();
// wabt.js's own validate() ignores the threads feature ("memories may not be shared"), so the
// engine validates instead: WebAssembly.compile rejects a malformed module.
await WebAssembly.compile(buffer);
mkdirSync(dirname(dest), { recursive: true });
writeFileSync(dest, buffer);
console.log(`wrote ${dest} (${buffer.length} bytes)`);
