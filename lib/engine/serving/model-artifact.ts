import { z } from 'zod';
import { storedAs } from '../../documents.js';
import { DatasetError } from '../../errors.js';
import { dataRecord, ownValue } from '../../validation/records.js';
import { MODEL_KINDS } from '../training/job-spec.js';
import { mlpLayersSchema, mlpScores, mlpShapeProblem } from './mlp-artifact.js';

/**
 * A trained model as saved with a job and in the registry. Coefficients are in the ORIGINAL
 * feature units (standardisation and any projection folded in), so prediction is one dot product
 * per class and needs no transform code; the fitted transform is kept for the record.
 * An mlp keeps its network in `layers` (transform folded into the first layer, see
 * `mlp-artifact.ts`); its `coefficients` are `{}` and `intercept` 0, as it has no linear form.
 * Artifacts written before `layers` existed still parse.
 */
export const modelArtifactSchema = z
  .object({
    v: z.literal(1),
    kind: z.enum(MODEL_KINDS),
    target: z.string(),
    features: z.array(z.string()),
    /** Class labels in class-index order (classification only). */
    classes: z.array(z.string()).optional(),
    /** linear/logistic: feature → coefficient; softmax: class → feature → coefficient. */
    coefficients: z.union([dataRecord(z.number()), dataRecord(dataRecord(z.number()))]),
    /** linear/logistic: a number; softmax: class → intercept. */
    intercept: z.union([z.number(), dataRecord(z.number())]),
    /** Parameters in the training space (after standardisation/projection), layout of lib/optim. */
    params: z.array(z.number()),
    transform: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.number()),
    backend: z.string(),
    steps: z.number().int().nonnegative(),
    /** mlp only: the network (versioned; see {@link mlpLayersSchema}). */
    layers: mlpLayersSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.kind === 'mlp' && m.layers === undefined)
      ctx.addIssue({ code: 'custom', path: ['layers'], message: 'an mlp model needs its layers' });
    if (m.kind !== 'mlp' && m.layers !== undefined)
      ctx.addIssue({ code: 'custom', path: ['layers'], message: `a ${m.kind} model has no layers` });
    const problem = m.layers === undefined ? null : mlpShapeProblem(m.layers, m.features.length);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['layers'], message: problem });
  });
export type ModelArtifact = z.infer<typeof modelArtifactSchema>;

/** `jobs/<id>/model.json`: validated as a model, kept exactly as stored. */
export const storedModelDocument = storedAs<ModelArtifact>(modelArtifactSchema);

/** Row-wise linear scores: n×K matrix (K = 1 for linear/logistic), in float64. */
function scores(model: ModelArtifact, x: ArrayLike<number>, rows: number): { k: number; s: Float64Array } {
  if (model.layers !== undefined) return mlpScores(model.layers, x, rows, model.features.length);
  const d = model.features.length;
  const classes = model.kind === 'softmax' ? (model.classes ?? []) : ['_'];
  const k = classes.length;
  const w = new Float64Array(k * d);
  const b = new Float64Array(k);
  classes.forEach((c, ci) => {
    // Feature and class names are data: read own properties only (`__proto__` is a column name).
    const coef = (
      model.kind === 'softmax'
        ? ownValue(model.coefficients as Record<string, Record<string, number>>, c)
        : model.coefficients
    ) as Record<string, number> | undefined;
    const icpt =
      model.kind === 'softmax'
        ? ownValue(model.intercept as Record<string, number>, c)
        : (model.intercept as number);
    b[ci] = icpt ?? 0;
    model.features.forEach((f, j) => {
      w[ci * d + j] = ownValue(coef, f) ?? 0;
    });
  });
  const s = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < k; c++) {
      let acc = b[c]!;
      for (let j = 0; j < d; j++) acc += w[c * d + j]! * x[i * d + j]!;
      s[i * k + c] = acc;
    }
  }
  return { k, s };
}

/**
 * Predicts from raw feature rows (row-major, `model.features` order).
 * linear → values; logistic → P(class 1); softmax → n×K probabilities.
 */
export function predictRows(
  model: ModelArtifact,
  x: ArrayLike<number>,
  rows: number,
): { k: number; values: Float64Array } {
  const { k, s } = scores(model, x, rows);
  const link = outputKind(model);
  if (link === 'linear') return { k, values: s };
  if (link === 'logistic') {
    for (let i = 0; i < s.length; i++) {
      const z = s[i]!;
      s[i] = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
    return { k, values: s };
  }
  for (let i = 0; i < rows; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, s[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(s[i * k + c]! - max);
      s[i * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) s[i * k + c] = s[i * k + c]! / sum;
  }
  return { k, values: s };
}

/**
 * What a model outputs: `linear` (values), `logistic` (P(class 1)) or `softmax` (K probabilities);
 * an mlp outputs what its head does.
 */
export function outputKind(model: Pick<ModelArtifact, 'kind' | 'layers'>): 'linear' | 'logistic' | 'softmax' {
  return model.kind === 'mlp' ? (model.layers?.head ?? 'linear') : model.kind;
}

/**
 * Whether every number of a model is finite: coefficients, intercepts and training-space
 * parameters. A model with a NaN or infinite number (or a `null`, as JSON writes NaN) would
 * predict NaN, so it is never registered, promoted or served.
 */
export function isFiniteModel(model: {
  coefficients: unknown;
  intercept: unknown;
  params?: unknown;
  layers?: unknown;
}): boolean {
  const finite = (v: unknown): boolean => {
    if (typeof v === 'number') return Number.isFinite(v);
    if (Array.isArray(v)) return v.every(finite);
    if (typeof v === 'object' && v !== null) return Object.values(v).every(finite);
    return false;
  };
  return (
    finite(model.coefficients) &&
    finite(model.intercept) &&
    (model.params === undefined || finite(model.params)) &&
    (model.layers === undefined || finite((model.layers as { dense?: unknown }).dense))
  );
}

/** Parses and validates a stored model, naming the file on failure. */
export function parseModelArtifact(raw: unknown, file: string): ModelArtifact {
  const parsed = modelArtifactSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetError({ file }, `not a shardtrain model: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return parsed.data;
}
