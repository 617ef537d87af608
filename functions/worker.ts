import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleWork } from '../lib/engine/training/coordinator.js';
import { parseMessage, workMessageSchema } from '../lib/engine/training/protocol.js';
import { type ConfigSource, type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';
import { processSqsBatch } from './shared/sqs-batch.js';

/**
 * Worker (work queue, standard SQS): computes one partition's gradient — or K local steps — for
 * one round, stores it keyed by (job, round, shard), and notifies the aggregator.
 */
async function work(event: SQSEvent, context: RuntimeRequest['context']): Promise<SQSBatchResponse> {
  const runtime = context.runtime;
  const deps = runtime.engine();
  return processSqsBatch(event, runtime.store, async (record) => {
    // The receive count tells a redelivery, which first completes what its slot claimed.
    await handleWork(deps, parseMessage(workMessageSchema, record.body), {
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
  });
}

/** The handler with its configuration given (the local cloud passes its own). */
export function createHandler(config?: ConfigSource) {
  return middy<SQSEvent, SQSBatchResponse>(work as never).use(runtimeMiddleware(config));
}

/** The Lambda entry point: configured from the function's environment. */
export const handler = createHandler();
