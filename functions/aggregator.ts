import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleResult } from '../lib/engine/training/coordinator.js';
import { parseMessage, resultMessageSchema } from '../lib/engine/training/protocol.js';
import { writeJobReport } from '../lib/report/index.js';
import { type ConfigSource, type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';
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
        const { config } = runtime;
        const namespace = config.cloud === 'aws' ? config.metricsNamespace : undefined;
        await recordRound(runtime.store, message.jobId, message.round, namespace);
      }
      // On AWS the report lies next to the job (`shardtrain report --url` links to it); locally
      // `shardtrain report` writes it on demand. A report that fails is logged, never retried.
      if (outcome === 'finished' && runtime.cloud === 'aws') {
        await writeJobReport(runtime.store, runtime.registry, message.jobId).catch((e: unknown) =>
          console.error(
            `report of job ${message.jobId} not written: ${e instanceof Error ? e.message : String(e)}`,
          ),
        );
      }
    },
    { fifo: true },
  );
}

/** The handler with its configuration given (the local cloud passes its own). */
export function createHandler(config?: ConfigSource) {
  return middy<SQSEvent, SQSBatchResponse>(aggregate as never).use(runtimeMiddleware(config));
}

/** The Lambda entry point: configured from the function's environment. */
export const handler = createHandler();
