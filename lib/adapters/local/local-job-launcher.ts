import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, promises as fs, openSync } from 'node:fs';
import path from 'node:path';
import { InfrastructureError, NotFoundError, UsageError } from '../../errors.js';
import type { JobLauncher, LaunchRequest, LaunchStatus } from '../../ports.js';
import { isProcessAlive } from './process-alive.js';

/** Options of {@link LocalJobLauncher}. */
export interface LocalJobLauncherOptions {
  /** Program and leading arguments, e.g. `[process.execPath, 'bin/shardtrain.js']`; each request's command is appended. */
  readonly command: readonly string[];
  /** Folder for `<launchId>.json` (the launch record), `<launchId>.exit.json` and `<launchId>.log`. */
  readonly logDir: string;
  /** @default process.cwd() */
  readonly cwd?: string;
  /** The children's environment. @default this process's (inherited) */
  readonly env?: NodeJS.ProcessEnv;
}

/** What `<launchId>.json` holds. */
export interface LaunchRecord {
  readonly launchId: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly argv: readonly string[];
  /** Pid of the supervisor process that runs the job and records its exit. */
  readonly pid: number;
  readonly logFile: string;
  readonly startedAt: string;
}

/** What `<launchId>.exit.json` holds once the job has ended. */
export interface ExitRecord {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly finishedAt: string;
}

/**
 * The supervisor, run as `node -e SUPERVISOR <spec-json>`: it runs the job with stdout and stderr
 * going to the log, then writes the exit record (temp file + rename), so the outcome is known
 * even after the process that submitted the job has gone.
 */
const SUPERVISOR = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const spec = JSON.parse(process.argv[1]);
const finish = (exitCode, signal) => {
  const record = { exitCode, signal, finishedAt: new Date().toISOString() };
  fs.writeFileSync(spec.exitFile + '.tmp', JSON.stringify(record));
  fs.renameSync(spec.exitFile + '.tmp', spec.exitFile);
  process.exit(0);
};
const child = spawn(spec.argv[0], spec.argv.slice(1), { stdio: 'inherit' });
child.on('error', (error) => { console.error(String(error)); finish(127, null); });
child.on('exit', (code, signal) => finish(code, signal));
for (const name of ['SIGTERM', 'SIGINT']) process.on(name, () => child.kill(name));
`;

/**
 * `JobLauncher` that runs a job as a detached local process: the laptop stand-in for an AWS
 * Batch job. The job outlives the submitting process; its state lives in files under `logDir`.
 *
 * @example
 * ```ts
 * const launcher = new LocalJobLauncher({ command: [process.execPath, 'bin/shardtrain.js'], logDir: '.shardtrain/launches' });
 * const { launchId } = await launcher.submit({ jobId, jobName: 'big-train', command: ['run-job', jobId] });
 * const state = await launcher.describe(launchId); // { status: 'running' } … { status: 'succeeded' }
 * ```
 */
export class LocalJobLauncher implements JobLauncher {
  private readonly command: readonly string[];
  private readonly logDir: string;
  private readonly cwd: string;
  private readonly env: NodeJS.ProcessEnv | undefined;

  public constructor(options: LocalJobLauncherOptions) {
    if (options.command.length === 0) throw new UsageError('LocalJobLauncher needs a command to run');
    this.command = options.command;
    this.logDir = path.resolve(options.logDir);
    this.cwd = options.cwd ?? process.cwd();
    this.env = options.env;
  }

  public async submit(request: LaunchRequest): Promise<{ launchId: string }> {
    const safeName = request.jobName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'job';
    const launchId = `${safeName}-${randomBytes(4).toString('hex')}`;
    const argv = [...this.command, ...request.command];
    const logFile = this.logPath(launchId);
    await fs.mkdir(this.logDir, { recursive: true });
    const logFd = openSync(logFile, 'a');
    let pid: number | undefined;
    try {
      const spec = JSON.stringify({ argv, exitFile: this.file(launchId, '.exit.json') });
      const supervisor = spawn(process.execPath, ['-e', SUPERVISOR, spec], {
        cwd: this.cwd,
        env: { ...this.env, ...request.environment },
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      pid = supervisor.pid;
      supervisor.unref();
    } finally {
      closeSync(logFd);
    }
    if (pid === undefined)
      throw new InfrastructureError(`could not start job "${request.jobName}" (${argv[0]})`);
    const record: LaunchRecord = {
      launchId,
      jobId: request.jobId,
      jobName: request.jobName,
      argv,
      pid,
      logFile,
      startedAt: new Date().toISOString(),
    };
    await fs.writeFile(this.file(launchId, '.json'), `${JSON.stringify(record, null, 2)}\n`);
    return { launchId };
  }

  public async describe(launchId: string): Promise<LaunchStatus> {
    const record = await this.readJson<LaunchRecord>(launchId, '.json');
    if (record === undefined) throw new NotFoundError(`no local launch "${launchId}" in ${this.logDir}`);
    const exit = await this.readJson<ExitRecord>(launchId, '.exit.json');
    if (exit !== undefined) {
      if (exit.exitCode === 0) return { status: 'succeeded' };
      const how = exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
      return { status: 'failed', reason: `${how}; see ${record.logFile}` };
    }
    if (isProcessAlive(record.pid)) return { status: 'running' };
    // The supervisor may have written the exit record between our two looks.
    if ((await this.readJson<ExitRecord>(launchId, '.exit.json')) !== undefined)
      return this.describe(launchId);
    return {
      status: 'failed',
      reason: `process ${record.pid} vanished without recording an exit (killed?); see ${record.logFile}`,
    };
  }

  /** The launch record written by {@link submit}. */
  public async record(launchId: string): Promise<LaunchRecord | undefined> {
    return this.readJson<LaunchRecord>(launchId, '.json');
  }

  /** Where the job's stdout and stderr go. */
  public logPath(launchId: string): string {
    return this.file(launchId, '.log');
  }

  private file(launchId: string, suffix: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(launchId)) throw new UsageError(`"${launchId}" is not a local launch id`);
    return path.join(this.logDir, `${launchId}${suffix}`);
  }

  private async readJson<T>(launchId: string, suffix: string): Promise<T | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.file(launchId, suffix), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new InfrastructureError(`cannot read the state of launch "${launchId}"`, { cause: error });
    }
  }
}
