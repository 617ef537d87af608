import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/engine/keys.js';
import {
  type EngineDeps,
  handleResult,
  handleWork,
  startJob,
} from '../../../lib/engine/training/coordinator.js';
import type { JobPlan } from '../../../lib/engine/training/job-plan.js';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import { JobCache, latestState, loadJobContext } from '../../../lib/engine/training/job-store.js';
import {
  CALIBRATION_ROUND,
  type LambdaCalibrationHost,
  lambdaMemoryFromEnv,
  readLambdaMeasuredRates,
  timedCompute,
} from '../../../lib/engine/training/lambda-calibration.js';
import { type ShardResult, TypedArrayKernel } from '../../../lib/optim/index.js';
import type { LambdaCalibrationRecord } from '../../../lib/planner/index.js';
import type { ObjectInfo, StoredObject } from '../../../lib/ports.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { bitDifferences, blobsDataset, blobsSpec, recordingOutbox } from '../../support/engine-fixtures.js';
import { readJson } from '../../support/stored-json.js';

/** Runs a job to the end with a synchronous "queue"; `host` is the worker's Lambda calibration host. */
async function pumped(spec: JobSpec, host?: LambdaCalibrationHost, store = new SimObjectStore()) {
  const data = await blobsDataset(store);
  const outbox = recordingOutbox();
  const deps: EngineDeps = {
    store,
    outbox,
    kernel: new TypedArrayKernel(),
    backend: 'simulated',
    cache: new JobCache(),
    ...(host !== undefined ? { lambdaCalibration: host } : {}),
  };
  await startJob(deps, spec, data.manifest, data.manifestKey);
  let workHandled = 0;
  for (;;) {
    const work = outbox.work.splice(0);
    const results = outbox.results.splice(0);
    if (work.length === 0 && results.length === 0) break;
    for (const m of work) {
      await handleWork(deps, m);
      workHandled++;
    }
    for (const m of results) await handleResult(deps, m);
  }
  return { store, workHandled };
}

/** Counts the put-if-absent calls under `calibration/`. */
class CountingStore extends SimObjectStore {
  public calibrationPuts = 0;
  public override putIfAbsent(key: string, body: string | Uint8Array): Promise<boolean> {
    if (key.startsWith(keys.calibration.prefix)) this.calibrationPuts++;
    return super.putIfAbsent(key, body);
  }
}

/** A milliseconds clock that advances 250 ms at every reading. */
function steppingClock(): () => number {
  let t = 1000;
  return () => {
    t += 250;
    return t;
  };
}

describe('Lambda calibration from the work Lambdas', () => {
  it('writes exactly one record per job, with rate = rows × features / seconds of the fake clock', async () => {
    // Prepare: logistic on 3 features (rowWork 3), 4 workers, 20 epochs of full-batch GD
    const spec = blobsSpec('cal-1', 'v1');
    const stepping = steppingClock();
    const host = {
      memoryMb: 1769,
      clockReads: 0,
      clock: () => {
        host.clockReads++;
        return stepping();
      },
      now: () => new Date('2026-12-01T10:00:00Z'),
    };

    const store = new CountingStore();

    // Act
    const { workHandled } = await pumped(spec, host, store);

    // Assess: many rounds of work, one record, under the 1769 MB linear key
    expect(workHandled).toBeGreaterThan(8);
    const listed = await store.list(keys.calibration.prefix);
    expect(listed.map((i) => i.key)).toEqual(['calibration/lambda/1769/linear/cal-1.json']);
    expect(store.calibrationPuts).toBe(1); // one PUT per job, not one per round
    expect(host.clockReads).toBe(2); // only the calibrating task is timed
    const record = (await readJson<LambdaCalibrationRecord>(store, listed[0]!.key))!;
    const plan = (await readJson<JobPlan>(store, keys.job.plan('cal-1')))!;
    const shard0Rows = plan.partitions[0]!.rows;
    expect(shard0Rows).toBe(100); // 400 rows over 4 partitions
    // Full-batch GD: shard 0 reads its 100 rows once; the clock read twice around it: 0.25 s.
    expect(record).toMatchObject({
      v: 1,
      kernel: 'linear',
      memoryMb: 1769,
      rows: 100,
      rowWork: 3,
      seconds: 0.25,
      jobId: 'cal-1',
      measuredAt: '2026-12-01T10:00:00.000Z',
    });
    expect(record.workPerSecond).toBeCloseTo((100 * 3) / 0.25, 9); // 1200
  });

  it('writes nothing off Lambda (no memory size), and the record leaves training bit-identical', async () => {
    // Act
    const off = await pumped(blobsSpec('cal-2', 'v1'));
    const on = await pumped(blobsSpec('cal-2', 'v1'), { memoryMb: 3008, clock: steppingClock() });

    // Assess
    expect(await off.store.list(keys.calibration.prefix)).toEqual([]);
    expect((await on.store.list(keys.calibration.prefix)).map((i) => i.key)).toEqual([
      'calibration/lambda/3008/linear/cal-2.json',
    ]);
    const a = (await latestState(off.store, 'cal-2'))!;
    const b = (await latestState(on.store, 'cal-2'))!;
    expect(a.round).toBe(b.round);
    expect(bitDifferences(a.params, b.params)).toEqual([]);
  });

  it('reads back the median of the newest records per memory size and kernel', async () => {
    // Prepare: three jobs measured at 1769 MB (rates 100, 300, 200) and one at 3008 MB (500)
    const store = new SimObjectStore();
    const put = (memoryMb: number, jobId: string, workPerSecond: number, day: number) =>
      store.put(
        keys.calibration.lambda(memoryMb, 'linear', jobId),
        JSON.stringify({
          v: 1,
          kernel: 'linear',
          memoryMb,
          kernelName: 'typed-array',
          rows: 1,
          rowWork: 1,
          seconds: 1 / workPerSecond,
          workPerSecond,
          measuredAt: `2026-11-0${day}T00:00:00.000Z`,
          jobId,
        } satisfies LambdaCalibrationRecord),
      );
    await put(1769, 'a', 100, 1);
    await put(1769, 'b', 300, 2);
    await put(1769, 'c', 200, 3);
    await put(3008, 'd', 500, 4);
    await store.put(keys.calibration.lambda(1769, 'linear', 'junk'), 'not json');

    // Act
    const rates = await readLambdaMeasuredRates(store);

    // Assess: median(100, 300, 200) = 200, newest 2026-11-03
    expect(rates.sort((x, y) => x.memoryMb - y.memoryMb)).toEqual([
      {
        memoryMb: 1769,
        kernel: 'linear',
        workPerSecond: 200,
        count: 3,
        measuredAt: '2026-11-03T00:00:00.000Z',
      },
      {
        memoryMb: 3008,
        kernel: 'linear',
        workPerSecond: 500,
        count: 1,
        measuredAt: '2026-11-04T00:00:00.000Z',
      },
    ]);
  });

  it('reads the records at most 8 at a time, the later ones answering first, with the same rates', async () => {
    // Prepare: 4 records at each of 1024, 1769 and 3008 MB (12 reads, all within the window of 5)
    let inFlight = 0;
    let most = 0;
    let started = 0;
    /** Counts the reads in flight; each answers later than the ones started after it. */
    const store = new (class extends SimObjectStore {
      public override async get(key: string) {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 2 * (12 - started++)));
        inFlight--;
        return super.get(key);
      }
    })();
    const rates = { 1024: [10, 40, 20, 30], 1769: [100, 300, 200, 500], 3008: [7, 1, 5, 3] };
    for (const [mb, list] of Object.entries(rates)) {
      for (const [i, workPerSecond] of list.entries()) {
        const record: LambdaCalibrationRecord = {
          v: 1,
          kernel: 'linear',
          memoryMb: Number(mb),
          kernelName: 'typed-array',
          rows: 1,
          rowWork: 1,
          seconds: 1 / workPerSecond,
          workPerSecond,
          measuredAt: `2026-11-0${i + 1}T00:00:00.000Z`,
          jobId: `j${i}`,
        };
        await store.put(keys.calibration.lambda(Number(mb), 'linear', `j${i}`), JSON.stringify(record));
      }
    }

    // Act
    const measured = await readLambdaMeasuredRates(store);

    // Assess: medians of four, (20 + 30) / 2 = 25, (200 + 300) / 2 = 250, (3 + 5) / 2 = 4;
    // newest 2026-11-04; in the listing's order of sizes.
    expect(most).toBe(8);
    expect(measured).toEqual(
      [
        [1024, 25],
        [1769, 250],
        [3008, 4],
      ].map(([memoryMb, workPerSecond]) => ({
        memoryMb,
        kernel: 'linear',
        workPerSecond,
        count: 4,
        measuredAt: '2026-11-04T00:00:00.000Z',
      })),
    );
  });

  it('takes the memory size from AWS_LAMBDA_FUNCTION_MEMORY_SIZE, and none when absent or malformed', () => {
    expect(lambdaMemoryFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' })).toBe(1769);
    expect(lambdaMemoryFromEnv({})).toBeUndefined();
    expect(lambdaMemoryFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' })).toBeUndefined();
    // A size is a positive whole number of MB.
    for (const raw of ['0', '-128', '1.5', '', ' ']) {
      expect(lambdaMemoryFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: raw }), raw).toBeUndefined();
    }
    expect(lambdaMemoryFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' })).toBe(128);
  });
});

describe('Function: timedCompute', () => {
  /** A started logistic job on the blobs (3 features, one output: 3 multiply-adds a row). */
  async function started(store = new SimObjectStore()) {
    const data = await blobsDataset(store);
    const deps: EngineDeps = {
      store,
      outbox: recordingOutbox(),
      kernel: new TypedArrayKernel(),
      backend: 'test',
    };
    await startJob(deps, blobsSpec('cal-direct', data.manifest.version), data.manifest, data.manifestKey);
    return { store, ctx: await loadJobContext(store, 'cal-direct') };
  }

  /** A stand-in shard result: only `rows` is read. */
  const result = (rows: number) => ({ rows, marker: 'untouched' }) as unknown as ShardResult;

  const at = (over: Partial<{ round: number; shard: number; mode: string }> = {}) => ({
    round: CALIBRATION_ROUND,
    shard: 0,
    mode: 'gradient',
    ...over,
  });

  it('times shard 0 of round 1 for gradient and local-SGD tasks only, and returns the result as it is', async () => {
    for (const mode of ['gradient', 'local-sgd', 'stats', 'trials']) {
      const { store, ctx } = await started();
      let reads = 0;
      const host = {
        memoryMb: 2048,
        clock: () => 1000 + 250 * reads++,
        now: () => new Date('2026-12-02T00:00:00Z'),
      };
      const out = result(40);
      expect(await timedCompute(store, ctx, at({ mode }), host, 'typed-array', () => out)).toBe(out);
      const listed = (await store.list(keys.calibration.prefix)).map((i) => i.key);
      if (mode === 'gradient' || mode === 'local-sgd') {
        // 40 rows × 3 multiply-adds in 0.25 s of the clock (read at 1000 and 1250): 480 a second.
        expect(listed, mode).toEqual(['calibration/lambda/2048/linear/cal-direct.json']);
        expect(await readJson(store, listed[0]!)).toEqual({
          v: 1,
          kernel: 'linear',
          memoryMb: 2048,
          kernelName: 'typed-array',
          rows: 40,
          rowWork: 3,
          seconds: 0.25,
          workPerSecond: 480,
          measuredAt: '2026-12-02T00:00:00.000Z',
          jobId: 'cal-direct',
        });
      } else {
        expect(listed, mode).toEqual([]);
        expect(reads, mode).toBe(0);
      }
    }
  });

  it('writes nothing for another shard or round, for a task that used no rows, or when no time passed', async () => {
    const cases: [Partial<{ round: number; shard: number }>, number, () => number][] = [
      [{ shard: 1 }, 40, steppingClock()],
      [{ round: CALIBRATION_ROUND + 1 }, 40, steppingClock()],
      [{ round: 0 }, 40, steppingClock()],
      [{}, 0, steppingClock()], // the partition ran out this epoch
      [{}, 40, () => 5000], // a clock that did not move: no rate
    ];
    for (const [where, rows, clock] of cases) {
      const { store, ctx } = await started();
      await timedCompute(store, ctx, at(where), { memoryMb: 2048, clock }, 'typed-array', () => result(rows));
      expect(await store.list(keys.calibration.prefix), JSON.stringify([where, rows])).toEqual([]);
    }
  });

  it('times with performance.now when the host brings no clock', async () => {
    const { store, ctx } = await started();
    const busy = () => {
      // Spin until the default clock has moved at least 2 ms, so the measured time is above 0.
      const start = performance.now();
      while (performance.now() - start < 2);
      return result(40);
    };
    await timedCompute(store, ctx, at(), { memoryMb: 2048 }, 'typed-array', busy);
    const listed = await store.list(keys.calibration.prefix);
    expect(listed).toHaveLength(1);
    const record = (await readJson<LambdaCalibrationRecord>(store, listed[0]!.key))!;
    expect(record.seconds).toBeGreaterThanOrEqual(0.002);
    expect(record.workPerSecond).toBeCloseTo((40 * 3) / record.seconds, 6);
  });
});

describe('Function: readLambdaMeasuredRates (which records are read)', () => {
  const record = (memoryMb: number, jobId: string, workPerSecond: number, measuredAt: string) =>
    JSON.stringify({
      v: 1,
      kernel: 'linear',
      memoryMb,
      kernelName: 'typed-array',
      rows: 1,
      rowWork: 1,
      seconds: 1 / workPerSecond,
      workPerSecond,
      measuredAt,
      jobId,
    } satisfies LambdaCalibrationRecord);

  it('reads only the `window` most recently stored records of each memory size and kernel', async () => {
    // Prepare: at 1769 MB, jobs b, c, a stored at t = 1, 2, 3 (listed a, b, c by key); b's own
    // measuredAt is the latest. At 3008 MB, d stored last (t = 4).
    let t = 0;
    const store = new SimObjectStore(() => t);
    t = 1;
    await store.put(
      keys.calibration.lambda(1769, 'linear', 'b'),
      record(1769, 'b', 300, '2026-11-09T00:00:00.000Z'),
    );
    t = 2;
    await store.put(
      keys.calibration.lambda(1769, 'linear', 'c'),
      record(1769, 'c', 200, '2026-11-02T00:00:00.000Z'),
    );
    t = 3;
    await store.put(
      keys.calibration.lambda(1769, 'linear', 'a'),
      record(1769, 'a', 100, '2026-11-03T00:00:00.000Z'),
    );
    t = 4;
    await store.put(
      keys.calibration.lambda(3008, 'linear', 'd'),
      record(3008, 'd', 500, '2026-11-04T00:00:00.000Z'),
    );

    // Act
    const rates = await readLambdaMeasuredRates(store, 2);

    // Assess: at 1769 MB the two stored last are a and c (b is older in the store, whatever its
    // measuredAt says): median(100, 200) = 150, newest measuredAt a's. Reading b instead would
    // give 200 (a, b) or 250 (b, c); one group for all sizes would leave 1769 MB with a alone.
    expect(rates.sort((x, y) => x.memoryMb - y.memoryMb)).toEqual([
      {
        memoryMb: 1769,
        kernel: 'linear',
        workPerSecond: 150,
        count: 2,
        measuredAt: '2026-11-03T00:00:00.000Z',
      },
      {
        memoryMb: 3008,
        kernel: 'linear',
        workPerSecond: 500,
        count: 1,
        measuredAt: '2026-11-04T00:00:00.000Z',
      },
    ]);
  });

  it('skips a record deleted between the list and the read, and ends on a storage error', async () => {
    /** Lists one key more than it holds, and fails reads of `broken`. */
    class FlakyStore extends SimObjectStore {
      public broken: string | undefined;
      public override async list(prefix: string): Promise<ObjectInfo[]> {
        const gone = keys.calibration.lambda(1769, 'linear', 'gone');
        return [
          ...(await super.list(prefix)),
          { key: gone, size: 10, etag: 'gone', lastModified: new Date(0) },
        ];
      }
      public override async get(key: string): Promise<StoredObject | undefined> {
        if (key === this.broken) throw new Error('503 Slow Down');
        return super.get(key);
      }
    }
    const store = new FlakyStore();
    await store.put(
      keys.calibration.lambda(1769, 'linear', 'a'),
      record(1769, 'a', 100, '2026-11-03T00:00:00.000Z'),
    );
    expect(await readLambdaMeasuredRates(store)).toEqual([
      {
        memoryMb: 1769,
        kernel: 'linear',
        workPerSecond: 100,
        count: 1,
        measuredAt: '2026-11-03T00:00:00.000Z',
      },
    ]);
    store.broken = keys.calibration.lambda(1769, 'linear', 'a');
    await expect(readLambdaMeasuredRates(store)).rejects.toThrow('503 Slow Down');
  });
});
