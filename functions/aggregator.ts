import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleResult } from '../lib/engine/coordinator.js';
import { parseMessage, resultMessageSchema } from '../lib/engine/protocol.js';
import { type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';
import { recordRound } from './shared/round-metrics.js';
import { processSqsBatch } from './shared/sqs-batch.js';

/**
 * Aggregator (aggregate queue, SQS FIFO, group = jobId): when all results of a round are in,
 * applies the averaged update with lr = schedule(round) and fans out the next round, or
 * finishes the job and registers the model.
 */
async function aggregate(event: SQSEvent, context: RuntimeRequest['context']): Promise<SQSBatchResponse> {
  const runtime = context.runtime;
  const deps = runtime.engine();
  return processSqsBatch(
    event,
    runtime.store,
    async (record) => {
      const message = parseMessage(resultMessageSchema, record.body);
      const outcome = await handleResult(deps, message);
      if (outcome === 'applied' || outcome === 'finished') {
        await recordRound(runtime.store, message.jobId, message.round, runtime.cloud === 'aws');
      }
    },
    { fifo: true },
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>(aggregate as never).use(runtimeMiddleware());
