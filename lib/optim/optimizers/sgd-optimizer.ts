import { ProtocolError } from '../../errors.js';
import type { Optimizer, OptimizerState } from './optimizer.js';

/** Plain gradient descent: params ← params − lr·g (tfjs `SGDOptimizer`). */
export class SGDOptimizer implements Optimizer {
  public readonly kind = 'plain' as const;
  private iterations = 0;

  public applyGradients(params: Float64Array, grad: Float64Array, lr: number): void {
    for (let i = 0; i < params.length; i++) params[i] = params[i]! - lr * grad[i]!;
    this.iterations++;
  }

  public getWeights(): OptimizerState {
    return { iterations: this.iterations, kind: 'plain' };
  }

  public setWeights(state: OptimizerState): void {
    if (state.kind !== 'plain')
      throw new ProtocolError(`expected plain optimizer state, got "${state.kind}"`);
    this.iterations = state.iterations;
  }
}
