import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plan } from '../../../cli/commands/plan.js';
import type { Io } from '../../../cli/output.js';
import type { Session } from '../../../cli/session.js';
import { readyRecord } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import type { LambdaCalibrationRecord } from '../../../lib/planner/index.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { blobsDataset } from '../../support/engine-fixtures.js';

/** `plan` on an AWS home: the Lambda sizes the work Lambdas measured are priced at their rates. */
describe('Command: plan (AWS home) > measured Lambda rates', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'shardtrain-plan-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = async (store: SimObjectStore) => {
    const { manifest } = await blobsDataset(store);
    // The upload record that makes this version the dataset's newest ready one.
    const base = { v: 1 as const, uploadId: 'u1', dataset: 'blobs', key: keys.upload('blobs', 'b.csv') };
    await store.put(
      keys.uploadStatus('blobs', 'u1'),
      JSON.stringify(readyRecord(base, manifest, new Date('2026-11-01T00:00:00Z'))),
    );
    // Only what `plan` reads of a session: the home's store, the root (host calibration cache), the cloud.
    const session = { home: { store }, root, cloudKind: 'aws' } as unknown as Session;
    const lines: string[] = [];
    const io: Io = { out: (l) => lines.push(l), err: () => {}, isTty: false };
    const out = await plan(
      session,
      {
        dataset: 'blobs',
        model: 'logistic',
        classes: 2,
        fastest: false,
        maxWorkers: 8,
        calibrate: false,
        json: false,
      },
      io,
    );
    return { out, lines };
  };

  it('says which sizes are measured (rate, date) and which are published', async () => {
    // Prepare: one record at 2048 MB: 3e6 multiply-adds in 0.1 s = 3e7 a second
    const store = new SimObjectStore();
    const record: LambdaCalibrationRecord = {
      v: 1,
      kernel: 'linear',
      memoryMb: 2048,
      kernelName: 'wasm-simd',
      rows: 1e6,
      rowWork: 3,
      seconds: 0.1,
      workPerSecond: 3e7,
      measuredAt: '2026-11-30T08:00:00.000Z',
      jobId: 'j1',
    };
    await store.put(keys.calibration.lambda(2048, 'linear', 'j1'), JSON.stringify(record));

    // Act
    const { out, lines } = await run(store);

    // Assess
    expect(out.calibration.lambdaRateSource['2048']).toBe('measured at 2048 MB on 2026-11-30 (median of 1)');
    expect(out.calibration.lambdaRowFeaturesPerSecond['2048']).toBe(3e7);
    expect(out.calibration.lambdaRateSource['1769']).toBe('published');
    expect(
      lines.some((l) => l.includes('lambda 2048 MB') && l.includes('measured at 2048 MB on 2026-11-30')),
    ).toBe(true);
    expect(out.candidates.some((c) => c.label.endsWith('@ 2048 MB'))).toBe(true);
  });

  it('falls back to the published figures without records', async () => {
    // Act
    const { out } = await run(new SimObjectStore());

    // Assess
    expect(Object.values(out.calibration.lambdaRateSource).every((s) => s === 'published')).toBe(true);
    expect(out.calibration.lambdaRateSource['2048']).toBeUndefined();
    expect(out.candidates.some((c) => c.label.endsWith('@ 2048 MB'))).toBe(false);
  });
});
