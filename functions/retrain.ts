import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { listPipelines, runPipeline } from '../lib/engine/pipelines/index.js';
import { type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';

type RetrainEvent = EventBridgeEvent<string, { pipeline?: string; force?: boolean } | undefined>;

/**
 * Scheduled retraining (EventBridge): runs the pipeline named in the event's detail, or every
 * pipeline. Each run trains on the newest dataset version unless the champion already saw it;
 * the promotion gate runs when the job finishes.
 */
async function retrain(event: RetrainEvent, context: RuntimeRequest['context']) {
  const deps = context.runtime.pipelines();
  const names =
    event.detail?.pipeline !== undefined
      ? [event.detail.pipeline]
      : (await listPipelines(deps)).map((p) => p.name);
  const results = [];
  for (const name of names) {
    results.push({
      pipeline: name,
      ...(await runPipeline(deps, name, { force: event.detail?.force === true })),
    });
  }
  console.log(JSON.stringify({ level: 'info', message: 'retrain', results }));
  return results;
}

export const handler = middy<RetrainEvent, unknown>(retrain as never).use(runtimeMiddleware());
