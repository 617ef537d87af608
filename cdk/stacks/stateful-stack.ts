import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DataBucket } from '../constructs/data-bucket.js';
import { TrainingQueues } from '../constructs/training-queues.js';

export interface ShardtrainStatefulStackProps extends StackProps {
  /** @default 7 */
  readonly scratchExpiryDays?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** Worker function timeout; the work queue's visibility timeout is derived from it. @default Duration.minutes(2) */
  readonly workerTimeout?: Duration;
  /** Aggregator function timeout; the aggregate queue's visibility timeout is derived from it. @default Duration.minutes(2) */
  readonly aggregatorTimeout?: Duration;
}

/**
 * Resources whose life outlasts any deploy of the code: the data bucket (datasets, shards,
 * models), the training queues with their DLQs, and the registry event bus (its name is what
 * subscribers bind to).
 */
export class ShardtrainStatefulStack extends Stack {
  public readonly bucket: s3.Bucket;
  public readonly workQueue: sqs.Queue;
  public readonly workDeadLetterQueue: sqs.Queue;
  public readonly aggregateQueue: sqs.Queue;
  public readonly aggregateDeadLetterQueue: sqs.Queue;
  public readonly eventBus: events.EventBus;

  public constructor(scope: Construct, id: string, props: ShardtrainStatefulStackProps = {}) {
    super(scope, id, {
      description: 'shardtrain: data bucket, training queues, registry event bus',
      ...props,
    });
    this.bucket = new DataBucket(this, 'Data', { scratchExpiryDays: props.scratchExpiryDays }).bucket;
    const queues = new TrainingQueues(this, 'Queues', {
      maxReceiveCount: props.maxReceiveCount,
      workConsumerTimeout: props.workerTimeout ?? Duration.minutes(2),
      aggregateConsumerTimeout: props.aggregatorTimeout ?? Duration.minutes(2),
    });
    this.workQueue = queues.workQueue;
    this.workDeadLetterQueue = queues.workDeadLetterQueue;
    this.aggregateQueue = queues.aggregateQueue;
    this.aggregateDeadLetterQueue = queues.aggregateDeadLetterQueue;
    this.eventBus = new events.EventBus(this, 'RegistryEvents', {
      description: 'shardtrain model registry events (version registered, alias moved)',
    });

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'WorkQueueUrl', { value: this.workQueue.queueUrl });
    new CfnOutput(this, 'AggregateQueueUrl', { value: this.aggregateQueue.queueUrl });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
  }
}
