import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildShardtrainApp, type ShardtrainStacks } from '../../../cdk/shardtrain-app.js';

const cdkJsonPath = fileURLToPath(new URL('../../../cdk.json', import.meta.url));

/** The `context` block of cdk.json, so tests see the same feature flags and knobs as `cdk synth`. */
export const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context: Record<string, unknown> }).context;

export interface SynthesizedApp extends ShardtrainStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/**
 * Builds the real app once: no esbuild bundling (`aws:cdk:bundling-stacks: []`) and no built-in
 * CloudFormation schema validation (a ~30 s wasm engine; `npm run synth` still runs it).
 * The cdk-nag plugin stays registered, so synthesis throws on any unacknowledged finding.
 */
export function synthesizeApp(context: Record<string, unknown> = {}): SynthesizedApp {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stacks = buildShardtrainApp(app);
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Logical id and properties of the one resource of `type` whose logical id starts with `prefix`. */
export function resourceByPrefix(
  template: Template,
  type: string,
  prefix: string,
): [string, Record<string, unknown>] {
  const found = Object.entries(template.findResources(type) as Resources).filter(([id]) =>
    id.startsWith(prefix),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return [id, resource.Properties ?? {}];
}
