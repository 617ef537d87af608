import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalJobLauncher } from '../../../../lib/adapters/local/local-job-launcher.js';
import { NotFoundError } from '../../../../lib/errors.js';
import type { LaunchStatus } from '../../../../lib/ports.js';

async function settle(launcher: LocalJobLauncher, launchId: string): Promise<LaunchStatus> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = await launcher.describe(launchId);
    if (state.status !== 'running' || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Class: LocalJobLauncher', () => {
  let logDir: string;
  let launcher: LocalJobLauncher;

  beforeEach(async () => {
    logDir = await mkdtemp(path.join(tmpdir(), 'launcher-'));
    // The request's command is appended: `node -e <script> <args…>`
    launcher = new LocalJobLauncher({ command: [process.execPath, '-e'], logDir });
  });

  afterEach(async () => {
    await rm(logDir, { recursive: true, force: true });
  });

  describe('Method: submit', () => {
    it('runs the command with the request appended, logs its output and reports success', async () => {
      // Act
      const { launchId } = await launcher.submit({
        jobId: 'j1',
        jobName: 'big train',
        command: ['console.log("args", process.argv.slice(1).join(","))', 'x', 'y'],
      });
      const first = await launcher.describe(launchId);
      const final = await settle(launcher, launchId);

      // Assess
      expect(launchId).toMatch(/^big-train-[0-9a-f]{8}$/);
      expect(['running', 'succeeded']).toContain(first.status);
      expect(final).toEqual({ status: 'succeeded' });
      expect(await readFile(launcher.logPath(launchId), 'utf8')).toBe('args x,y\n');
      expect(await launcher.record(launchId)).toMatchObject({ jobId: 'j1', jobName: 'big train' });
    });

    it('reports failure with the exit code', async () => {
      const { launchId } = await launcher.submit({
        jobId: 'j2',
        jobName: 'boom',
        command: ['process.exit(3)'],
      });
      const final = await settle(launcher, launchId);
      expect(final.status).toBe('failed');
      expect(final.status === 'failed' && final.reason).toMatch(/exited with code 3/);
    });

    it('reports a long job as running', async () => {
      const { launchId } = await launcher.submit({
        jobId: 'j3',
        jobName: 'slow',
        command: ['setTimeout(() => {}, 1500)'],
      });
      expect(await launcher.describe(launchId)).toEqual({ status: 'running' });
      expect(await settle(launcher, launchId)).toEqual({ status: 'succeeded' });
    });
  });

  describe('Method: describe', () => {
    it('reports failure when the job was killed without recording an exit', async () => {
      // Prepare
      const { launchId } = await launcher.submit({
        jobId: 'j4',
        jobName: 'victim',
        command: ['setTimeout(() => {}, 30000)'],
      });
      const record = await launcher.record(launchId);

      // Act: SIGKILL the whole detached process group (supervisor and job)
      process.kill(-record!.pid, 'SIGKILL');
      const final = await settle(launcher, launchId);

      // Assess
      expect(final.status).toBe('failed');
      expect(final.status === 'failed' && final.reason).toMatch(/vanished/);
    });

    it('fails with NotFoundError for an unknown launch', async () => {
      await expect(launcher.describe('nope-00000000')).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
