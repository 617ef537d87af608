import { ProtocolError } from '../../errors.js';
import type { Optimizer, OptimizerState } from './optimizer.js';

/**
 * Adam (Kingma & Ba; tfjs `AdamOptimizer`) with bias correction:
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; t ← t+1;
 * params ← params − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + ε).
 */
export class AdamOptimizer implements Optimizer {
  public readonly kind = 'adam' as const;
  private iterations = 0;
  private m: Float64Array;
  private v: Float64Array;

  public constructor(
    paramCount: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.m = new Float64Array(paramCount);
    this.v = new Float64Array(paramCount);
  }

  public applyGradients(params: Float64Array, grad: Float64Array, lr: number): void {
    const t = this.iterations + 1;
    const c1 = 1 - this.beta1 ** t;
    const c2 = 1 - this.beta2 ** t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]!;
      const m = this.beta1 * this.m[i]! + (1 - this.beta1) * g;
      const v = this.beta2 * this.v[i]! + (1 - this.beta2) * g * g;
      this.m[i] = m;
      this.v[i] = v;
      params[i] = params[i]! - (lr * (m / c1)) / (Math.sqrt(v / c2) + this.epsilon);
    }
    this.iterations = t;
  }

  public getWeights(): OptimizerState {
    return { iterations: this.iterations, kind: 'adam', m: Array.from(this.m), v: Array.from(this.v) };
  }

  public setWeights(state: OptimizerState): void {
    if (state.kind !== 'adam' || state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new ProtocolError(`adam optimizer state does not match (${state.kind})`);
    }
    this.iterations = state.iterations;
    this.m = Float64Array.from(state.m);
    this.v = Float64Array.from(state.v);
  }
}
