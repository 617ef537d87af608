import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import { roundMetricsDocument } from '../../lib/engine/training/round-records.js';
import type { ObjectStore } from '../../lib/ports.js';

export type { RoundMetrics } from '../../lib/engine/training/round-records.js';

const emitters = new Map<string, Metrics>();

/** One EMF emitter per namespace, kept for the container's life like the SDK clients. */
function metricsFor(namespace: string): Metrics {
  let metrics = emitters.get(namespace);
  if (metrics === undefined) {
    metrics = new Metrics({ namespace, serviceName: 'shardtrain' });
    emitters.set(namespace, metrics);
  }
  return metrics;
}

/**
 * Publishes the record of the round just applied (written by the coordinator at
 * `jobs/<id>/metrics/<round>.json`) as CloudWatch EMF: one log line the Lambda runtime turns into
 * metrics under `namespace`. Only on AWS (undefined `namespace` elsewhere); locally the stored
 * records are the metrics.
 */
export async function recordRound(
  store: ObjectStore,
  jobId: string,
  round: number,
  namespace: string | undefined,
): Promise<void> {
  if (namespace === undefined) return;
  const metrics = metricsFor(namespace);
  const record = await readDocument(store, keys.job.metrics(jobId, round), roundMetricsDocument);
  if (record === undefined) return;
  metrics.addMetadata('jobId', jobId);
  metrics.addMetadata('round', String(record.round));
  metrics.addMetric('Loss', MetricUnit.NoUnit, record.loss);
  metrics.addMetric('GradientNorm', MetricUnit.NoUnit, record.gradNorm);
  metrics.addMetric('LearningRate', MetricUnit.NoUnit, record.lr);
  if (record.roundMs !== null) metrics.addMetric('RoundTime', MetricUnit.Milliseconds, record.roundMs);
  metrics.publishStoredMetrics();
}
