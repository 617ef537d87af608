import { describe, expect, it } from 'vitest';
import type { DatasetManifest } from '../../../lib/data/index.js';
import type { ModelArtifact } from '../../../lib/engine/serving/model-artifact.js';
import { buildArtifact } from '../../../lib/engine/training/build-artifact.js';
import { buildJobSpec, defaultFeatures, newJobId } from '../../../lib/engine/training/build-job-spec.js';
import type { FinishedJob } from '../../../lib/engine/training/coordinator.js';
import type { JobPlan } from '../../../lib/engine/training/job-plan.js';
import type { JobSpec } from '../../../lib/engine/training/job-spec.js';
import { findJobVersion, registerJobModel } from '../../../lib/engine/training/register-model.js';
import { DatasetError } from '../../../lib/errors.js';
import type { TrainState } from '../../../lib/optim/index.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { seedDataset, seedSpec } from '../../support/engine-fixtures.js';

/** Features a, b standardised with means 1, 2 and stds 2, 4 (no projection). */
const transform = { v: 1 as const, features: ['a', 'b'], means: [1, 2], stds: [2, 4] };

function plan(target: JobPlan['target'], kind: JobSpec['model'], numClasses?: number): JobPlan {
  return {
    v: 1,
    jobId: 'j',
    manifestKey: 'k',
    config: { spec: { kind, numFeatures: 2, ...(numClasses ? { numClasses } : {}) } },
    transform,
    target,
    partitions: [],
  } as unknown as JobPlan;
}

function specOf(model: JobSpec['model']): JobSpec {
  return seedSpec('job-art', 'v1', {}, { model, features: ['a', 'b'], target: 't' });
}

function stateOf(params: number[], over: Partial<TrainState> = {}): TrainState {
  return {
    params,
    epoch: 7,
    round: 9,
    last: { round: 8, epoch: 6, loss: 0.5, gradNorm: 1, lr: 1 },
    lastEpoch: { epoch: 6, loss: 0.2 },
    ...over,
  } as unknown as TrainState;
}

describe('Function: buildArtifact', () => {
  it('folds a linear model back through the target scaling and the transform', () => {
    // ŷ = 10 + 3·(0.5 + 1·(a − 1)/2 − 2·(b − 2)/4) = 13 + 1.5a − 1.5b; loss in target units ×3²
    const a = buildArtifact(
      specOf('linear'),
      plan({ kind: 'regression', mean: 10, std: 3 }, 'linear'),
      stateOf([0.5, 1, -2]),
      'cpu',
    );
    expect(a.coefficients).toEqual({ a: 1.5, b: -1.5 });
    expect(a.intercept).toBe(13);
    expect(a.metrics).toMatchObject({ epochs: 7, rounds: 9 });
    expect(a.metrics.loss).toBeCloseTo(1.8, 12);
    expect(a).toMatchObject({
      v: 1,
      kind: 'linear',
      target: 't',
      features: ['a', 'b'],
      backend: 'cpu',
      steps: 9,
    });
    expect(a.params).toEqual([0.5, 1, -2]);
    expect(a.transform).toEqual(transform);
    expect(a).not.toHaveProperty('classes');
    expect(a).not.toHaveProperty('layers');
  });

  it('takes the loss of the last round when no epoch closed, NaN before any round', () => {
    const p = plan({ kind: 'regression', mean: 0, std: 2 }, 'linear');
    expect(
      buildArtifact(specOf('linear'), p, stateOf([0, 0, 0], { lastEpoch: null }), 'cpu').metrics.loss,
    ).toBe(0.5 * 4);
    expect(
      buildArtifact(specOf('linear'), p, stateOf([0, 0, 0], { lastEpoch: null, last: null }), 'cpu').metrics
        .loss,
    ).toBeNaN();
  });

  it('folds a logistic model through the transform alone, with its class labels', () => {
    // z = 0.5 + 1·(a − 1)/2 − 2·(b − 2)/4 = 0.5 + 0.5a − 0.5 − 0.5b + 1 = 1 + 0.5a − 0.5b
    const target = { kind: 'classification' as const, classValues: [0, 1], classLabels: ['no', 'yes'] };
    const a = buildArtifact(specOf('logistic'), plan(target, 'logistic'), stateOf([0.5, 1, -2]), 'cpu');
    expect(a.coefficients).toEqual({ a: 0.5, b: -0.5 });
    expect(a.intercept).toBe(1);
    expect(a.classes).toEqual(['no', 'yes']);
    expect(a.metrics.loss).toBe(0.2);
  });

  it('folds a softmax model class by class, k + 1 parameters each', () => {
    // class x: [0, 2, 0] → 2·(a − 1)/2 = a − 1; class y: [1, 0, 4] → 1 + 4·(b − 2)/4 = b − 1
    const target = { kind: 'classification' as const, classValues: [0, 1], classLabels: ['x', 'y'] };
    const a = buildArtifact(
      specOf('softmax'),
      plan(target, 'softmax', 2),
      stateOf([0, 2, 0, 1, 0, 4]),
      'cpu',
    );
    expect(a.coefficients).toEqual({ x: { a: 1, b: 0 }, y: { a: 0, b: 1 } });
    expect(a.intercept).toEqual({ x: -1, y: -1 });
    expect(a.classes).toEqual(['x', 'y']);
  });
});

describe('Function: buildArtifact, mlp', () => {
  /** One hidden unit over a, b, then the head: params [c, w_a, w_b | c2, v] (offset 0, then 3). */
  function mlpPlan(target: JobPlan['target'], head: 'linear' | 'logistic'): JobPlan {
    const p = plan(target, 'mlp');
    return {
      ...p,
      config: { spec: { kind: 'mlp', numFeatures: 2, hidden: [1], head } },
    } as unknown as JobPlan;
  }

  it('regression: the transform folded into the first layer, ŷ = mean + std·z into the last', () => {
    // Hidden unit: 0.5 + 1·(a − 1)/2 − 2·(b − 2)/4 = 1 + 0.5a − 0.5b (as the logistic fold above).
    // Head: z = 0.25 + 2·h; ŷ = 10 + 3z = 10.75 + 6h. Loss in target units: 0.2 · 3² = 1.8.
    const a = buildArtifact(
      specOf('mlp'),
      mlpPlan({ kind: 'regression', mean: 10, std: 3 }, 'linear'),
      stateOf([0.5, 1, -2, 0.25, 2]),
      'cpu',
    );
    expect(a.layers).toEqual({
      v: 1,
      activation: 'relu',
      head: 'linear',
      dense: [
        { weights: [[0.5, -0.5]], bias: [1] },
        { weights: [[6]], bias: [10.75] },
      ],
    });
    expect(a.coefficients).toEqual({});
    expect(a.intercept).toBe(0);
    expect(a).not.toHaveProperty('classes');
    expect(a.metrics.loss).toBeCloseTo(1.8, 12);
    expect(a).toMatchObject({ kind: 'mlp', params: [0.5, 1, -2, 0.25, 2], steps: 9 });
  });

  it('classification: the head left in logits, the loss as trained, the class labels kept', () => {
    const target = { kind: 'classification' as const, classValues: [0, 1], classLabels: ['no', 'yes'] };
    const a = buildArtifact(
      specOf('mlp'),
      mlpPlan(target, 'logistic'),
      stateOf([0.5, 1, -2, 0.25, 2]),
      'cpu',
    );
    expect(a.layers?.head).toBe('logistic');
    expect(a.layers?.dense).toEqual([
      { weights: [[0.5, -0.5]], bias: [1] },
      { weights: [[2]], bias: [0.25] },
    ]);
    expect(a.classes).toEqual(['no', 'yes']);
    expect(a.metrics.loss).toBe(0.2);
    expect(a.coefficients).toEqual({});
    expect(a.intercept).toBe(0);
  });

  it('a linear-family model carries no layers', () => {
    const a = buildArtifact(
      specOf('linear'),
      plan({ kind: 'regression', mean: 10, std: 3 }, 'linear'),
      stateOf([0.5, 1, -2]),
      'cpu',
    );
    expect(a).not.toHaveProperty('layers');
  });
});

describe('Function: newJobId', () => {
  it('is <stem>-<model>-<utc time>-<4 hex>, lower case, the stem cleaned and cut at 40', () => {
    const at = new Date('2026-01-01T12:00:00.123Z');
    expect(newJobId('Houses', 'linear', at)).toMatch(/^houses-linear-20260101t120000-[0-9a-f]{4}$/);
    expect(newJobId('--My Data', 'mlp', at)).toMatch(/^my-data-mlp-20260101t120000-[0-9a-f]{4}$/);
    expect(newJobId('???', 'mlp', at)).toMatch(/^job-mlp-/);
    expect(newJobId('x'.repeat(50), 'mlp', at)).toMatch(new RegExp(`^${'x'.repeat(40)}-mlp-`));
    expect(newJobId('a', 'b', at)).not.toBe(newJobId('a', 'b', at));
  });
});

describe('Function: buildJobSpec', () => {
  async function manifest(): Promise<DatasetManifest> {
    return (await seedDataset(new SimObjectStore())).manifest;
  }
  const request = {
    dataset: 'seed',
    target: 'y',
    model: 'linear' as const,
    modelName: 'm',
    workers: 2,
    options: { epochs: 3 },
    now: new Date('2026-02-03T04:05:06.000Z'),
  };

  it('fills in the default features, the id, the time, the version and no holdout', async () => {
    const m = await manifest();
    expect(defaultFeatures(m, 'y')).toEqual(['x']);
    expect(defaultFeatures(m, 'x')).toEqual(['y']);
    const spec = buildJobSpec(request, m);
    expect(spec).toMatchObject({
      v: 1,
      createdAt: '2026-02-03T04:05:06.000Z',
      modelName: 'm',
      dataset: { name: 'seed', version: m.version },
      target: 'y',
      features: ['x'],
      model: 'linear',
      workers: 2,
      options: { epochs: 3 },
      holdoutFraction: 0,
    });
    expect(spec.jobId).toMatch(/^seed-linear-20260203t040506-[0-9a-f]{4}$/);
    expect(spec).not.toHaveProperty('reduction');
    expect(spec).not.toHaveProperty('pipeline');
  });

  it('keeps what was asked: features, stem, holdout, reduction, pipeline', async () => {
    const spec = buildJobSpec(
      {
        ...request,
        features: ['x'],
        idStem: 'nightly',
        holdoutFraction: 0.2,
        reduction: { kind: 'pca', k: 1 },
        pipeline: 'p1',
      },
      await manifest(),
    );
    expect(spec.jobId.startsWith('nightly-linear-')).toBe(true);
    expect(spec).toMatchObject({ holdoutFraction: 0.2, reduction: { kind: 'pca', k: 1 }, pipeline: 'p1' });
  });

  it('refuses a target that is no column, listing the columns', async () => {
    const m = await manifest();
    const error = (() => {
      try {
        buildJobSpec({ ...request, target: 'z' }, m);
      } catch (e) {
        return e;
      }
    })() as Error;
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toContain('target column not found; available columns: "x", "y"');
  });

  it('refuses a dataset with no numeric feature besides the target', async () => {
    const m = await manifest();
    const only: DatasetManifest = { ...m, columns: m.columns.filter((c) => c.name === 'y') };
    expect(() => buildJobSpec(request, only)).toThrow(DatasetError);
    expect(() => buildJobSpec(request, only)).toThrow('no numeric feature columns besides "y"');
  });
});

describe('Function: registerJobModel', () => {
  const artifact = {
    v: 1,
    kind: 'linear',
    backend: 'cpu',
    metrics: { loss: 0.5, epochs: 3, rounds: Number.NaN },
  } as unknown as ModelArtifact;
  const job = (jobId: string): FinishedJob =>
    ({
      spec: seedSpec(jobId, 'v9', {}, { createdAt: '2026-01-01T00:00:00.000Z' }),
      artifact,
    }) as unknown as FinishedJob;

  it('creates one version with lineage, finite metrics and tags; the same job again returns it', async () => {
    const registry = new ModelRegistry({ store: new SimObjectStore() });
    const now = () => new Date('2026-01-01T00:00:02.500Z');

    const first = await registerJobModel(
      registry,
      job('job-reg'),
      { packageVersion: '1.2.3', gitCommit: 'abc' },
      {
        holdout: { r2: 0.9, mse: Number.POSITIVE_INFINITY },
        now,
      },
    );
    const again = await registerJobModel(registry, job('job-reg'), { packageVersion: '9' }, { now });

    expect(first.version).toBe(1);
    expect(again.version).toBe(1);
    expect(await registry.listVersions('seed-model')).toEqual([1]);
    expect(first.metrics).toEqual({ train: { loss: 0.5, epochs: 3 }, holdout: { r2: 0.9 } });
    expect(first.lineage).toMatchObject({
      dataset: 'seed',
      datasetVersion: 'v9',
      jobId: 'job-reg',
      backend: 'cpu',
      packageVersion: '1.2.3',
      gitCommit: 'abc',
      wallTimeMs: 2500,
    });
    expect(first.tags).toMatchObject({ model: 'linear', target: 'y' });
  });

  it('without holdout or commit leaves them out; a clock before the job counts 0 ms', async () => {
    const registry = new ModelRegistry({ store: new SimObjectStore() });
    const v = await registerJobModel(
      registry,
      job('job-bare'),
      { packageVersion: '1' },
      {
        now: () => new Date('2025-12-31T00:00:00.000Z'),
      },
    );
    expect(v.metrics).toEqual({ train: { loss: 0.5, epochs: 3 } });
    expect(v.lineage).not.toHaveProperty('gitCommit');
    expect(v.lineage.wallTimeMs).toBe(0);
    const other = await registerJobModel(registry, job('job-other'), { packageVersion: '1' });
    expect(other.version).toBe(2);
  });
});

describe('Function: findJobVersion', () => {
  it('finds the version of a job among the newest 50, undefined for a missing model or job', async () => {
    const registry = new ModelRegistry({ store: new SimObjectStore() });
    const build = { packageVersion: '1' };
    for (let i = 0; i < 52; i++) await registerJobModel(registry, { ...job(`job-${i}`) }, build);
    expect((await findJobVersion(registry, 'seed-model', 'job-51'))?.version).toBe(52);
    expect((await findJobVersion(registry, 'seed-model', 'job-2'))?.version).toBe(3);
    // versions 1 and 2 are older than the newest 50
    expect(await findJobVersion(registry, 'seed-model', 'job-1')).toBeUndefined();
    expect(await findJobVersion(registry, 'seed-model', 'job-none')).toBeUndefined();
    expect(await findJobVersion(registry, 'no-model', 'job-0')).toBeUndefined();
  });

  function job(jobId: string): FinishedJob {
    return {
      spec: seedSpec(jobId, 'v9'),
      artifact: { kind: 'linear', backend: 'cpu', metrics: { loss: 1 } },
    } as unknown as FinishedJob;
  }
});
