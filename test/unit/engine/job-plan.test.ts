import { describe, expect, it } from 'vitest';
import { type DatasetManifest, preprocessCsv } from '../../../lib/data/index.js';
import { keys } from '../../../lib/engine/keys.js';
import { makeJobPlan, mlpHeadFor, trainConfigInput } from '../../../lib/engine/training/job-plan.js';
import type { JobPlacement, JobSpec, TrainOptions } from '../../../lib/engine/training/job-spec.js';
import { DatasetError, UsageError } from '../../../lib/errors.js';
import { seedExample } from '../../../lib/examples/generators.js';
import type { ModelSpec } from '../../../lib/optim/index.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { blobsDataset, blobsSpec, seedDataset, seedSpec } from '../../support/engine-fixtures.js';

async function manifestOf(csv: string, dataset = 'hand'): Promise<DatasetManifest> {
  return preprocessCsv({
    source: (async function* () {
      yield Buffer.from(csv);
    })(),
    file: `${dataset}.csv`,
    dataset,
    store: new SimObjectStore(),
  });
}

async function seed() {
  const data = await seedDataset(new SimObjectStore());
  return data.manifest;
}

const spec = (version: string, options: TrainOptions = {}, over: Partial<JobSpec> = {}) =>
  seedSpec('job-plan', version, options, over);

describe('Function: makeJobPlan, what it refuses', () => {
  it('--hidden on another model than mlp', async () => {
    const m = await seed();
    expect(() => makeJobPlan(spec(m.version, { hidden: [4] }), m, 'k')).toThrow(
      new UsageError("--hidden sets an mlp's layers; it does not apply to --model linear"),
    );
  });

  it('a feature that is no column, listing the columns', async () => {
    const m = await seed();
    const error = (() => {
      try {
        makeJobPlan(spec(m.version, {}, { features: ['z'] }), m, 'k');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain('no such column; available: x, y');
    expect((error as Error).message).toContain('z');
  });

  it('a categorical feature', async () => {
    const m = await manifestOf('c,x,y\na,1,2\nb,2,4\na,3,6\nb,4,8\n');
    expect(() => makeJobPlan(spec(m.version, {}, { features: ['c', 'x'] }), m, 'k')).toThrow(
      /^hand\.csv, column "c": categorical feature columns are not supported/,
    );
    expect(() => makeJobPlan(spec(m.version, {}, { features: ['c', 'x'] }), m, 'k')).toThrow(DatasetError);
  });

  it('a model name or a feature list the CLI would refuse (for pipelines and stored specs)', async () => {
    const m = await seed();
    expect(() => makeJobPlan(spec(m.version, {}, { modelName: '../evil' }), m, 'k')).toThrow(UsageError);
    expect(() => makeJobPlan(spec(m.version, {}, { features: ['x', 'x'] }), m, 'k')).toThrow(UsageError);
  });

  it('a split that leaves no training row', async () => {
    // the holdout hashes of rows 0 and 1 (seed HOLDOUT_SEED) both fall below 0.9
    const m = await manifestOf('x,y\n1,2\n2,4\n');
    const plan = (holdoutFraction: number) =>
      makeJobPlan(spec(m.version, {}, { workers: 1, holdoutFraction }), m, 'k');
    expect(() => plan(0.9)).toThrow(DatasetError);
    expect(() => plan(0.9)).toThrow(/^hand\.csv: no training rows left after the holdout split$/);
    expect(plan(0).partitions).toEqual([{ start: 0, end: 2, rows: 2 }]);
  });
});

describe('Function: makeJobPlan, the target', () => {
  it('a regression target is standardised with its mean and population std', async () => {
    const m = await seed();
    const ys = seedExample().rows.map((r) => Number(r[1]));
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const std = Math.sqrt(ys.reduce((a, y) => a + (y - mean) ** 2, 0) / ys.length);
    const plan = makeJobPlan(spec(m.version), m, 'k');
    expect(plan.target.kind).toBe('regression');
    const t = plan.target as { mean: number; std: number };
    expect(t.mean).toBeCloseTo(mean, 6);
    expect(t.std).toBeCloseTo(std, 6);
  });

  it('a constant target trains with scale 1', async () => {
    const m = await manifestOf('x,y\n1,5\n2,5\n3,5\n4,5\n');
    const plan = makeJobPlan(spec(m.version, {}, { workers: 2 }), m, 'k');
    expect(plan.target).toEqual({ kind: 'regression', mean: 5, std: 1 });
  });

  it('a class target keeps its labels; softmax gets the class count, logistic does not', async () => {
    const store = new SimObjectStore();
    const data = await blobsDataset(store);
    const logistic = makeJobPlan(blobsSpec('job-plan', data.manifest.version), data.manifest, 'k');
    expect(logistic.target).toMatchObject({ kind: 'classification', classLabels: ['neg', 'pos'] });
    expect(logistic.config.spec).not.toHaveProperty('numClasses');
    const softmax = makeJobPlan(
      { ...blobsSpec('job-plan', data.manifest.version), model: 'softmax' },
      data.manifest,
      'k',
    );
    expect(softmax.config.spec).toMatchObject({ kind: 'softmax', numClasses: 2, numFeatures: 3 });
  });
});

describe('Function: makeJobPlan, partitions and shape', () => {
  it('splits 100 rows over 3 workers as 33, 33, 34 contiguous rows', async () => {
    const m = await seed();
    const plan = makeJobPlan(spec(m.version, {}, { workers: 3 }), m, 'k');
    expect(plan.partitions).toEqual([
      { start: 0, end: 33, rows: 33 },
      { start: 33, end: 66, rows: 33 },
      { start: 66, end: 100, rows: 34 },
    ]);
  });

  it('counts only the rows not held out', async () => {
    const m = await seed();
    const plan = makeJobPlan(spec(m.version, {}, { workers: 4, holdoutFraction: 0.5 }), m, 'k');
    const rows = plan.partitions.map((p) => p.rows);
    // about half of each 25 are held out, never all, never none (a hash, not a coin per run)
    for (const r of rows) {
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(25);
    }
    expect(plan.partitions.map((p) => [p.start, p.end])).toEqual([
      [0, 25],
      [25, 50],
      [50, 75],
      [75, 100],
    ]);
  });

  it('a projection sets the model width to k; without one, to the feature count', async () => {
    const store = new SimObjectStore();
    const data = await blobsDataset(store);
    const s = blobsSpec('job-plan', data.manifest.version);
    expect(makeJobPlan(s, data.manifest, 'k').config.spec.numFeatures).toBe(3);
    expect(
      makeJobPlan({ ...s, reduction: { kind: 'pca', k: 2 } }, data.manifest, 'k').config.spec.numFeatures,
    ).toBe(2);
    const rp = makeJobPlan(
      { ...s, reduction: { kind: 'random-projection', k: 1, seed: 7 } },
      data.manifest,
      'k',
    );
    expect(rp.config.spec.numFeatures).toBe(1);
    expect(rp.transform.projection?.k).toBe(1);
  });

  it('--reduction pca fits principal components; random-projection a seeded Gaussian matrix', async () => {
    // b = 2a exactly: the correlation matrix of the standardised pair is [[1, 1], [1, 1]],
    // eigenvalues 2 and 0; the first component is (1, 1)/√2 (up to its sign), all the variance.
    const m = await manifestOf(`a,b,y\n1,2,5\n2,4,3\n3,6,8\n4,8,1\n`);
    const s = spec(m.version, {}, { features: ['a', 'b'], reduction: { kind: 'pca', k: 1 } });
    const pca = makeJobPlan(s, m, 'k').transform.projection!;
    expect(pca.kind).toBe('pca');
    expect(pca).not.toHaveProperty('seed');
    const [[p0], [p1]] = pca.matrix as [[number], [number]];
    expect(Math.abs(p0)).toBeCloseTo(Math.SQRT1_2, 9);
    expect(p1).toBeCloseTo(p0, 9);
    expect(pca.explainedVariance![0]).toBeCloseTo(2, 9);
    expect(pca.explainedVarianceRatio![0]).toBeCloseTo(1, 9);

    const rp = (seed: number) =>
      makeJobPlan({ ...s, reduction: { kind: 'random-projection', k: 1, seed } }, m, 'k').transform
        .projection!;
    expect(rp(7)).toMatchObject({ kind: 'random', k: 1, seed: 7 });
    expect(rp(7).matrix).toEqual(rp(7).matrix);
    expect(rp(8).matrix).not.toEqual(rp(7).matrix);
  });

  it('records the job id, the manifest key and the placement', async () => {
    const m = await seed();
    const placement: JobPlacement = {
      requested: 'auto',
      placement: 'lambda',
      planned: 'lambda',
      reason: 'small',
      seconds: 1,
      dollars: 0,
      rounds: 2,
    };
    const plan = makeJobPlan(spec(m.version, {}, { placement }), m, keys.manifest('seed', m.version));
    expect(plan.v).toBe(1);
    expect(plan.jobId).toBe('job-plan');
    expect(plan.manifestKey).toBe(keys.manifest('seed', m.version));
    expect(plan.placement).toEqual(placement);
    expect(makeJobPlan(spec(m.version), m, 'k')).not.toHaveProperty('placement');
  });
});

describe('Function: makeJobPlan, mlp and l2', () => {
  it("an mlp gets scikit-learn's (100,) hidden layer unless --hidden, and its head from the target", async () => {
    const m = await seed();
    const plan = makeJobPlan(spec(m.version, { l2: 0 }, { model: 'mlp' }), m, 'k');
    expect(plan.config.spec).toMatchObject({ kind: 'mlp', hidden: [100], head: 'linear', l2: 0 });
    const given = makeJobPlan(spec(m.version, { l2: 0, hidden: [3, 2] }, { model: 'mlp' }), m, 'k');
    expect(given.config.spec).toMatchObject({ hidden: [3, 2] });
    expect(makeJobPlan(spec(m.version), m, 'k').config.spec).not.toHaveProperty('hidden');
  });

  it('an alpha chosen on n training rows is the l2 alpha/n, with its reason, unless --l2 was given', async () => {
    const m = await seed();
    const alpha = { alpha: 0.5, reason: 'chosen by hand' };
    const plan = makeJobPlan(spec(m.version, {}, { model: 'mlp' }), m, 'k', { alpha });
    // 100 training rows (no holdout)
    expect(plan.config.spec.l2).toBe(0.005);
    expect(plan.alphaSelection).toEqual(alpha);
    expect(plan.config.solverReason.endsWith('; l2 = alpha/n, chosen by hand')).toBe(true);
    const fixed = makeJobPlan(spec(m.version, { l2: 0.25 }, { model: 'mlp' }), m, 'k', { alpha });
    expect(fixed.config.spec.l2).toBe(0.25);
    expect(fixed).not.toHaveProperty('alphaSelection');
    expect(fixed.config.solverReason).not.toContain('alpha/n');
    expect(makeJobPlan(spec(m.version), m, 'k').config.spec).not.toHaveProperty('l2');
  });
});

describe('Function: makeJobPlan, round grouping', () => {
  it('groups stochastic steps only when queued and neither --sync nor --local-steps was given', async () => {
    const m = await seed();
    const sgd = { solver: 'gd', algorithm: 'sgd' } as const;
    const queued = makeJobPlan(spec(m.version, sgd), m, 'k', { queued: true });
    expect(queued.grouping).toBeDefined();
    expect(queued.config.sync).toBe('local-sgd');
    expect(queued.config.localSteps).toBe(queued.grouping!.stepsPerRound);
    expect(makeJobPlan(spec(m.version, sgd), m, 'k')).not.toHaveProperty('grouping');
    expect(makeJobPlan(spec(m.version, sgd), m, 'k', { queued: false })).not.toHaveProperty('grouping');
    expect(makeJobPlan(spec(m.version, { ...sgd, sync: 'gd' }), m, 'k', { queued: true })).not.toHaveProperty(
      'grouping',
    );
    const local = makeJobPlan(spec(m.version, { ...sgd, localSteps: 3 }), m, 'k', { queued: true });
    expect(local).not.toHaveProperty('grouping');
  });
});

describe('Function: makeJobPlan, partition claims', () => {
  it('marks the plan for claims only when it is queued and claims were asked for', async () => {
    const m = await seed();
    expect(makeJobPlan(spec(m.version), m, 'k', { queued: true, claims: true }).claims).toBe(true);
    expect(makeJobPlan(spec(m.version), m, 'k', { claims: true })).not.toHaveProperty('claims');
    expect(makeJobPlan(spec(m.version), m, 'k', { queued: false, claims: true })).not.toHaveProperty(
      'claims',
    );
    expect(makeJobPlan(spec(m.version), m, 'k', { queued: true })).not.toHaveProperty('claims');
    expect(makeJobPlan(spec(m.version), m, 'k', { queued: true, claims: false })).not.toHaveProperty(
      'claims',
    );
  });
});

describe('Function: mlpHeadFor', () => {
  it('a class target (labels, or whole numbers) gets logistic for 2 classes and softmax for more', async () => {
    const m = await manifestOf(
      [
        'two,three,ints2,ints3,halves,mixed,one,x',
        'a,p,0,3,0.5,1,k,1',
        'b,q,1,5,1.5,1.5,k,2',
        'a,r,0,9,0.5,2,k,3',
        'b,p,1,3,2.5,2,k,4',
      ].join('\n'),
    );
    expect(mlpHeadFor(m, 'two')).toBe('logistic');
    expect(mlpHeadFor(m, 'three')).toBe('softmax');
    expect(mlpHeadFor(m, 'ints2')).toBe('logistic');
    expect(mlpHeadFor(m, 'ints3')).toBe('softmax');
    // Not whole numbers: a regression target whatever the count of values.
    expect(mlpHeadFor(m, 'halves')).toBe('linear');
    expect(mlpHeadFor(m, 'mixed')).toBe('linear'); // 1, 1.5, 2: one value not whole is enough
    // One label, and a column that is not there (validateTarget names it): linear.
    expect(mlpHeadFor(m, 'one')).toBe('linear');
    expect(mlpHeadFor(m, 'nope')).toBe('linear');
  });

  it('a numeric column with more distinct values than are kept (> 64) is a regression target', async () => {
    const rows = Array.from({ length: 70 }, (_, i) => `${i},${i % 2}`);
    const m = await manifestOf(`many,x\n${rows.join('\n')}\n`);
    expect(mlpHeadFor(m, 'many')).toBe('linear');
    expect(mlpHeadFor(m, 'x')).toBe('logistic');
    // 70 labels are 70 classes: a label column is counted by its labels, not its distinct values.
    const labels = await manifestOf(
      `label,x\n${Array.from({ length: 70 }, (_, i) => `l${i},${i}`).join('\n')}\n`,
    );
    expect(labels.columns.find((c) => c.name === 'label')!.type).toBe('categorical');
    expect(mlpHeadFor(labels, 'label')).toBe('softmax');
  });

  it('the plan of an mlp carries the head its target gets', async () => {
    const m = await manifestOf(`x,c\n1,3\n2,5\n3,9\n4,5\n`);
    const plan = makeJobPlan(spec(m.version, {}, { model: 'mlp', target: 'c' }), m, 'k');
    expect(plan.config.spec).toMatchObject({ kind: 'mlp', head: 'softmax', numClasses: 3 });
  });
});

describe('Function: trainConfigInput', () => {
  const s: ModelSpec = { kind: 'linear', numFeatures: 2 };

  it('passes only the options that were set', () => {
    expect(trainConfigInput(s, {})).toEqual({ spec: s });
    expect(
      trainConfigInput(s, {
        solver: 'gd',
        algorithm: 'minibatch',
        batchSize: 16,
        lr: 0.1,
        optimizer: 'adam',
        epochs: 7,
        tol: 0.001,
        seed: 3,
        sync: 'local-sgd',
        localSteps: 4,
      }),
    ).toEqual({
      spec: s,
      solver: 'gd',
      algorithm: 'minibatch',
      batchSize: 16,
      learningRate: 0.1,
      optimizer: { kind: 'adam' },
      maxEpochs: 7,
      tol: 0.001,
      seed: 3,
      sync: 'local-sgd',
      localSteps: 4,
    });
  });

  it('momentum is 0.9; plain is plain', () => {
    expect(trainConfigInput(s, { optimizer: 'momentum' }).optimizer).toEqual({
      kind: 'momentum',
      momentum: 0.9,
    });
    expect(trainConfigInput(s, { optimizer: 'plain' }).optimizer).toEqual({ kind: 'plain' });
  });

  it('maps --decay-steps and --decay-rate per schedule, with their defaults', () => {
    const sched = (o: TrainOptions) => trainConfigInput(s, o).schedule;
    expect(sched({ schedule: 'constant' })).toEqual({ kind: 'constant' });
    expect(sched({ schedule: 'inverse-time' })).toEqual({
      kind: 'inverse-time',
      decaySteps: 100,
      power: 0.5,
    });
    expect(sched({ schedule: 'inverse-time', decaySteps: 10, decayRate: 2 })).toEqual({
      kind: 'inverse-time',
      decaySteps: 10,
      power: 2,
    });
    expect(sched({ schedule: 'exponential' })).toEqual({ kind: 'exponential', decaySteps: 100, rate: 0.96 });
    expect(sched({ schedule: 'exponential', decaySteps: 5, decayRate: 0.5 })).toEqual({
      kind: 'exponential',
      decaySteps: 5,
      rate: 0.5,
    });
    expect(sched({ schedule: 'step' })).toEqual({ kind: 'step', everySteps: 100, factor: 0.5 });
    expect(sched({ schedule: 'step', decaySteps: 3, decayRate: 0.1 })).toEqual({
      kind: 'step',
      everySteps: 3,
      factor: 0.1,
    });
    expect(sched({ schedule: 'cosine-restarts' })).toEqual({
      kind: 'cosine-restarts',
      firstPeriod: 100,
      tMul: 2,
    });
    expect(sched({ schedule: 'cosine-restarts', decaySteps: 8, decayRate: 3 })).toEqual({
      kind: 'cosine-restarts',
      firstPeriod: 8,
      tMul: 3,
    });
    expect(sched({ schedule: 'plateau' })).toEqual({ kind: 'plateau', factor: 0.5 });
    expect(sched({ schedule: 'plateau', decayRate: 0.2 })).toEqual({ kind: 'plateau', factor: 0.2 });
  });
});
