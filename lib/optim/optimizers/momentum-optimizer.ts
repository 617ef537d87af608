import { ProtocolError } from '../../errors.js';
import type { Optimizer, OptimizerState } from './optimizer.js';

/**
 * Momentum (tfjs `MomentumOptimizer`): a ← β·a + g; params ← params − lr·a, or with Nesterov
 * params ← params − lr·(g + β·a).
 */
export class MomentumOptimizer implements Optimizer {
  public readonly kind = 'momentum' as const;
  private iterations = 0;
  private accumulation: Float64Array;

  public constructor(
    paramCount: number,
    private readonly momentum = 0.9,
    private readonly useNesterov = false,
  ) {
    this.accumulation = new Float64Array(paramCount);
  }

  public applyGradients(params: Float64Array, grad: Float64Array, lr: number): void {
    const a = this.accumulation;
    const beta = this.momentum;
    for (let i = 0; i < params.length; i++) {
      const acc = beta * a[i]! + grad[i]!;
      a[i] = acc;
      const step = this.useNesterov ? grad[i]! + beta * acc : acc;
      params[i] = params[i]! - lr * step;
    }
    this.iterations++;
  }

  public getWeights(): OptimizerState {
    return { iterations: this.iterations, kind: 'momentum', accumulation: Array.from(this.accumulation) };
  }

  public setWeights(state: OptimizerState): void {
    if (state.kind !== 'momentum' || state.accumulation.length !== this.accumulation.length) {
      throw new ProtocolError(`momentum optimizer state does not match (${state.kind})`);
    }
    this.iterations = state.iterations;
    this.accumulation = Float64Array.from(state.accumulation);
  }
}
