import { describe, expect, it } from 'vitest';
import { loadRows, preprocessCsv } from '../../../lib/data/index.js';
import { isHoldoutRow } from '../../../lib/engine/datasets/holdout.js';
import { keys } from '../../../lib/engine/keys.js';
import { HOLDOUT_SEED, makeJobPlan } from '../../../lib/engine/training/job-plan.js';
import { loadPartition } from '../../../lib/engine/training/partition-data.js';
import { ALPHA_SELECTION_MIN_ROWS, planJob } from '../../../lib/engine/training/plan-job.js';
import { seedExample } from '../../../lib/examples/generators.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { blobsDataset, blobsSpec, seedDataset, seedSpec } from '../../support/engine-fixtures.js';

describe('Function: loadPartition', () => {
  it('standardises a regression target with the plan’s mean and std, rows in order', async () => {
    // Prepare: 100 rows in 4 partitions; partition 2 is rows 50..74
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-part', data.manifest.version);
    const plan = makeJobPlan(spec, data.manifest, data.manifestKey);
    const { mean, std } = plan.target as { mean: number; std: number };

    // Act
    const batch = await loadPartition(store, data.manifest, spec, plan, 2);

    // Assess: y is float32 of (y − mean)/std for the CSV's rows 50..74
    const ys = seedExample()
      .rows.slice(50, 75)
      .map((r) => Number(r[1]));
    expect(batch.rows).toBe(25);
    expect(batch.d).toBe(1);
    for (let i = 0; i < 25; i++) expect(batch.y[i]).toBeCloseTo((ys[i]! - mean) / std, 4);
  });

  it('maps class labels to their indices', async () => {
    const store = new SimObjectStore();
    const data = await blobsDataset(store);
    const spec = blobsSpec('job-part', data.manifest.version);
    const plan = makeJobPlan(spec, data.manifest, data.manifestKey);
    const batch = await loadPartition(store, data.manifest, spec, plan, 0);
    expect(batch.d).toBe(3);
    expect(new Set(batch.y)).toEqual(new Set([0, 1]));
  });

  it('leaves out the holdout rows: as many rows as the plan counts', async () => {
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-part', data.manifest.version, {}, { holdoutFraction: 0.5 });
    const plan = makeJobPlan(spec, data.manifest, data.manifestKey);
    for (let p = 0; p < 4; p++) {
      const batch = await loadPartition(store, data.manifest, spec, plan, p);
      expect(batch.rows).toBe(plan.partitions[p]!.rows);
      expect(batch.rows).toBeLessThan(25);
    }
  });

  it('reads the rows from a given source when there is one', async () => {
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-part', data.manifest.version);
    const plan = makeJobPlan(spec, data.manifest, data.manifestKey);
    const asked: number[][] = [];
    const batch = await loadPartition(store, data.manifest, spec, plan, 1, (s, e) => {
      asked.push([s, e]);
      return loadRows(store, data.manifest, s, e);
    });
    expect(asked).toEqual([[25, 50]]);
    expect(batch).toEqual(await loadPartition(store, data.manifest, spec, plan, 1));
  });

  it('maps numeric class values (not 0..K−1) to their positions in the plan’s class list', async () => {
    // Prepare: a softmax target whose classes are the numbers 3, 5 and 9, one partition of 6 rows.
    const store = new SimObjectStore();
    const labels = [5, 9, 3, 5, 9, 3];
    const csv = `x,label\n${labels.map((c, i) => `${i + 1},${c}`).join('\n')}\n`;
    const manifest = await preprocessCsv({
      source: (async function* () {
        yield Buffer.from(csv);
      })(),
      file: 'classes.csv',
      dataset: 'classes',
      store,
    });
    const spec = seedSpec(
      'job-classes',
      manifest.version,
      {},
      {
        dataset: { name: 'classes', version: manifest.version },
        target: 'label',
        model: 'softmax',
        workers: 1,
      },
    );
    const plan = makeJobPlan(spec, manifest, keys.manifest('classes', manifest.version));
    const { classValues } = plan.target as { classValues: number[] };
    expect([...classValues].sort((a, b) => a - b)).toEqual([3, 5, 9]);

    // Act
    const batch = await loadPartition(store, manifest, spec, plan, 0);

    // Assess: each label becomes its index in the class list (never the stored number itself).
    expect(Array.from(batch.y)).toEqual(labels.map((c) => classValues.indexOf(c)));
    expect(Math.max(...batch.y)).toBe(2);
  });

  it('keeps exactly the rows the holdout mask leaves, with the target and feature standardised', async () => {
    // Prepare: partition 2 of the seed example (rows 50..74), half of the rows held out.
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-part', data.manifest.version, {}, { holdoutFraction: 0.5 });
    const plan = makeJobPlan(spec, data.manifest, data.manifestKey);
    const { mean, std } = plan.target as { mean: number; std: number };
    const [xMean, xStd] = [plan.transform.means[0]!, plan.transform.stds[0]!];

    // Act
    const batch = await loadPartition(store, data.manifest, spec, plan, 2);

    // Assess: the mask is asked of the dataset row (50 + r), not the row's place in the partition.
    const kept = seedExample()
      .rows.map((row, r) => ({ row, r }))
      .filter(({ r }) => r >= 50 && r < 75 && !isHoldoutRow(r, 0.5, HOLDOUT_SEED));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(25);
    expect(batch.rows).toBe(kept.length);
    kept.forEach(({ row }, i) => {
      expect(batch.y[i]).toBeCloseTo((Math.fround(Number(row[1])) - mean) / std, 5);
      expect(batch.x[i]).toBeCloseTo((Math.fround(Number(row[0])) - xMean) / xStd, 5);
    });
  });

  it('refuses a partition the plan does not have', async () => {
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-part', data.manifest.version);
    const plan = makeJobPlan(spec, data.manifest, data.manifestKey);
    await expect(loadPartition(store, data.manifest, spec, plan, 4)).rejects.toThrow(
      new RangeError('job job-part has no partition 4'),
    );
  });
});

describe('Function: planJob, when an alpha is chosen', () => {
  /** y = 2x on `rows` rows, for an mlp regression. */
  async function line(rows: number) {
    const store = new SimObjectStore();
    const csv = `x,y\n${Array.from({ length: rows }, (_, i) => `${i / rows},${(2 * i) / rows}`).join('\n')}\n`;
    const manifest = await preprocessCsv({
      source: (async function* () {
        yield Buffer.from(csv);
      })(),
      file: 'line.csv',
      dataset: 'line',
      store,
    });
    const spec = seedSpec(
      'job-alpha',
      manifest.version,
      { hidden: [2], epochs: 2 },
      { model: 'mlp', workers: 2 },
    );
    return { store, manifest, spec, manifestKey: keys.manifest('line', manifest.version) };
  }

  it(`on ${ALPHA_SELECTION_MIN_ROWS} training rows and more, not on fewer`, async () => {
    expect(ALPHA_SELECTION_MIN_ROWS).toBe(100);
    const enough = await line(100);
    const plan = await planJob(enough.store, enough.spec, enough.manifest, enough.manifestKey);
    expect(plan.alphaSelection?.reason).toBeDefined();
    expect(plan.config.spec.l2).toBe(plan.alphaSelection!.alpha / 100);
    const few = await line(99);
    expect(await planJob(few.store, few.spec, few.manifest, few.manifestKey)).not.toHaveProperty(
      'alphaSelection',
    );
  });

  it('not for a linear model, and not above 5 000 training rows', async () => {
    const linear = await line(100);
    const spec = { ...linear.spec, model: 'linear' as const, options: { epochs: 2 } };
    expect(await planJob(linear.store, spec, linear.manifest, linear.manifestKey)).not.toHaveProperty(
      'alphaSelection',
    );
    const many = await line(5001);
    expect(await planJob(many.store, many.spec, many.manifest, many.manifestKey)).not.toHaveProperty(
      'alphaSelection',
    );
  });

  it('groups rounds when asked for a queued plan', async () => {
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-q', data.manifest.version, { solver: 'gd', algorithm: 'sgd' });
    expect(await planJob(store, spec, data.manifest, data.manifestKey, { queued: true })).toHaveProperty(
      'grouping',
    );
    expect(await planJob(store, spec, data.manifest, data.manifestKey)).not.toHaveProperty('grouping');
  });
});
