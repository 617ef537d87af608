import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * AWS: "set the source queue's visibility timeout to at least six times the timeout that you
 * configure on your function" (plus the batching window), so a message is not redelivered to
 * a second invocation while throttled retries of the first are still running.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** SQS's ceiling for a visibility timeout: 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/**
 * The visibility timeout a queue needs for a Lambda consumer with `consumerTimeout`.
 *
 * @example visibilityTimeoutFor(Duration.minutes(2)) // 12 minutes
 */
export function visibilityTimeoutFor(
  consumerTimeout: Duration,
  batchingWindow: Duration = Duration.seconds(0),
): Duration {
  const seconds = VISIBILITY_TIMEOUT_FACTOR * consumerTimeout.toSeconds() + batchingWindow.toSeconds();
  if (seconds > MAX_VISIBILITY_SECONDS) {
    throw new Error(
      `visibilityTimeoutFor: ${VISIBILITY_TIMEOUT_FACTOR} x ${consumerTimeout.toSeconds()} s exceeds the SQS maximum of 12 h; lower the function timeout.`,
    );
  }
  return Duration.seconds(seconds);
}

export interface TrainingQueuesProps {
  /** Timeout of the `worker` function; the work queue's visibility timeout is derived from it. @default Duration.minutes(2) */
  readonly workConsumerTimeout?: Duration;
  /** Timeout of the `aggregator` function; the aggregate queue's visibility timeout is derived from it. @default Duration.minutes(2) */
  readonly aggregateConsumerTimeout?: Duration;
  /** Deliveries before a message moves to its dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** How long messages stay on the main queues. @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
  /** How long dead letters are kept for inspection and redrive. @default Duration.days(14) */
  readonly deadLetterRetentionPeriod?: Duration;
}

/**
 * The training message queues: a standard "work" queue (`{jobId, round, shard}` to workers)
 * and a FIFO "aggregate" queue (MessageGroupId = jobId, so one aggregator per job at a time;
 * explicit deduplication ids, content-based deduplication off), each with its own DLQ.
 */
export class TrainingQueues extends Construct {
  public readonly workQueue: sqs.Queue;
  public readonly workDeadLetterQueue: sqs.Queue;
  public readonly aggregateQueue: sqs.Queue;
  public readonly aggregateDeadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: TrainingQueuesProps = {}) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetention = props.deadLetterRetentionPeriod ?? Duration.days(14);
    const common = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;

    this.workDeadLetterQueue = new sqs.Queue(this, 'WorkDlq', {
      ...common,
      retentionPeriod: deadLetterRetention,
    });
    this.workQueue = new sqs.Queue(this, 'WorkQueue', {
      ...common,
      retentionPeriod,
      visibilityTimeout: visibilityTimeoutFor(props.workConsumerTimeout ?? Duration.minutes(2)),
      deadLetterQueue: { queue: this.workDeadLetterQueue, maxReceiveCount },
    });

    const fifo = {
      ...common,
      fifo: true,
      contentBasedDeduplication: false,
      // High-throughput FIFO: ordering and dedup per job, not across the whole queue.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    } as const;
    this.aggregateDeadLetterQueue = new sqs.Queue(this, 'AggregateDlq', {
      ...fifo,
      retentionPeriod: deadLetterRetention,
    });
    this.aggregateQueue = new sqs.Queue(this, 'AggregateQueue', {
      ...fifo,
      retentionPeriod,
      visibilityTimeout: visibilityTimeoutFor(props.aggregateConsumerTimeout ?? Duration.minutes(2)),
      deadLetterQueue: { queue: this.aggregateDeadLetterQueue, maxReceiveCount },
    });

    for (const dlq of [this.workDeadLetterQueue, this.aggregateDeadLetterQueue]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue; it is watched by a CloudWatch alarm instead.',
      });
    }
  }
}
