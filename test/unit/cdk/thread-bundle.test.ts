import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, threadBundleCommands } from '../../../cdk/constructs/shardtrain-function.js';
import { PREPROCESS_THREAD_ENTRIES } from '../../../cdk/constructs/training-functions.js';
import { synthesizeApp } from './synth-app.js';

/**
 * The preprocess Lambda's shard thread: `NodejsFunction` bundles one file, so the thread entry is
 * bundled beside it by the `afterBundling` hook. Here the hook's very command bundles it next to
 * an esbuild bundle of the pipeline (as the function's zip would hold them), and node runs that.
 */
const PROBE = `
import { ShardPipeline } from './lib/data/shard/shard-pipeline.js';
import { decodeShard } from './lib/data/shard/shard-codec.js';
const pipeline = new ShardPipeline('brotli', true);
pipeline.begin(['numeric', 'numeric'], 256);
const data = new Float32Array(new SharedArrayBuffer(16));
data.set([1, 2, 3, 5]);
const bytes = await pipeline.encode(data, 2, 2);
pipeline.update(new TextEncoder().encode('abc'));
const summary = await pipeline.summary();
const hex = await pipeline.digest();
console.log(JSON.stringify({
  threaded: pipeline.threaded,
  decoded: Array.from(decodeShard(bytes).data),
  means: summary.columns.map((c) => c.stats.mean),
  hex,
}));
await pipeline.close();
`;

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shardtrain-bundle-'));
  await build({
    stdin: { contents: PROBE, resolveDir: REPO_ROOT, loader: 'ts', sourcefile: 'probe.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(dir, 'index.mjs'),
    logLevel: 'silent',
  });
  for (const command of threadBundleCommands(REPO_ROOT, dir, PREPROCESS_THREAD_ENTRIES))
    execSync(command, { stdio: 'pipe' });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = () => JSON.parse(execFileSync(process.execPath, [join(dir, 'index.mjs')], { encoding: 'utf8' }));
/** SHA-256("abc"), FIPS 180-2 appendix B.1. */
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('Function: threadBundleCommands', () => {
  it('bundles the shard thread beside the handler, where the pipeline finds and starts it', () => {
    // Assess: columns (1, 3) and (2, 5): means 2 and 3.5.
    expect(existsSync(join(dir, 'shard-thread.mjs'))).toBe(true);
    expect(run()).toEqual({ threaded: true, decoded: [1, 2, 3, 5], means: [2, 3.5], hex: SHA256_ABC });
  });

  it('falls back to one thread, with the same results, where the entry is missing', () => {
    // Prepare
    rmSync(join(dir, 'shard-thread.mjs'));
    // Act / Assess
    expect(run()).toEqual({ threaded: false, decoded: [1, 2, 3, 5], means: [2, 3.5], hex: SHA256_ABC });
  });

  it('is wired into the preprocess function only', () => {
    // Assess
    const { functions } = synthesizeApp().stateless.functions;
    expect(functions.preprocess.threadEntries).toEqual(['lib/data/shard/shard-thread.ts']);
    expect(functions.worker.threadEntries).toEqual([]);
    for (const entry of PREPROCESS_THREAD_ENTRIES) expect(existsSync(join(REPO_ROOT, entry))).toBe(true);
  });
});
