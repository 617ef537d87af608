/** Fields of a model artifact that hold its numbers (coefficients, intercepts, parameters). */
const NUMERIC_FIELDS = ['coefficients', 'intercept', 'params'] as const;

const allFinite = (v: unknown): boolean => {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(allFinite);
  if (typeof v === 'object' && v !== null) return Object.values(v).every(allFinite);
  return false; // null (how JSON writes NaN), strings, booleans
};

/**
 * Whether a stored artifact's numbers are all finite. JSON turns NaN and ±Infinity into `null`,
 * so a diverged model shows up here as `null` coefficients (or layer weights, for an mlp); such a version is never stored or
 * promoted (it would predict NaN).
 */
export function hasFiniteNumbers(artifact: Readonly<Record<string, unknown>>): boolean {
  if (!NUMERIC_FIELDS.every((f) => !Object.hasOwn(artifact, f) || allFinite(artifact[f]))) return false;
  // an mlp's network: every weight and bias of `layers.dense`
  if (!Object.hasOwn(artifact, 'layers')) return true;
  const layers = artifact.layers;
  return typeof layers === 'object' && layers !== null && allFinite((layers as { dense?: unknown }).dense);
}
