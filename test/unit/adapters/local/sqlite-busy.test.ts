import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBusy, retryWhileBusy } from '../../../../lib/adapters/local/sqlite-busy.js';
import { SqliteQueueBroker } from '../../../../lib/adapters/local/sqlite-queue-broker.js';
import { InfrastructureError } from '../../../../lib/errors.js';

/**
 * A thread that takes the database's write lock (BEGIN IMMEDIATE) and says so; once `go` is
 * flipped to 1 (by this thread, which may then be blocked waiting for the lock) it holds the lock
 * 20 ms more and commits.
 */
function lockHolder(file: string, go: Int32Array): Promise<Worker> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require('better-sqlite3');
    const db = new Database(workerData.file);
    db.exec('BEGIN IMMEDIATE');
    parentPort.postMessage('locked');
    while (Atomics.load(workerData.go, 0) === 0) Atomics.wait(workerData.go, 0, 0, 10);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    db.exec('COMMIT');
    db.close();
  `;
  const worker = new Worker(code, { eval: true, workerData: { file, go } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolve(worker));
  });
}

describe('Function: retryWhileBusy', () => {
  it('retries a busy failure until the work succeeds, and rethrows anything else at once', () => {
    // Prepare
    let calls = 0;
    const busyTwice = () => {
      calls++;
      if (calls <= 2) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return 'done';
    };
    const broken = () => {
      throw Object.assign(new Error('no such table'), { code: 'SQLITE_ERROR' });
    };

    // Act / Assess
    expect(retryWhileBusy(busyTwice, 1000)).toBe('done');
    expect(calls).toBe(3);
    expect(() => retryWhileBusy(broken, 1000)).toThrow('no such table');
    expect(isBusy(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' }))).toBe(true);
    expect(isBusy(new Error('x'))).toBe(false);
  });

  it('gives up with the busy error once the timeout has passed', () => {
    const alwaysBusy = () => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    };
    expect(() => retryWhileBusy(alwaysBusy, 5)).toThrow('database is locked');
  });
});

describe('Class: SqliteQueueBroker (a write lock held by another thread)', () => {
  let directory: string;
  let file: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'sqlite-busy-'));
    file = path.join(directory, 'queues.db');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('waits for the lock and then sends; fails with InfrastructureError when it waits too long', async () => {
    // Prepare
    const broker = new SqliteQueueBroker({ path: file, busyTimeoutMs: 10_000 });
    const impatient = new SqliteQueueBroker({ path: file, busyTimeoutMs: 5 });
    const queue = broker.createQueue({ name: 'work' });
    const sameQueue = impatient.getQueue('work');
    const go = new Int32Array(new SharedArrayBuffer(4));
    const holder = await lockHolder(file, go);

    // Act: the impatient broker gives up while the lock is held (it is let go only after `go`);
    // the patient one sends while the holder still has it for 20 ms
    const refused = await sameQueue.send('too soon').catch((e: unknown) => e);
    Atomics.store(go, 0, 1);
    await queue.send('after the lock');
    const [received] = await queue.receive();

    // Assess
    expect(refused).toBeInstanceOf(InfrastructureError);
    expect(received?.body).toBe('after the lock');
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    await holder.terminate();
    broker.close();
    impatient.close();
  });
});
