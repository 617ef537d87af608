import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { readState } from '../../lib/engine/job-store.js';
import type { ObjectStore } from '../../lib/ports.js';

/** Per-round metrics of a job, stored at `jobs/<id>/metrics/<round>.json`. */
export interface RoundMetrics {
  readonly jobId: string;
  readonly round: number;
  readonly epoch: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  /** Wall time from the previous round's state to this one's. */
  readonly roundMs: number | null;
  readonly at: string;
}

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shardtrain',
  serviceName: 'shardtrain',
});

export const roundMetricsKey = (jobId: string, round: number): string =>
  `jobs/${jobId}/metrics/${String(round).padStart(6, '0')}.json`;

/**
 * Records the round just applied (the state at `round + 1` holds its loss, gradient norm and lr)
 * in the store, and on AWS as CloudWatch EMF (one log line the Lambda runtime turns into
 * metrics). Put-if-absent: a redelivered message records nothing twice.
 */
export async function recordRound(
  store: ObjectStore,
  jobId: string,
  round: number,
  emf: boolean,
): Promise<void> {
  const state = await readState(store, jobId, round + 1);
  const last = state?.history.at(-1);
  if (state === undefined || last === undefined) return;
  const [prev, cur] = await Promise.all([
    store.head(`jobs/${jobId}/state/${String(round).padStart(6, '0')}.json`),
    store.head(`jobs/${jobId}/state/${String(round + 1).padStart(6, '0')}.json`),
  ]);
  const roundMs =
    prev !== undefined && cur !== undefined ? cur.lastModified.getTime() - prev.lastModified.getTime() : null;
  const record: RoundMetrics = {
    jobId,
    round: last.round,
    epoch: last.epoch,
    loss: last.loss,
    gradNorm: last.gradNorm,
    lr: last.lr,
    roundMs,
    at: new Date().toISOString(),
  };
  if (!(await store.putIfAbsent(roundMetricsKey(jobId, round), JSON.stringify(record)))) return;
  if (!emf) return;
  metrics.addMetadata('jobId', jobId);
  metrics.addMetadata('round', String(last.round));
  metrics.addMetric('Loss', MetricUnit.NoUnit, last.loss);
  metrics.addMetric('GradientNorm', MetricUnit.NoUnit, last.gradNorm);
  metrics.addMetric('LearningRate', MetricUnit.NoUnit, last.lr);
  if (roundMs !== null) metrics.addMetric('RoundTime', MetricUnit.Milliseconds, roundMs);
  metrics.publishStoredMetrics();
}
