import { UsageError } from '../../errors.js';
import { AdamOptimizer } from './adam-optimizer.js';
import { MomentumOptimizer } from './momentum-optimizer.js';
import type { Optimizer } from './optimizer.js';
import { SGDOptimizer } from './sgd-optimizer.js';

/** Which optimizer, with tfjs's defaults for anything left out. */
export type OptimizerConfig =
  | { readonly kind: 'plain' }
  | { readonly kind: 'momentum'; readonly momentum?: number; readonly nesterov?: boolean }
  | { readonly kind: 'adam'; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number };

/**
 * Builds a fresh optimizer for `paramCount` parameters.
 *
 * @example
 * const opt = createOptimizer({ kind: 'adam' }, params.length);
 * opt.applyGradients(params, grad, 0.01);
 */
export function createOptimizer(config: OptimizerConfig, paramCount: number): Optimizer {
  switch (config.kind) {
    case 'plain':
      return new SGDOptimizer();
    case 'momentum':
      return new MomentumOptimizer(paramCount, config.momentum ?? 0.9, config.nesterov ?? false);
    case 'adam':
      return new AdamOptimizer(
        paramCount,
        config.beta1 ?? 0.9,
        config.beta2 ?? 0.999,
        config.epsilon ?? 1e-8,
      );
    default:
      throw new UsageError(
        `optimizer "${(config as { kind: string }).kind}" is unknown; use plain, momentum or adam`,
      );
  }
}
