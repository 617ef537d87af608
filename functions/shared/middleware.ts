import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { getRuntime, type Runtime } from './runtime.js';

/** The Lambda context with the handler's runtime (ports, registry, backend) attached. */
export interface RuntimeRequest {
  readonly context: Context & { runtime: Runtime };
}

/**
 * Attaches the container's {@link Runtime} to the context before the handler runs. The runtime
 * is built once per container and reused by warm invocations (SDK clients, caches, backend).
 */
export function runtimeMiddleware(): MiddlewareObj {
  return {
    name: 'shardtrain-runtime',
    before: async (request) => {
      (request.context as Context & { runtime: Runtime }).runtime = await getRuntime();
    },
  };
}
