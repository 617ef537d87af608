import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TrainingAlarms } from '../constructs/alarms.js';
import { GpuBatch } from '../constructs/gpu-batch.js';
import { acknowledge } from '../constructs/nag.js';
import { RetrainSchedule } from '../constructs/retrain-schedule.js';
import {
  DEFAULT_FUNCTION_SIZING,
  type FunctionSizing,
  type TrainingFunctionName,
  TrainingFunctions,
} from '../constructs/training-functions.js';

/** The stateful resources the code stack works on. */
export interface StatefulResources {
  readonly bucket: s3.IBucket;
  readonly workQueue: sqs.IQueue;
  readonly workDeadLetterQueue: sqs.IQueue;
  readonly aggregateQueue: sqs.IQueue;
  readonly aggregateDeadLetterQueue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
}

export interface ShardtrainStatelessStackProps extends StackProps {
  readonly stateful: StatefulResources;
  /** Must be the object given to the stateful stack's timeouts. @default DEFAULT_FUNCTION_SIZING */
  readonly sizing?: Readonly<Record<TrainingFunctionName, FunctionSizing>>;
  /** @default 'cron(0 3 * * ? *)' */
  readonly retrainSchedule?: string;
  /** @default - none */
  readonly workerReservedConcurrency?: number;
  /** @default 10 */
  readonly workerMaxConcurrency?: number;
  /** @default false */
  readonly batchSpot?: boolean;
  /** @default 64 */
  readonly batchMaxvCpus?: number;
  /** @default - a new VPC */
  readonly vpc?: ec2.IVpc;
}

/**
 * Everything that can be replaced on any deploy: functions and their triggers, the retrain
 * schedule, Batch GPU capacity and the alarms.
 */
export class ShardtrainStatelessStack extends Stack {
  public readonly functions: TrainingFunctions;
  public readonly gpuBatch: GpuBatch;
  public readonly alarms: TrainingAlarms;

  public constructor(scope: Construct, id: string, props: ShardtrainStatelessStackProps) {
    super(scope, id, { description: 'shardtrain: functions, schedule, Batch GPU, alarms', ...props });
    const s = props.stateful;
    const bucket = this.importBucket(s.bucket);
    this.gpuBatch = new GpuBatch(this, 'GpuBatch', {
      bucket,
      eventBus: s.eventBus,
      vpc: props.vpc,
      spot: props.batchSpot,
      maxvCpus: props.batchMaxvCpus,
    });
    this.functions = new TrainingFunctions(this, 'Functions', {
      bucket,
      workQueue: s.workQueue,
      aggregateQueue: s.aggregateQueue,
      eventBus: s.eventBus,
      gpuBatch: this.gpuBatch,
      sizing: props.sizing ?? DEFAULT_FUNCTION_SIZING,
      workerReservedConcurrency: props.workerReservedConcurrency,
      workerMaxConcurrency: props.workerMaxConcurrency,
    });
    const fns = this.functions.functions;
    new RetrainSchedule(this, 'RetrainSchedule', {
      target: fns.retrain.function,
      schedule: props.retrainSchedule,
    });
    this.alarms = new TrainingAlarms(this, 'Alarms', {
      deadLetterQueues: { Work: s.workDeadLetterQueue, Aggregate: s.aggregateDeadLetterQueue },
      functions: Object.fromEntries(Object.entries(fns).map(([name, f]) => [name, f.function])),
      batchJobQueue: this.gpuBatch.jobQueue,
    });
    const notificationsHandler = this.node.children.find((c) =>
      c.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (notificationsHandler) {
      acknowledge(
        notificationsHandler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-owned singleton that configures the S3 upload notification at deploy time; its role is not configurable.',
      );
    }

    new CfnOutput(this, 'PredictUrl', { value: this.functions.predictUrl.url });
    new CfnOutput(this, 'BatchJobQueue', { value: this.gpuBatch.jobQueue.jobQueueArn });
    // With BatchJobQueue: what `train --placement batch` submits to (BATCH_JOB_DEFINITION).
    new CfnOutput(this, 'BatchJobDefinition', { value: this.gpuBatch.jobDefinition.jobDefinitionArn });
    new CfnOutput(this, 'AlarmTopic', { value: this.alarms.topic.topicArn });
  }

  /**
   * The bucket through NAMED exports of its stack: the upload notification is then configured
   * from this stack (no cycle), and the ARN in every policy has a stable, readable form
   * (`<stack>-DataBucketArn/...`) that the cdk-nag acknowledgments can name.
   */
  private importBucket(bucket: s3.IBucket): s3.IBucket {
    const producer = Stack.of(bucket);
    if (producer === this) return bucket;
    this.addStackDependency(producer);
    return s3.Bucket.fromBucketAttributes(this, 'DataBucket', {
      bucketArn: producer.exportValue(bucket.bucketArn, { name: `${producer.stackName}-DataBucketArn` }),
      bucketName: producer.exportValue(bucket.bucketName, { name: `${producer.stackName}-DataBucketName` }),
    });
  }
}
