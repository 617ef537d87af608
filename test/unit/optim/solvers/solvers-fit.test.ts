import { describe, expect, it } from 'vitest';
import type { ModelSpec, TrainConfigInput } from '../../../../lib/optim/index.js';
import { fit as fitModel, resolveTrainConfig } from '../../../../lib/optim/index.js';
import type { Data } from '../reference-solvers.js';
import {
  centreClasses,
  classData,
  linearData,
  newtonGlm,
  normalEquations,
  partition,
  relErr,
  standardise,
  toBatch,
} from '../reference-solvers.js';

/**
 * Every solver against its reference written out in the test helpers (closed-form normal
 * equations; Newton by Gaussian elimination), to 1e-6 relative; W = 4 against W = 1 to 1e-9.
 */

type Solver = 'normal' | 'newton' | 'lbfgs';

function run(spec: ModelSpec, data: Data, solver: Solver, w = 1, extra: Partial<TrainConfigInput> = {}) {
  const { z } = standardise(data.x);
  const config = resolveTrainConfig({ spec, solver, ...extra }, { rows: z.length, partitions: w });
  const result = fitModel(config, w === 1 ? [toBatch(z, data.y)] : partition(z, data.y, w));
  return { z, config, result, params: Array.from(result.params) };
}

function reference(spec: ModelSpec, z: number[][], y: number[]): number[] {
  const l2 = spec.l2 ?? 0;
  if (spec.kind === 'linear') return normalEquations(z, y, l2);
  return newtonGlm(z, y, spec.kind === 'logistic' ? 1 : spec.numClasses!, l2);
}

function compare(spec: ModelSpec, params: number[], ref: number[]): number {
  if (spec.kind !== 'softmax') return relErr(params, ref);
  return relErr(centreClasses(params, spec.numClasses!), centreClasses(ref, spec.numClasses!));
}

const LIN = linearData(7, 300, [1, -2, 0.5, 3, 0], 4, 0.5);
const LOG = classData(11, 400, [[1, -1, 0.5, 0, 0.3]]);
const SOFT = classData(13, 450, [
  [1, -1, 0.5, 0, 0.4],
  [0, 1, 1, -1, 0],
  [-1, 0, 0, 1, 1],
]);

const CASES: { name: string; spec: ModelSpec; data: Data; solvers: Solver[] }[] = [
  {
    name: 'linear',
    spec: { kind: 'linear', numFeatures: 5 },
    data: LIN,
    solvers: ['normal', 'newton', 'lbfgs'],
  },
  {
    name: 'linear, l2 0.3',
    spec: { kind: 'linear', numFeatures: 5, l2: 0.3 },
    data: LIN,
    solvers: ['normal', 'lbfgs'],
  },
  {
    name: 'logistic',
    spec: { kind: 'logistic', numFeatures: 5, l2: 0 },
    data: LOG,
    solvers: ['newton', 'lbfgs'],
  },
  {
    name: 'logistic, l2 0.1',
    spec: { kind: 'logistic', numFeatures: 5, l2: 0.1 },
    data: LOG,
    solvers: ['newton', 'lbfgs'],
  },
  {
    name: 'softmax',
    spec: { kind: 'softmax', numFeatures: 5, numClasses: 3, l2: 0 },
    data: SOFT,
    solvers: ['newton', 'lbfgs'],
  },
  {
    name: 'softmax, l2 0.05',
    spec: { kind: 'softmax', numFeatures: 5, numClasses: 3, l2: 0.05 },
    data: SOFT,
    solvers: ['newton', 'lbfgs'],
  },
];

describe('Function: fit — solvers reach the reference solution', () => {
  for (const c of CASES) {
    for (const solver of c.solvers) {
      it(`${solver}, ${c.name}: equals the reference to 1e-6 relative; W=4 equals W=1 to 1e-9`, () => {
        // Prepare: a tight gradient tolerance, so the iterative solvers are at the optimum
        const extra = solver === 'normal' ? {} : { tol: 1e-9 };

        // Act
        const one = run(c.spec, c.data, solver, 1, extra);
        const four = run(c.spec, c.data, solver, 4, extra);

        // Assess
        const ref = reference(c.spec, one.z, c.data.y);
        expect(compare(c.spec, one.params, ref)).toBeLessThan(1e-6);
        expect(relErr(four.params, one.params)).toBeLessThan(1e-9);
        // converged: on the gradient, or (lbfgs at tol 1e-9) where the loss stops resolving the decrease
        expect(one.result.state.status).toEqual({
          status: 'done',
          reason: solver === 'normal' ? 'solved' : expect.stringMatching(/^(grad-tol|tol)$/),
        });
        if (solver === 'normal') expect(one.result.rounds).toBe(1);
      });
    }
  }

  it('newton needs a handful of rounds at scikit-learn tol (1e-4), lbfgs a few tens', () => {
    const spec: ModelSpec = { kind: 'logistic', numFeatures: 5, l2: 0 };
    const newton = run(spec, LOG, 'newton');
    const lbfgs = run(spec, LOG, 'lbfgs');
    expect(newton.result.rounds).toBeLessThanOrEqual(10);
    expect(lbfgs.result.rounds).toBeLessThanOrEqual(40);
    expect(newton.result.state.status).toEqual({ status: 'done', reason: 'grad-tol' });
  });
});

describe('Function: fit — rank deficiency and separable data', () => {
  it('normal: a constant and a duplicated column are dropped (weight 0), said in the notes, never NaN', () => {
    // Prepare: x = [a, b, 5 (constant), a (duplicate)]; after standardising, column 2 is 0
    const base = linearData(21, 200, [2, -1], 1, 0.3);
    const x = base.x.map((r) => [r[0]!, r[1]!, 5, r[0]!]);
    const { z } = standardise(x.map((r) => [r[0]!, r[1]!, r[3]!]));
    const zc = z.map((r) => [r[0]!, r[1]!, 0, r[2]!]);
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 4 }, solver: 'normal' },
      { rows: 200 },
    );

    // Act
    const { params, state } = fitModel(config, [toBatch(zc, base.y)]);

    // Assess: the fit equals the reference on the two independent columns
    const ref = normalEquations(
      z.map((r) => [r[0]!, r[1]!]),
      base.y,
    );
    expect(Array.from(params).every(Number.isFinite)).toBe(true);
    expect(relErr([params[0]!, params[1]!, params[2]!], ref)).toBeLessThan(1e-6);
    expect([params[3], params[4]]).toEqual([0, 0]);
    expect(state.solver?.notes).toEqual([
      { message: 'constant column: dropped (weight 0)', features: [2] },
      { message: 'linearly dependent on earlier columns: dropped (weight 0)', features: [3] },
    ]);
  });

  it('normal with l2: the constant column gets weight 0 through the ridge, said too', () => {
    const base = linearData(22, 100, [1], 0, 0.1);
    const { z } = standardise(base.x);
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 2, l2: 0.5 }, solver: 'normal' },
      { rows: 100 },
    );
    const { params, state } = fitModel(config, [
      toBatch(
        z.map((r) => [r[0]!, 0]),
        base.y,
      ),
    ]);
    const ref = normalEquations(z, base.y, 0.5);
    expect(relErr([params[0]!, params[1]!], ref)).toBeLessThan(1e-6);
    expect(params[2]).toBe(0);
    expect(state.solver?.notes[0]?.features).toEqual([1]);
  });

  for (const solver of ['newton', 'lbfgs'] as const) {
    it(`${solver}: separable logistic data stays finite and stops on the gradient tolerance`, () => {
      const data = classData(31, 200, [[2, -1, 1]], true);
      const { result } = run({ kind: 'logistic', numFeatures: 3, l2: 0 }, data, solver);
      expect(result.params.every(Number.isFinite)).toBe(true);
      expect(result.state.status.status).toBe('done');
      expect(['grad-tol', 'tol', 'line-search']).toContain(
        (result.state.status as { reason: string }).reason,
      );
      expect(result.rounds).toBeLessThan(100);
    });
  }
});

describe('Function: resolveTrainConfig — solver choice', () => {
  it('auto: normal for linear, newton for small logistic/softmax, lbfgs past the Newton bound', () => {
    const pick = (spec: ModelSpec, input: Partial<TrainConfigInput> = {}) =>
      resolveTrainConfig({ spec, ...input }, { rows: 10 });
    expect(pick({ kind: 'linear', numFeatures: 3 }).solver).toBe('normal');
    expect(pick({ kind: 'logistic', numFeatures: 30 }).solver).toBe('newton');
    // (64 + 1)·10 = 650 parameters ≤ 1000
    expect(pick({ kind: 'softmax', numFeatures: 64, numClasses: 10 }).solver).toBe('newton');
    // (100 + 1)·10 = 1010 > 1000
    expect(pick({ kind: 'softmax', numFeatures: 100, numClasses: 10 }).solver).toBe('lbfgs');
    expect(pick({ kind: 'linear', numFeatures: 2000 }).solver).toBe('lbfgs');
    expect(pick({ kind: 'linear', numFeatures: 3 }).solverReason).toMatch(/normal equations/);
  });

  it("newton/lbfgs classifiers without an l2 get scikit-learn's C = 1 (λ = 1/n); linear and gd none", () => {
    const rows = 400;
    const c = (spec: ModelSpec, input: Partial<TrainConfigInput> = {}) =>
      resolveTrainConfig({ spec, ...input }, { rows });
    expect(c({ kind: 'logistic', numFeatures: 3 }).spec.l2).toBe(1 / 400);
    expect(c({ kind: 'softmax', numFeatures: 3, numClasses: 3 }, { solver: 'lbfgs' }).spec.l2).toBe(1 / 400);
    expect(c({ kind: 'logistic', numFeatures: 3, l2: 0 }).spec.l2).toBe(0);
    expect(c({ kind: 'linear', numFeatures: 3 }).spec.l2).toBeUndefined();
    expect(c({ kind: 'logistic', numFeatures: 3 }, { solver: 'gd' }).spec.l2).toBeUndefined();
    expect(c({ kind: 'logistic', numFeatures: 3 }).solverReason).toMatch(/C = 1/);
  });

  it('any gradient-descent option implies gd; combining one with another solver fails', () => {
    const spec: ModelSpec = { kind: 'logistic', numFeatures: 3 };
    for (const input of [
      { algorithm: 'minibatch' as const },
      { learningRate: 0.1 },
      { batchSize: 8 },
      { sync: 'local-sgd' as const },
      { localSteps: 2 },
      { optimizer: { kind: 'adam' as const } },
      { schedule: { kind: 'constant' as const } },
    ]) {
      const c = resolveTrainConfig({ spec, ...input }, { rows: 10 });
      expect(c.solver).toBe('gd');
      expect(c.solverReason).toMatch(/implied by --/);
    }
    expect(() => resolveTrainConfig({ spec, solver: 'lbfgs', learningRate: 0.1 }, { rows: 10 })).toThrow(
      /--lr is a gradient-descent option/,
    );
    expect(() => resolveTrainConfig({ spec, solver: 'normal' }, { rows: 10 })).toThrow(
      /normal solves least squares/,
    );
  });
});
