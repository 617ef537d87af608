import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import type { Io } from '../../cli/output.js';
import { decodeTrainState } from '../../lib/engine/training/state-codec.js';
import { type GeneratedTable, toCsv } from '../../lib/examples/generators.js';

/** The repository root (this file is `test/support/cli.ts`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'shardtrain.js');
const DIST_MAIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** What one CLI invocation printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  /** stdout parsed as one JSON document (the `--json` contract: one object per command). */
  json<T = Record<string, unknown>>(): T;
}

function result(code: number, out: string[], err: string[]): CliResult {
  return {
    code,
    out,
    err,
    json<T>() {
      const text = out.join('\n').trim();
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(
          `stdout is not one JSON document (exit ${code}):\n${text}\nstderr:\n${err.join('\n')}`,
        );
      }
    },
  };
}

/**
 * Runs `shardtrain <argv>` in this process (`cli/main.ts`), capturing stdout and stderr lines.
 * `env` is applied to `process.env` for the call and restored after (the CLI reads its knobs
 * such as SHARDTRAIN_WORKER_THREADS and SHARDTRAIN_FAULTS from there).
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), isTty: false };
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(argv, io);
    return result(code, out, err);
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A fresh temporary directory; removed by {@link removeTemp}. */
export function tempDir(prefix = 'shardtrain-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a generated table (or raw CSV text) to `<dir>/<name>` and returns the path. */
export function writeCsv(dir: string, name: string, data: GeneratedTable | string): string {
  const file = join(dir, name);
  writeFileSync(file, typeof data === 'string' ? data : toCsv(data));
  return file;
}

/** A spawned `bin/shardtrain.js`: the child, and a promise of its exit with everything it printed. */
export interface SpawnedCli {
  readonly child: ChildProcess;
  readonly done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

/** Starts `node bin/shardtrain.js <argv>` as a real process (needs the build, see {@link ensureBuilt}). */
export function spawnCli(argv: readonly string[], env: Readonly<Record<string, string>> = {}): SpawnedCli {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((ok, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => ok({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.mjs'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  let built: number;
  try {
    built = statSync(DIST_MAIN).mtimeMs;
  } catch {
    return true;
  }
  const sources = Math.max(...['cli', 'lib', 'functions'].map((d) => newestSourceMtime(join(REPO_ROOT, d))));
  return sources > built;
}

/**
 * Builds `dist/` (what `bin/shardtrain.js` runs) when `dist/cli/main.js` is missing or older than
 * any source under cli/, lib/ or functions/. `npm ci` builds through `prepare`, so in CI this is a
 * no-op; locally it saves a forgotten `npm run build`. A directory lock keeps parallel test files
 * from building at once.
 */
export function ensureBuilt(): void {
  if (!isStale()) return;
  const lock = join(REPO_ROOT, 'dist', '.e2e-build.lock');
  mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for 2 minutes`);
      execFileSync('sleep', ['0.5']);
    }
  }
  try {
    if (!isStale()) return;
    try {
      execFileSync(
        process.execPath,
        [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: REPO_ROOT,
          stdio: 'pipe',
        },
      );
    } catch (error) {
      // tsc emits even with type errors elsewhere in the tree; only a missing entry point is fatal.
      if (isStale()) {
        const out = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
        throw new Error(`npm run build failed:\n${out}`);
      }
    }
  } finally {
    rmdirSync(lock);
  }
}

/** Polls `fn` every `everyMs` until it returns a value other than undefined, or times out. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A home holding one linear model trained in-process on `csvText` (dataset and model named after
 * `file`), its version 1 promoted to `champion`: what the predict handler tests serve.
 */
export async function homeWithChampion(dir: string, file: string, csvText: string): Promise<string> {
  const home = join(dir, 'home');
  const csv = writeCsv(dir, file, csvText);
  const trained = await runCli([
    '--home',
    home,
    'train',
    '--data',
    csv,
    '--target',
    'y',
    '--model',
    'linear',
    '--runner',
    'inprocess',
  ]);
  if (trained.code !== 0) throw new Error(`train failed: ${trained.err.join('\n')}`);
  const name = file.replace(/\.csv$/, '');
  const promoted = await runCli(['--home', home, 'models', 'promote', name, '1']);
  if (promoted.code !== 0) throw new Error(`promote failed: ${promoted.err.join('\n')}`);
  return home;
}

/** The parameters of a job's final stored state (`jobs/<id>/state/<round>.json`, the last one), decoded from its stored form. */
export function finalParams(home: string, jobId: string): number[] {
  const dir = join(home, 'store', 'jobs', jobId, 'state');
  const last = readdirSync(dir).sort().at(-1)!;
  return decodeTrainState(JSON.parse(readFileSync(join(dir, last), 'utf8'))).params;
}
