import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { machineKey } from '../../../lib/app/host-calibration.js';
import { createRuntime, type Runtime } from '../../../lib/app/index.js';
import type { Workload } from '../../../lib/planner/index.js';

/**
 * Issue 13 item 4: the jobs a local runtime places by itself (pipelines, train on upload) are
 * priced at this machine's calibrated rates, cached per machine under the home — the figures
 * `train` and `plan` use — not at the cost model's nominal per-vCPU rate × cores.
 */
describe('Function: createRuntime (local) > the pipelines’ planner', () => {
  let home: string;
  let runtime: Runtime;
  const machine = machineKey();
  /** A cached calibration with a chosen rate (absurdly slow, so the arithmetic shows it). */
  const cache = (file: string, kernel: string, rate: number) => {
    mkdirSync(join(home, 'calibration'), { recursive: true });
    const doc = { v: 1, kernel, machine, rows: 1, features: 1, repetitions: 1, seconds: 1 };
    writeFileSync(
      join(home, 'calibration', file),
      JSON.stringify({ ...doc, rowFeaturesPerSecond: rate, measuredAt: '2026-01-01T00:00:00.000Z' }),
    );
  };
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'shardtrain-planner-'));
    runtime = await createRuntime({ cloud: 'local', home, backend: {} });
  });
  afterEach(() => {
    runtime.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('prices a linear job at the cached kernel rate', async () => {
    // Prepare: 10,000 rows·features a second (the real kernel does ~10⁸–10⁹).
    cache(`${machine}.json`, runtime.backend.kernel.name, 1e4);
    const w: Workload = {
      rows: 1000,
      features: 10,
      classes: 1,
      datasetBytes: 0,
      rounds: 5,
      algorithm: 'batch',
    };

    // Act
    const { summary } = await runtime.pipelines().planner!(w, 2);

    // Assess: in this process, 5 rounds × 1000 rows × 10 features / 10⁴ per second = 5 s (no
    // bytes to load); the nominal rate would have made it microseconds.
    expect(summary.placement).toBe('inprocess');
    expect(summary.seconds).toBeCloseTo(5, 12);
    // The cache was read, not measured again.
    const stored = JSON.parse(readFileSync(join(home, 'calibration', `${machine}.json`), 'utf8'));
    expect(stored.rowFeaturesPerSecond).toBe(1e4);
  });

  it('prices an mlp at the cached MLP kernel rate', async () => {
    cache(`${machine}.json`, runtime.backend.kernel.name, 1e9);
    cache(`${machine}.mlp.json`, 'mlp-float64', 1e3);
    // 1 feature → 8 hidden → 1 output: 3 × (1·8 + 8·1) = 48 multiply-adds a row.
    const w: Workload = {
      ...{ rows: 100, features: 1, classes: 1, datasetBytes: 0, rounds: 3, algorithm: 'batch' },
      kernel: 'mlp',
      rowWork: 48,
    };

    const { summary } = await runtime.pipelines().planner!(w, 1);

    // 3 rounds × 100 rows × 48 / 10³ per second = 14.4 s in this process.
    expect(summary.placement).toBe('inprocess');
    expect(summary.seconds).toBeCloseTo(14.4, 12);
  });
});
