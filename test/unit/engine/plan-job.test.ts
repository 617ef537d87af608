import { describe, expect, it } from 'vitest';
import { preprocessCsv } from '../../../lib/data/index.js';
import { isHoldoutRow } from '../../../lib/engine/datasets/holdout.js';
import { keys } from '../../../lib/engine/keys.js';
import { HOLDOUT_SEED } from '../../../lib/engine/training/job-plan.js';
import { type JobSpec, jobSpecSchema } from '../../../lib/engine/training/job-spec.js';
import { planJob } from '../../../lib/engine/training/plan-job.js';
import { blobsProblem, toCsv } from '../../../lib/examples/generators.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

const HOLDOUT = 0.3;

/** 400 blob rows; `flipHoldout`: the label of every holdout (test) row swapped. */
async function blobs(flipHoldout: boolean) {
  const table = blobsProblem({
    rows: 400,
    centres: [
      [-1, 0, 1],
      [1, 0.5, -1],
    ],
    spread: 1.5,
    labels: ['neg', 'pos'],
  });
  const rows = table.rows.map((row, r) =>
    flipHoldout && isHoldoutRow(r, HOLDOUT, HOLDOUT_SEED)
      ? [...row.slice(0, -1), row.at(-1) === 'neg' ? 'pos' : 'neg']
      : row,
  );
  const store = new MemoryObjectStore();
  const manifest = await preprocessCsv({
    source: (async function* () {
      yield Buffer.from(toCsv({ ...table, rows }));
    })(),
    file: 'blobs.csv',
    dataset: 'blobs',
    store,
  });
  return { store, manifest, manifestKey: keys.manifest('blobs', manifest.version) };
}

function mlpSpec(version: string, options: JobSpec['options'] = {}): JobSpec {
  return jobSpecSchema.parse({
    v: 1,
    jobId: 'mlp-job',
    createdAt: '2024-01-01T00:00:00.000Z',
    modelName: 'blobs-mlp',
    dataset: { name: 'blobs', version },
    target: 'label',
    features: ['f1', 'f2', 'f3'],
    model: 'mlp',
    workers: 2,
    holdoutFraction: HOLDOUT,
    options: { hidden: [6], epochs: 30, ...options },
  });
}

describe('Function: planJob', () => {
  it("chooses an mlp's alpha on the training rows only: the holdout rows' labels do not move it", async () => {
    // Prepare: the same data twice, the second with every holdout label flipped
    const a = await blobs(false);
    const b = await blobs(true);
    const holdoutRows = Array.from({ length: 400 }, (_, r) => r).filter((r) =>
      isHoldoutRow(r, HOLDOUT, HOLDOUT_SEED),
    );
    expect(a.manifest.version).not.toBe(b.manifest.version); // the stored data differ

    // Act
    const pa = await planJob(a.store, mlpSpec(a.manifest.version), a.manifest, a.manifestKey);
    const pb = await planJob(b.store, mlpSpec(b.manifest.version), b.manifest, b.manifestKey);

    // Assess: a selection happened, on a fifth-or-so of the 400 − holdout training rows, with the
    // same scores both times (they would differ if flipped labels entered the fit or the scoring).
    const trainRows = 400 - holdoutRows.length;
    expect(pa.alphaSelection).toBeDefined();
    expect(pa.alphaSelection).toEqual(pb.alphaSelection);
    const [, validation, total] = /\((\d+) of (\d+);/.exec(pa.alphaSelection!.reason)!;
    expect(Number(total)).toBe(trainRows);
    expect(Number(validation)).toBeGreaterThan(0.1 * trainRows);
    expect(Number(validation)).toBeLessThan(0.3 * trainRows);
    expect(pa.config.spec.l2).toBe(pa.alphaSelection!.alpha / trainRows);
    expect(pa.config.solverReason).toContain(pa.alphaSelection!.reason);
  });

  it('keeps --l2 when given, and reads the stored plan of a job that has one', async () => {
    // Prepare
    const a = await blobs(false);
    const spec = mlpSpec(a.manifest.version, { l2: 0.5 });
    // Act
    const given = await planJob(a.store, spec, a.manifest, a.manifestKey);
    await a.store.put(keys.job.plan(spec.jobId), JSON.stringify({ ...given, jobId: spec.jobId, marker: 1 }));
    const again = await planJob(a.store, mlpSpec(a.manifest.version), a.manifest, a.manifestKey);
    // Assess
    expect(given.alphaSelection).toBeUndefined();
    expect(given.config.spec.l2).toBe(0.5);
    expect((again as unknown as { marker: number }).marker).toBe(1);
  });
});
