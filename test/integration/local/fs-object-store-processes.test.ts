import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/local/fs-object-store.js';

const fixture = fileURLToPath(new URL('./fixtures/cas-increment.mjs', import.meta.url));

function runIncrementer(root: string, key: string, times: number): Promise<{ conflicts: number }> {
  return new Promise((resolve, reject) => {
    let reply: { conflicts: number } | undefined;
    const child = fork(fixture, [root, key, String(times)], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    child.on('message', (message) => {
      reply = message as { conflicts: number };
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 && reply ? resolve(reply) : reject(new Error(`incrementer exited with ${code}`)),
    );
  });
}

describe('Class: FsObjectStore (several processes)', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fs-store-procs-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('Method: put with ifMatch', () => {
    it('loses no update when 4 processes each increment a counter 25 times', async () => {
      // Prepare
      const store = new FsObjectStore({ root });
      await store.put('counter', '0');

      // Act
      const replies = await Promise.all([1, 2, 3, 4].map(() => runIncrementer(root, 'counter', 25)));

      // Assess: 4 processes × 25 successful compare-and-sets = 100
      const final = await store.get('counter');
      expect(new TextDecoder().decode(final?.body)).toBe('100');
      expect(replies).toHaveLength(4);
      // No lock or temp file is left behind.
      expect((await store.list('')).map((info) => info.key)).toEqual(['counter']);
    });
  });
});
