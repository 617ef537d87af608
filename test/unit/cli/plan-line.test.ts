import { describe, expect, it } from 'vitest';
import { roundPlanLine, summarizeRoundPlan } from '../../../cli/commands/plan-line.js';
import type { JobPlan } from '../../../lib/engine/training/job-plan.js';
import { resolveTrainConfig } from '../../../lib/optim/index.js';

/** A plan of 1000 rows over 4 partitions with only what the plan line reads. */
function planWith(solver: 'normal' | 'newton' | 'lbfgs' | 'gd', kind: 'linear' | 'logistic'): JobPlan {
  const config = resolveTrainConfig(
    { spec: { kind, numFeatures: 3 }, solver },
    { rows: 1000, partitions: 4 },
  );
  return {
    config,
    partitions: [0, 1, 2, 3].map((p) => ({ start: p * 250, end: (p + 1) * 250, rows: 250 })),
  } as unknown as JobPlan;
}

describe('Function: summarizeRoundPlan', () => {
  it('promises one round for the normal equations, not the gradient-descent epoch cap', () => {
    // Act
    const s = summarizeRoundPlan(planWith('normal', 'linear'), 'inprocess');

    // Assess
    expect(s.maxRounds).toBe(1);
    expect(s.maxEpochs).toBeNull();
    expect(roundPlanLine(s, 'inprocess')).toMatch(/^plan: normal equations: .*; at most 1 round, /);
  });

  it('bounds Newton and L-BFGS by their iteration cap plus the first evaluation', () => {
    // Prepare: scikit-learn's lbfgs default max_iter is 100, which the solvers share.
    const newton = planWith('newton', 'logistic');
    const lbfgs = planWith('lbfgs', 'logistic');

    // Act / Assess
    expect(summarizeRoundPlan(newton, 'local').maxRounds).toBe(newton.config.solverTol.maxIter + 1);
    expect(summarizeRoundPlan(lbfgs, 'local').maxRounds).toBe(lbfgs.config.solverTol.maxIter + 1);
  });

  it('keeps the epoch cap for full-batch gradient descent (one round per epoch)', () => {
    // Act
    const plan = planWith('gd', 'linear');
    const s = summarizeRoundPlan(plan, 'inprocess');

    // Assess
    expect(s.maxRounds).toBe(plan.config.maxEpochs);
    expect(roundPlanLine(s, 'inprocess')).toContain(`(${plan.config.maxEpochs} epochs)`);
  });
});
