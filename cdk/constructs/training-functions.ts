import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES, DATASET_UPLOAD_FILTERS } from './data-bucket.js';
import type { GpuBatch } from './gpu-batch.js';
import { acknowledgePrefixGrants } from './nag.js';
import { ShardtrainFunction } from './shardtrain-function.js';

/** The five handlers, each `functions/<name>.ts` exporting `handler`. */
export const TRAINING_FUNCTION_NAMES = ['preprocess', 'worker', 'aggregator', 'predict', 'retrain'] as const;
export type TrainingFunctionName = (typeof TRAINING_FUNCTION_NAMES)[number];

export interface FunctionSizing {
  readonly timeout: Duration;
  readonly memorySize: number;
}

/**
 * Timeout and memory per function. The queue visibility timeouts are derived from the
 * worker and aggregator timeouts, so the app passes this ONE object to both stacks.
 */
export const DEFAULT_FUNCTION_SIZING: Readonly<Record<TrainingFunctionName, FunctionSizing>> = {
  preprocess: { timeout: Duration.minutes(10), memorySize: 2048 },
  worker: { timeout: Duration.minutes(2), memorySize: 2048 },
  aggregator: { timeout: Duration.minutes(2), memorySize: 1024 },
  predict: { timeout: Duration.seconds(30), memorySize: 1024 },
  retrain: { timeout: Duration.minutes(5), memorySize: 1024 },
};

/**
 * The preprocess function's `worker_threads` entry, bundled beside it: statistics, hashing and
 * compression run there, so the parsing thread only parses (the 2,048 MB function has 2 vCPUs).
 */
export const PREPROCESS_THREAD_ENTRIES = ['lib/data/shard/shard-thread.ts'] as const;

/** Key prefixes a role may read, and read + write, in the data bucket. */
export interface BucketAccess {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

const p = BUCKET_PREFIXES;

/** Least privilege on the data bucket, per function (see `lib/engine/keys.ts` for the layout). */
export const BUCKET_ACCESS: Readonly<Record<TrainingFunctionName, BucketAccess>> = {
  // preprocess also checks drift and may start a pipeline's job (train on upload / on drift),
  // placed by the planner at the rates the workers measured (calibration/)
  preprocess: {
    read: [p.datasets, p.registry, p.calibration],
    write: [p.processed, p.pipelines, p.jobs],
  },
  // the worker of shard 0 records its measured gradient rate once per job (calibration/)
  worker: { read: [p.processed, p.jobs], write: [p.scratch, p.calibration] },
  // the aggregator registers the model and runs the pipeline's promotion gate
  aggregator: { read: [p.processed], write: [p.jobs, p.scratch, p.registry, p.pipelines] },
  predict: { read: [p.registry, p.jobs], write: [] },
  retrain: { read: [p.processed, p.calibration], write: [p.jobs, p.registry, p.pipelines] },
};

/**
 * Grants `grantee` exactly `access` (objects under the prefixes, listing the bucket) and
 * acknowledges the matching cdk-nag IAM5 findings on it.
 */
export function grantBucketAccess(grantee: iam.IRole, bucket: s3.IBucket, access: BucketAccess): void {
  for (const prefix of access.read) bucket.grantRead(grantee, `${prefix}*`);
  for (const prefix of access.write) bucket.grantReadWrite(grantee, `${prefix}*`);
  acknowledgePrefixGrants(grantee, bucket, access);
}

export interface TrainingFunctionsProps {
  /** The data bucket, owned by or imported into this stack (the upload notification is added to it). */
  readonly bucket: s3.IBucket;
  readonly workQueue: sqs.IQueue;
  readonly aggregateQueue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
  /** Batch GPU capacity the aggregator and retrain may submit jobs to. */
  readonly gpuBatch: GpuBatch;
  /** @default DEFAULT_FUNCTION_SIZING */
  readonly sizing?: Readonly<Record<TrainingFunctionName, FunctionSizing>>;
  /** Reserved concurrency of the worker function (0 or less: none). @default - none */
  readonly workerReservedConcurrency?: number;
  /** Most concurrent worker invocations the work-queue event source starts (2..1000). @default 10 */
  readonly workerMaxConcurrency?: number;
  /** Work messages per worker invocation. @default 1 (one shard gradient per invocation) */
  readonly workerBatchSize?: number;
  /** Aggregate messages per aggregator invocation (FIFO: at most 10). @default 10 */
  readonly aggregatorBatchSize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Directory of the handler entry files, relative to the repository root. @default 'functions' */
  readonly functionsDir?: string;
}

/**
 * The five shardtrain Lambda functions, their triggers and least-privilege grants:
 * preprocess (S3 upload under `datasets/*.csv`), worker (work queue), aggregator (aggregate
 * FIFO queue), predict (Function URL, IAM auth) and retrain (invoked by the schedule).
 *
 * Every function receives the same configuration variables (BUCKET_NAME, WORK_QUEUE_URL,
 * AGGREGATE_QUEUE_URL, EVENT_BUS_NAME, BATCH_JOB_QUEUE, BATCH_JOB_DEFINITION plus the
 * defaults of {@link ShardtrainFunction}); what each may DO is limited by its grants.
 */
export class TrainingFunctions extends Construct {
  public readonly functions: Readonly<Record<TrainingFunctionName, ShardtrainFunction>>;
  public readonly predictUrl: lambda.FunctionUrl;

  public constructor(scope: Construct, id: string, props: TrainingFunctionsProps) {
    super(scope, id);
    const sizing = props.sizing ?? DEFAULT_FUNCTION_SIZING;
    const dir = props.functionsDir ?? 'functions';
    const environment = {
      BUCKET_NAME: props.bucket.bucketName,
      WORK_QUEUE_URL: props.workQueue.queueUrl,
      AGGREGATE_QUEUE_URL: props.aggregateQueue.queueUrl,
      EVENT_BUS_NAME: props.eventBus.eventBusName,
      BATCH_JOB_QUEUE: props.gpuBatch.jobQueue.jobQueueArn,
      BATCH_JOB_DEFINITION: props.gpuBatch.jobDefinition.jobDefinitionArn,
    };
    const reserved = props.workerReservedConcurrency;
    const make = (
      name: TrainingFunctionName,
      description: string,
      extra: { reserved?: number; threadEntries?: readonly string[] } = {},
    ) =>
      new ShardtrainFunction(this, name[0]!.toUpperCase() + name.slice(1), {
        entry: `${dir}/${name}.ts`,
        description,
        ...sizing[name],
        environment,
        logRetention: props.logRetention,
        reservedConcurrentExecutions: extra.reserved,
        threadEntries: extra.threadEntries,
      });
    this.functions = {
      preprocess: make('preprocess', 'shardtrain: validate an uploaded CSV, write shards and manifest', {
        threadEntries: PREPROCESS_THREAD_ENTRIES,
      }),
      worker: make('worker', 'shardtrain: gradient of one shard for one round', {
        reserved: reserved !== undefined && reserved > 0 ? reserved : undefined,
      }),
      aggregator: make('aggregator', 'shardtrain: combine shard results, step the optimizer, fan out'),
      predict: make('predict', 'shardtrain: serve predictions of the champion model'),
      retrain: make('retrain', 'shardtrain: scheduled retraining and champion/challenger promotion'),
    };
    const { preprocess, worker, aggregator, predict, retrain } = this.functions;
    for (const name of TRAINING_FUNCTION_NAMES) {
      grantBucketAccess(this.functions[name].role, props.bucket, BUCKET_ACCESS[name]);
    }

    // preprocess: S3 upload trigger. `bucket` must belong to (or be imported into) this stack,
    // so the notification custom resource lands here and the stacks do not depend on each other.
    props.eventBus.grantPutEventsTo(preprocess.function);
    props.workQueue.grantSendMessages(preprocess.function);
    for (const filter of DATASET_UPLOAD_FILTERS) {
      props.bucket.addEventNotification(
        s3.EventType.OBJECT_CREATED,
        new LambdaDestination(preprocess.function),
        filter,
      );
    }

    // worker: work queue -> gradient -> aggregate queue.
    props.aggregateQueue.grantSendMessages(worker.function);
    worker.function.addEventSource(
      new SqsEventSource(props.workQueue, {
        batchSize: props.workerBatchSize ?? 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.workerMaxConcurrency ?? 10,
      }),
    );

    // aggregator: aggregate FIFO queue -> optimizer step -> next round or registry.
    props.workQueue.grantSendMessages(aggregator.function);
    props.eventBus.grantPutEventsTo(aggregator.function);
    props.gpuBatch.grantSubmitJob(aggregator.function);
    aggregator.function.addEventSource(
      new SqsEventSource(props.aggregateQueue, {
        batchSize: props.aggregatorBatchSize ?? 10,
        reportBatchItemFailures: true,
      }),
    );

    // predict: read-only on models (bucket grants above), IAM-authenticated URL.
    this.predictUrl = predict.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    // retrain: start a run (fan-out or Batch), promote through the registry.
    props.workQueue.grantSendMessages(retrain.function);
    props.eventBus.grantPutEventsTo(retrain.function);
    props.gpuBatch.grantSubmitJob(retrain.function);
  }
}
