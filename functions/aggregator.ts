import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleResultBatch, type Outcome, ResultBatchError } from '../lib/engine/training/coordinator.js';
import { parseMessage, type ResultMessage, resultMessageSchema } from '../lib/engine/training/protocol.js';
import { writeJobReport } from '../lib/report/index.js';
import { type ConfigSource, type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';
import { recordRound } from './shared/round-metrics.js';
import { BatchItemFailure, processFifoBatch } from './shared/sqs-batch.js';

/**
 * Aggregator (aggregate queue, SQS FIFO, group = jobId): when all results of a round are in,
 * applies the averaged update with lr = schedule(round) and fans out the next round, or
 * finishes the job and registers the model. The event source mapping delivers up to 10 messages
 * (CDK `aggregatorBatchSize`, the local cloud's consumer alike) with `ReportBatchItemFailures`.
 */
async function aggregate(event: SQSEvent, context: RuntimeRequest['context']): Promise<SQSBatchResponse> {
  const runtime = context.runtime;
  const deps = runtime.engine();
  const { config } = runtime;
  const namespace = config.cloud === 'aws' ? config.metricsNamespace : undefined;
  const after = async (message: ResultMessage, outcome: Outcome): Promise<void> => {
    if (outcome === 'applied' || outcome === 'finished') {
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
  };
  // The whole batch at once: one set of result look-ups per round, not per notification. A
  // message that fails takes the later ones of its group (its job) with it, so order is kept.
  return processFifoBatch(
    event,
    runtime.store,
    (record) => parseMessage(resultMessageSchema, record.body),
    async (messages) => {
      try {
        await handleResultBatch(deps, messages, after);
      } catch (error) {
        if (error instanceof ResultBatchError) throw new BatchItemFailure(error.index, error.cause);
        throw error;
      }
    },
  );
}

/** The handler with its configuration given (the local cloud passes its own). */
export function createHandler(config?: ConfigSource) {
  return middy<SQSEvent, SQSBatchResponse>(aggregate as never).use(runtimeMiddleware(config));
}

/** The Lambda entry point: configured from the function's environment. */
export const handler = createHandler();
