import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_FUNCTION_SIZING } from './constructs/training-functions.js';
import { readSettings } from './settings.js';
import { ShardtrainStatefulStack } from './stacks/stateful-stack.js';
import { ShardtrainStatelessStack } from './stacks/stateless-stack.js';

export interface ShardtrainStacks {
  readonly stateful: ShardtrainStatefulStack;
  readonly stateless: ShardtrainStatelessStack;
}

/**
 * Adds the two shardtrain stacks to `app` (settings from its context) and registers the
 * cdk-nag AWS Solutions checks, which fail `cdk synth` on any unacknowledged finding.
 *
 * @example
 * const app = new App();
 * buildShardtrainApp(app);
 * app.synth();
 */
export function buildShardtrainApp(app: App): ShardtrainStacks {
  const settings = readSettings(app);
  const sizing = DEFAULT_FUNCTION_SIZING;
  const stateful = new ShardtrainStatefulStack(app, 'ShardtrainStatefulStack', {
    scratchExpiryDays: settings.scratchExpiryDays,
    workerTimeout: sizing.worker.timeout,
    aggregatorTimeout: sizing.aggregator.timeout,
  });
  const stateless = new ShardtrainStatelessStack(app, 'ShardtrainStatelessStack', {
    stateful,
    sizing,
    retrainSchedule: settings.retrainSchedule,
    workerReservedConcurrency: settings.workerReservedConcurrency,
    workerMaxConcurrency: settings.workerMaxConcurrency,
    batchSpot: settings.batchSpot,
    batchMaxvCpus: settings.batchMaxvCpus,
  });
  // cdk-nag v3 is a policy-validation plugin (v2 used Aspects.of(app).add(...)).
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}
