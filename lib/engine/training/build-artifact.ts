import { toOriginalUnits } from '../../data/index.js';
import type { TrainState } from '../../optim/index.js';
import { type MlpLayers, mlpLayersFromParams } from '../serving/mlp-artifact.js';
import type { ModelArtifact } from '../serving/model-artifact.js';
import type { JobPlan } from './job-plan.js';
import type { JobSpec } from './job-spec.js';

/**
 * Turns the final training state into a model: parameters (training space) folded back through
 * the target scaling and the feature transform into coefficients in original units.
 */
export function buildArtifact(
  spec: JobSpec,
  plan: JobPlan,
  state: TrainState,
  backend: string,
): ModelArtifact {
  const k = plan.config.spec.numFeatures;
  const params = state.params;
  const block = (c: number): { intercept: number; weights: number[] } => ({
    intercept: params[c * (k + 1)]!,
    weights: params.slice(c * (k + 1) + 1, (c + 1) * (k + 1)),
  });
  const named = (coefficients: number[]): Record<string, number> =>
    Object.fromEntries(spec.features.map((f, j) => [f, coefficients[j]!]));
  const lastLoss = state.lastEpoch?.loss ?? state.last?.loss ?? Number.NaN;
  let coefficients: ModelArtifact['coefficients'];
  let intercept: ModelArtifact['intercept'];
  let loss = lastLoss;
  let classes: string[] | undefined;
  let layers: MlpLayers | undefined;
  if (spec.model === 'mlp') {
    // No linear form: the network, transform (and target scaling) folded in, is the model.
    const scale = plan.target.kind === 'regression' ? plan.target : null;
    layers = mlpLayersFromParams(plan.config.spec, params, plan.transform, scale);
    coefficients = {};
    intercept = 0;
    if (scale !== null) loss = lastLoss * scale.std * scale.std;
    else classes = plan.target.kind === 'classification' ? plan.target.classLabels : undefined;
  } else if (plan.target.kind === 'regression') {
    const { mean, std } = plan.target;
    const b = block(0);
    // ŷ = mean + std·(b + w·z): scale the whole model by std, then shift the intercept by mean.
    const folded = toOriginalUnits(
      plan.transform,
      b.weights.map((w) => w * std),
      b.intercept * std,
    );
    coefficients = named(folded.coefficients);
    intercept = folded.intercept + mean;
    loss = lastLoss * std * std;
  } else if (spec.model === 'logistic') {
    const b = block(0);
    const folded = toOriginalUnits(plan.transform, b.weights, b.intercept);
    coefficients = named(folded.coefficients);
    intercept = folded.intercept;
    classes = plan.target.classLabels;
  } else {
    classes = plan.target.classLabels;
    const perClass: Record<string, Record<string, number>> = {};
    const icpt: Record<string, number> = {};
    classes.forEach((label, c) => {
      const b = block(c);
      const folded = toOriginalUnits(plan.transform, b.weights, b.intercept);
      perClass[label] = named(folded.coefficients);
      icpt[label] = folded.intercept;
    });
    coefficients = perClass;
    intercept = icpt;
  }
  return {
    v: 1,
    kind: spec.model,
    target: spec.target,
    features: spec.features,
    ...(classes !== undefined ? { classes } : {}),
    coefficients,
    intercept,
    params,
    transform: plan.transform as unknown as Record<string, unknown>,
    metrics: { loss, epochs: state.epoch, rounds: state.round },
    backend,
    steps: state.round,
    ...(layers !== undefined ? { layers } : {}),
  };
}
