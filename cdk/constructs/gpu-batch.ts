import { Duration, IgnoreMode, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES } from './data-bucket.js';
import { acknowledge, acknowledgePrefixGrants } from './nag.js';
import { REPO_ROOT } from './shardtrain-function.js';

/** GPU instance types for the compute environment (NVIDIA T4 and A10G, one GPU each). */
export const DEFAULT_GPU_INSTANCE_TYPES = ['g4dn.xlarge', 'g4dn.2xlarge', 'g5.xlarge', 'g5.2xlarge'] as const;

/**
 * What goes into the Docker build context (the repository root): everything is excluded,
 * then the sources the image builds from are let back in. Keeps the asset hash stable and
 * the context small (no node_modules, cdk.out, tests).
 */
export const BATCH_IMAGE_CONTEXT_EXCLUDE = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!tsconfig.build.json',
  '!lib',
  '!functions',
  '!batch',
  '!cli',
  '!bench',
  '!scripts', // `npm run build` assembles the wasm kernel with scripts/build-wasm.mjs
  '**/*.test.ts',
] as const;

export interface GpuBatchProps {
  /** Data bucket the job reads shards from and writes state and models to. */
  readonly bucket: s3.IBucket;
  /** Bus the job publishes registry events to. */
  readonly eventBus: events.IEventBus;
  /** @default - a new VPC: 2 AZs, one NAT gateway, an S3 gateway endpoint, flow logs */
  readonly vpc?: ec2.IVpc;
  /** Upper bound of the compute environment (0 when idle). @default 64 */
  readonly maxvCpus?: number;
  /**
   * Spot capacity first (cheaper, can be reclaimed: the job resumes from its last checkpoint), with
   * an on-demand compute environment behind it in the queue for when Spot has none. @default false
   */
  readonly spot?: boolean;
  /** Checkpoint interval of the job, seconds (well inside Spot's two-minute notice). @default 60 */
  readonly checkpointSeconds?: number;
  /** @default DEFAULT_GPU_INSTANCE_TYPES */
  readonly instanceTypes?: readonly string[];
  /** vCPUs per job. @default 4 */
  readonly jobVcpus?: number;
  /** Memory per job (g4dn.xlarge has 16 GiB, part of it kept by ECS). @default Size.gibibytes(12) */
  readonly jobMemory?: Size;
  /** @default Duration.hours(12) */
  readonly jobTimeout?: Duration;
  /** Attempts per job; only host evictions (Spot reclaims, host failures) are retried. @default 3 */
  readonly jobRetryAttempts?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Directory used as the Docker build context; the Dockerfile is `batch/Dockerfile` in it. @default the repository root */
  readonly imageContextDir?: string;
}

/**
 * AWS Batch GPU capacity for large runs: a managed EC2 compute environment of GPU instances
 * (scales to zero), a job queue, and a job definition running the shardtrain image
 * (`batch/Dockerfile`, tfjs-node-gpu) with one GPU. The image is built at deploy time only;
 * `cdk synth` just hashes the build context.
 */
export class GpuBatch extends Construct {
  public readonly vpc: ec2.IVpc;
  /** The first compute environment of the queue (Spot when `spot` is set). */
  public readonly computeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  /** The on-demand fallback behind the Spot environment; undefined without `spot`. */
  public readonly onDemandFallback: batch.ManagedEc2EcsComputeEnvironment | undefined;
  public readonly jobQueue: batch.JobQueue;
  public readonly jobDefinition: batch.EcsJobDefinition;
  public readonly jobRole: iam.Role;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: GpuBatchProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.vpc = props.vpc ?? this.createVpc(logRetention);

    const environment = (id: string, spot: boolean): batch.ManagedEc2EcsComputeEnvironment => {
      const ce = new batch.ManagedEc2EcsComputeEnvironment(this, id, {
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        instanceTypes: (props.instanceTypes ?? DEFAULT_GPU_INSTANCE_TYPES).map(
          (t) => new ec2.InstanceType(t),
        ),
        useOptimalInstanceClasses: false, // "optimal" means CPU-only families
        images: [{ imageType: batch.EcsMachineImageType.ECS_AL2_NVIDIA }],
        spot,
        // Spot: the pools least likely to be reclaimed, at the lowest price among them.
        ...(spot ? { allocationStrategy: batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED } : {}),
        minvCpus: 0,
        maxvCpus: props.maxvCpus ?? 64,
        updateToLatestImageVersion: true,
      });
      acknowledge(
        ce,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
        'The ECS container-instance role needs the ECS agent permissions; AWS keeps this managed policy current with the agent.',
      );
      return ce;
    };
    const spot = props.spot ?? false;
    this.computeEnvironment = environment('ComputeEnvironment', spot);
    // The queue tries its environments in order: Spot first, on-demand when Spot has no capacity.
    this.onDemandFallback = spot ? environment('OnDemandComputeEnvironment', false) : undefined;
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [
        { computeEnvironment: this.computeEnvironment, order: 1 },
        ...(this.onDemandFallback !== undefined
          ? [{ computeEnvironment: this.onDemandFallback, order: 2 }]
          : []),
      ],
    });

    this.logGroup = new logs.LogGroup(this, 'JobLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'shardtrain Batch GPU training job',
    });
    const p = BUCKET_PREFIXES;
    // Same as the aggregator: it registers the model and runs the pipeline gate.
    const access = { read: [p.processed], write: [p.jobs, p.scratch, p.registry, p.pipelines] };
    for (const prefix of access.read) props.bucket.grantRead(this.jobRole, `${prefix}*`);
    for (const prefix of access.write) props.bucket.grantReadWrite(this.jobRole, `${prefix}*`);
    acknowledgePrefixGrants(this.jobRole, props.bucket, access);
    props.eventBus.grantPutEventsTo(this.jobRole);

    this.jobDefinition = new batch.EcsJobDefinition(this, 'JobDefinition', {
      timeout: props.jobTimeout ?? Duration.hours(12),
      retryAttempts: props.jobRetryAttempts ?? 3,
      // A host eviction (Spot reclaim: status reason "Host EC2 (instance i-…) terminated.") is
      // retried and resumes from the last checkpoint; the job's own failure is final. The same
      // rule as HOST_EVICTION_RETRY in lib/adapters/aws/batch-job-launcher.ts.
      retryStrategies: [
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: 'Host EC2*' })),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onReason: '*' })),
      ],
      container: new batch.EcsEc2ContainerDefinition(this, 'Container', {
        image: ecs.ContainerImage.fromAsset(props.imageContextDir ?? REPO_ROOT, {
          file: 'batch/Dockerfile',
          platform: Platform.LINUX_AMD64, // g4dn/g5 are x86_64
          exclude: [...BATCH_IMAGE_CONTEXT_EXCLUDE],
          ignoreMode: IgnoreMode.DOCKER,
        }),
        gpu: 1,
        cpu: props.jobVcpus ?? 4,
        memory: props.jobMemory ?? Size.gibibytes(12),
        jobRole: this.jobRole,
        logging: ecs.LogDriver.awsLogs({ logGroup: this.logGroup, streamPrefix: 'shardtrain' }),
        environment: {
          BUCKET_NAME: props.bucket.bucketName,
          EVENT_BUS_NAME: props.eventBus.eventBusName,
          // No SHARDTRAIN_BACKEND: the job picks tfjs on the GPU when one is visible, else the
          // deterministic CPU kernel, and logs which.
          SHARDTRAIN_CHECKPOINT_SECONDS: String(props.checkpointSeconds ?? 60),
          POWERTOOLS_SERVICE_NAME: 'shardtrain',
          POWERTOOLS_METRICS_NAMESPACE: 'Shardtrain',
        },
      }),
    });
    acknowledge(
      this.jobDefinition.container.executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to the asset repository.',
    );
  }

  /** Lets `grantee` submit jobs of this definition to this queue (nothing else). */
  public grantSubmitJob(grantee: iam.IGrantable): void {
    this.jobDefinition.grantSubmitJob(grantee, this.jobQueue);
  }

  private createVpc(logRetention: logs.RetentionDays): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'compute', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // Shards and state move over the free gateway endpoint, not the NAT gateway.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    return vpc;
  }
}
