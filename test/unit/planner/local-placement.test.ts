import { describe, expect, it } from 'vitest';
import {
  chooseLocalPlacement,
  type LocalFigures,
  type LocalMachine,
  type Workload,
} from '../../../lib/planner/index.js';

/** This machine: 1e9 rows·features/s in one process, 16 GB, the local cloud on 2 threads. */
const machine: LocalMachine = {
  rowFeaturesPerSecond: 1e9,
  kernel: 'wasm-simd',
  memoryMb: 16_384,
  workerThreads: 2,
};
/** Every fixed cost written out, so the arithmetic below can be redone by hand. */
const figures: LocalFigures = {
  processStartSeconds: 1,
  cloudStartSeconds: 1,
  roundOverheadSeconds: 0.01,
  loadBytesPerSecond: 1e8,
  memoryFactor: 2,
  runtimeBaselineMb: 256,
};
const gd = (rows: number, features: number, datasetBytes: number, rounds: number): Workload => ({
  rows,
  features,
  classes: 1,
  datasetBytes,
  rounds,
  algorithm: 'batch',
});

describe('Function: chooseLocalPlacement', () => {
  it('keeps a small job in this process', () => {
    // Prepare: the seed example's size: 100 rows × 1 feature, one round (normal equations).
    const small = gd(100, 1, 1000, 1);

    // Act
    const { summary, candidates } = chooseLocalPlacement(small, 1, machine, {}, figures);

    // Assess: in-process = 1000 B / 1e8 B/s + 1 × 100 / 1e9 = 1e-5 + 1e-7 = 1.01e-5 s;
    // batch = 1 s process start + 1.01e-5; local cloud ×1 = 1 + 1e-5 + (0.01 + ⌈1/2⌉·100 / (1e9/2)).
    expect(summary).toEqual({
      placement: 'inprocess',
      label: 'in-process',
      reason:
        "in-process is the fastest of 3 feasible local placements (this machine's time costs $0): 0.0 s, $0.",
      seconds: expect.closeTo(1.01e-5, 12),
      dollars: 0,
      rounds: 1,
      workers: 1,
    });
    const byPlacement = Object.fromEntries(candidates.map((c) => [c.placement, c]));
    expect(byPlacement.batch!.seconds).toBeCloseTo(1 + 1.01e-5, 12);
    expect(byPlacement.lambda!.seconds).toBeCloseTo(1 + 1e-5 + 0.01 + 2e-7, 12);
    expect(byPlacement.lambda!.label).toBe('local cloud ×1');
    expect(candidates.every((c) => c.dollars === 0 && c.rejection === null)).toBe(true);
  });

  it('keeps a medium job here too: the local cloud shares the same cores, Batch adds a start', () => {
    // Prepare: 1M rows × 100 features, 200 rounds of full-batch GD, 4 workers, 100 MB of shards.
    const medium = gd(1_000_000, 100, 1e8, 200);

    // Act
    const { summary, candidates } = chooseLocalPlacement(medium, 4, machine, {}, figures);

    // Assess: a round is 1e6·100 = 1e8 at 1e9/s = 0.1 s; load 1e8/1e8 = 1 s → in-process 21 s,
    // batch 22 s; local cloud: each worker 2.5e7 at 1e9/2 per thread = 0.05 s, two waves on two
    // threads = 0.1 s, + 0.01 coordination → 1 + 1 + 200 × 0.11 = 24 s.
    expect(summary.placement).toBe('inprocess');
    expect(summary.seconds).toBeCloseTo(21, 9);
    const seconds = Object.fromEntries(candidates.map((c) => [c.placement, c.seconds]));
    expect(seconds.batch).toBeCloseTo(22, 9);
    expect(seconds.lambda).toBeCloseTo(24, 9);
    expect(candidates.find((c) => c.placement === 'lambda')!.workers).toBe(4);
  });

  it('sends a job longer than the in-process limit to the local Batch job', () => {
    // Prepare: 10M rows × 100 features, 1000 rounds, 4 workers, 1 GB of shards.
    const large = gd(10_000_000, 100, 1e9, 1000);

    // Act
    const { summary, candidates } = chooseLocalPlacement(large, 4, machine, {}, figures);

    // Assess: a round is 1e9 at 1e9/s = 1 s; load 10 s → in-process 1010 s = 16.8 min > 600 s
    // (rejected: no checkpoint); batch 1 + 1010 = 1011 s; local cloud 1 + 10 + 1000 × (0.01 +
    // 2 × 2.5e8 / 5e8) = 1021 s. Memory: 1e7 × 101 × 4 B = 3852.8 MB × 2 + 256 = 7962 MB < 16 GB.
    const inProcess = candidates.find((c) => c.placement === 'inprocess')!;
    expect(inProcess.seconds).toBeCloseTo(1010, 9);
    expect(inProcess.rejection).toBe(
      'the run takes 16.8 min, over the 10.0 min an in-process run (no checkpoint) may take',
    );
    expect(candidates.find((c) => c.placement === 'lambda')!.seconds).toBeCloseTo(1021, 9);
    expect(summary).toMatchObject({ placement: 'batch', label: 'batch (local child process)', rounds: 1000 });
    expect(summary.seconds).toBeCloseTo(1011, 9);
    expect(summary.reason).toBe(
      "batch (local child process) is the fastest of 2 feasible local placements (this machine's time costs $0); " +
        'in-process: the run takes 16.8 min, over the 10.0 min an in-process run (no checkpoint) may take: 16.9 min, $0.',
    );
  });

  it('keeps the large job in-process when the limit allows it', () => {
    const large = gd(10_000_000, 100, 1e9, 1000);
    const { summary } = chooseLocalPlacement(large, 4, machine, { inProcessMaxSeconds: 3600 }, figures);
    expect(summary.placement).toBe('inprocess'); // 1010 s ≤ 3600 s
  });

  it('says so when nothing here can hold the data, and runs it in-process', () => {
    // 10M × 101 × 4 B needs 7962 MB (above) on a 4 GB machine.
    const large = gd(10_000_000, 100, 1e9, 1000);
    const { summary, candidates } = chooseLocalPlacement(
      large,
      4,
      { ...machine, memoryMb: 4096 },
      {},
      figures,
    );
    expect(
      candidates.every((c) => c.rejection === "the dataset needs 7962 MB, more than this machine's 4096 MB"),
    ).toBe(true);
    expect(summary.placement).toBe('inprocess');
    expect(summary.reason).toMatch(/nothing here can hold it/);
  });
});
