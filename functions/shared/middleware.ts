import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { handlerConfigFromEnv, type Runtime, type RuntimeConfig, runtimeFor } from '../../lib/app/index.js';

/** The Lambda context with the handler's runtime (ports, registry, backend) attached. */
export interface RuntimeRequest {
  readonly context: Context & { runtime: Runtime };
}

/** A handler's configuration: given (the local cloud passes it), or read when first needed. */
export type ConfigSource = RuntimeConfig | (() => RuntimeConfig);

let lambdaConfig: RuntimeConfig | undefined;

/**
 * The Lambda entry point's configuration: this function's environment, parsed and validated
 * once per container (on the first invocation, so importing a handler module reads nothing).
 */
export function configFromLambdaEnv(): RuntimeConfig {
  lambdaConfig ??= handlerConfigFromEnv(process.env);
  return lambdaConfig;
}

/**
 * Attaches the container's {@link Runtime} to the context before the handler runs. The runtime
 * is built once per container and reused by warm invocations (SDK clients, caches, backend).
 */
export function runtimeMiddleware(source: ConfigSource = configFromLambdaEnv): MiddlewareObj {
  return {
    name: 'shardtrain-runtime',
    before: async (request) => {
      const config = typeof source === 'function' ? source() : source;
      (request.context as Context & { runtime: Runtime }).runtime = await runtimeFor(config);
    },
  };
}
