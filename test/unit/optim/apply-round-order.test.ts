import { describe, expect, it } from 'vitest';
import type { ShardResult } from '../../../lib/optim/index.js';
import { applyRound, initTrainState, resolveTrainConfig } from '../../../lib/optim/index.js';

function gradResult(p: number, gradSum: number[], rows: number): ShardResult {
  return {
    v: 1,
    round: 0,
    partition: p,
    step: 0,
    steps: 1,
    stepsPerEpoch: 1,
    kind: 'gradient',
    gradSum,
    lossSum: 0,
    rows,
  };
}

describe('Function: applyRound, summation order', () => {
  it('adds partition gradients in partition order (floating-point sums depend on the order)', () => {
    // Prepare: partitions 0, 1, 2 send 1, 1e16, −1e16 for the intercept. In partition order
    // (0 + 1 + 1e16) rounds the 1 away before −1e16 cancels, so the sum is 0; in reverse order
    // (0 − 1e16 + 1e16 + 1) it is 1. The step is θ = 0 − lr·sum/rows with lr = 0.5, rows = 3.
    const inOrder = 0 + 1 + 1e16 + -1e16;
    const reversed = 0 + -1e16 + 1e16 + 1;
    expect(inOrder).not.toBe(reversed);
    const config = resolveTrainConfig(
      { spec: { kind: 'linear', numFeatures: 1 }, optimizer: { kind: 'plain' }, learningRate: 0.5 },
      { rows: 3 },
    );

    // Act
    const s1 = applyRound(config, initTrainState(config), [
      gradResult(0, [1, 0], 1),
      gradResult(1, [1e16, 0], 1),
      gradResult(2, [-1e16, 0], 1),
    ]);

    // Assess
    expect(s1.params[0]).toBe(0 - 0.5 * (inOrder / 3));
    expect(s1.params[0]).not.toBe(0 - 0.5 * (reversed / 3));
  });
});
