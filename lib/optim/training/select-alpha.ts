import type { GradientKernel } from '../kernels/gradient-kernel.js';
import type { Batch } from '../models/batch.js';
import { headKind } from '../models/model-spec.js';
import { predict } from '../models/predict.js';
import { fit as fitModel } from './fit.js';
import type { TrainConfigInput } from './train-config.js';
import { resolveTrainConfig } from './train-config.js';

/**
 * Choosing an MLP's penalty `alpha` (l2 = alpha/n) from the training rows alone: a validation
 * split is carved out of the rows handed in (never the test split: the caller hands in training
 * rows only), the model is fitted on the rest once per candidate, and the candidate with the best
 * validation score wins — as scikit-learn users do with `GridSearchCV`, or `MLPClassifier
 * (early_stopping=True)` does with its `validation_fraction`.
 */

/** scikit-learn's MLP default alpha and four decades above it, and one below 10. */
export const ALPHA_CANDIDATES = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10] as const;

/**
 * The share of training rows held out for validation. 0.2 rather than MLPClassifier's 0.1: on a
 * 1 437-row training set a tenth is 144 rows, where one row moves the accuracy by 0.7 points.
 */
export const ALPHA_VALIDATION_FRACTION = 0.2;

/** Options of {@link selectMlpAlpha}. */
export interface AlphaSelectionOptions {
  /** @default ALPHA_CANDIDATES */
  readonly candidates?: readonly number[];
  /** @default ALPHA_VALIDATION_FRACTION */
  readonly validationFraction?: number;
  /** Seed of the validation mask. @default the config's seed (0 when unset) */
  readonly seed?: number;
  readonly kernel?: GradientKernel;
  /**
   * Stop at the first alpha (ascending) whose validation score is worse than the best so far,
   * instead of fitting every candidate. @default true
   */
  readonly stopPastTurn?: boolean;
}

/** What the selection did, to record with the job (the reason) and to print. */
export interface AlphaSelection {
  readonly alpha: number;
  /** accuracy for a class head (higher is better), mean squared error for a linear one (lower). */
  readonly metric: 'accuracy' | 'mse';
  /** The candidates fitted, in ascending alpha (those past the turn are not fitted). */
  readonly scores: readonly { readonly alpha: number; readonly score: number; readonly rounds: number }[];
  readonly fitRows: number;
  readonly validationRows: number;
  readonly reason: string;
}

/**
 * Whether training row `row` (its index over the partitions in order) is a validation row: a
 * splitmix32-style hash of (row, seed) below `fraction` of 2³², so the split does not depend on
 * how the rows are partitioned or ordered within the classes.
 */
export function isValidationRow(row: number, fraction: number, seed: number): boolean {
  let h = (Math.imul(row ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h < fraction * 2 ** 32;
}

/** Splits the rows of `partitions` into (fit partitions, one validation batch) by {@link isValidationRow}. */
export function splitValidation(
  partitions: readonly Batch[],
  fraction: number,
  seed: number,
): { fit: Batch[]; validation: Batch } {
  const d = partitions[0]?.d ?? 0;
  const vx: number[] = [];
  const vy: number[] = [];
  const fitParts: Batch[] = [];
  let row = 0;
  for (const p of partitions) {
    const fx: number[] = [];
    const fy: number[] = [];
    for (let i = 0; i < p.rows; i++, row++) {
      const x = p.x.subarray(i * d, (i + 1) * d);
      if (isValidationRow(row, fraction, seed)) {
        vx.push(...x);
        vy.push(p.y[i]!);
      } else {
        fx.push(...x);
        fy.push(p.y[i]!);
      }
    }
    if (fy.length > 0)
      fitParts.push({ x: Float32Array.from(fx), y: Float32Array.from(fy), rows: fy.length, d });
  }
  return {
    fit: fitParts,
    validation: { x: Float32Array.from(vx), y: Float32Array.from(vy), rows: vy.length, d },
  };
}

/**
 * Fits `input` (an MLP; its `spec.l2` is replaced) on the training rows outside the validation
 * split once per candidate alpha, smallest first, and returns the alpha whose fit scores best on
 * the validation rows; ties go to the larger alpha (the smoother model). The search stops at the
 * first candidate worse than the best so far (`stopPastTurn`). Deterministic for fixed inputs.
 *
 * @example
 * const sel = selectMlpAlpha({ spec, seed: 0 }, trainPartitions);
 * const config = resolveTrainConfig({ spec: { ...spec, l2: sel.alpha / trainRows } }, shape);
 */
export function selectMlpAlpha(
  input: TrainConfigInput,
  partitions: readonly Batch[],
  options: AlphaSelectionOptions = {},
): AlphaSelection {
  const candidates = options.candidates ?? ALPHA_CANDIDATES;
  const fraction = options.validationFraction ?? ALPHA_VALIDATION_FRACTION;
  const { fit: fitParts, validation } = splitValidation(
    partitions,
    fraction,
    options.seed ?? input.seed ?? 0,
  );
  const fitRows = fitParts.reduce((s, p) => s + p.rows, 0);
  if (validation.rows === 0 || fitRows === 0) {
    throw new RangeError(
      `alpha selection needs rows on both sides of the validation split (${fitRows} fit, ${validation.rows} validation)`,
    );
  }
  const head = headKind(input.spec);
  const metric = head === 'linear' ? 'mse' : 'accuracy';
  const worse = (a: number, b: number) => (metric === 'mse' ? a > b : a < b);
  // Ascending alphas; the search stops at the first candidate that scores worse than the best so
  // far (the validation curve has turned): a larger alpha costs the most rounds (alpha 10 runs
  // to the iteration cap on digits) and, past the turn, is not chosen anyway.
  const ascending = [...candidates].sort((x, y) => x - y);
  const scores: { alpha: number; score: number; rounds: number }[] = [];
  let best: { alpha: number; score: number; rounds: number } | undefined;
  for (const alpha of ascending) {
    const config = resolveTrainConfig(
      { ...input, spec: { ...input.spec, l2: alpha / fitRows } },
      { rows: fitRows, numFeatures: input.spec.numFeatures, partitions: fitParts.length },
    );
    const run = fitModel(config, fitParts, options.kernel === undefined ? {} : { kernel: options.kernel });
    const p = predict(config.spec, run.params, validation);
    let s = 0;
    for (let i = 0; i < validation.rows; i++) {
      const y = validation.y[i]!;
      const label = head === 'logistic' ? (p[i]! >= 0.5 ? 1 : 0) : p[i]; // predict gives P(1) there
      s += metric === 'mse' ? (p[i]! - y) ** 2 : label === y ? 1 : 0;
    }
    const scored = { alpha, score: s / validation.rows, rounds: run.rounds };
    scores.push(scored);
    // Ties go to the larger alpha (the smoother model), which comes later here.
    if (best === undefined || !worse(scored.score, best.score)) best = scored;
    else if (options.stopPastTurn !== false) break;
  }
  if (best === undefined) throw new RangeError('alpha selection needs at least one candidate');
  const skipped = ascending.length - scores.length;
  const stopped =
    skipped > 0 ? `; stopped past the turn, ${skipped} larger alpha${skipped > 1 ? 's' : ''} not fitted` : '';
  const shown = scores.map((c) => `${c.alpha}: ${c.score.toFixed(4)}`).join(', ');
  return {
    alpha: best.alpha,
    metric,
    scores,
    fitRows,
    validationRows: validation.rows,
    reason: `alpha ${best.alpha} chosen on a validation split of the training rows (${validation.rows} of ${fitRows + validation.rows}; validation ${metric} by alpha: ${shown}${stopped})`,
  };
}
