import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import { roundMetricsDocument } from '../../lib/engine/training/round-records.js';
import type { ObjectStore } from '../../lib/ports.js';

export type { RoundMetrics } from '../../lib/engine/training/round-records.js';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shardtrain',
  serviceName: 'shardtrain',
});

/**
 * Publishes the record of the round just applied (written by the coordinator at
 * `jobs/<id>/metrics/<round>.json`) as CloudWatch EMF: one log line the Lambda runtime turns into
 * metrics. Only on AWS; locally the stored records are the metrics.
 */
export async function recordRound(
  store: ObjectStore,
  jobId: string,
  round: number,
  emf: boolean,
): Promise<void> {
  if (!emf) return;
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
