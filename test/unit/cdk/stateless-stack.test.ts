import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GPU_INSTANCE_TYPES } from '../../../cdk/constructs/gpu-batch.js';
import { DEPLOYED_BATCH_SIZES } from '../../../lib/adapters/local/local-cloud.js';
import { resourceByPrefix, type SynthesizedApp, synthesizeApp } from './synth-app.js';

let synth: SynthesizedApp;
let template: Template;

/** The five shardtrain functions (the CDK's own custom-resource handlers run other runtimes). */
const shardtrainFunctions = () =>
  Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    id.startsWith('Functions'),
  );

const CONFIG_VARS = [
  'BUCKET_NAME',
  'WORK_QUEUE_URL',
  'AGGREGATE_QUEUE_URL',
  'EVENT_BUS_NAME',
  'BATCH_JOB_QUEUE',
  'BATCH_JOB_DEFINITION',
] as const;

beforeAll(() => {
  synth = synthesizeApp();
  template = synth.statelessTemplate;
});

describe('Class: ShardtrainStatelessStack', () => {
  describe('Method: constructor (functions)', () => {
    it('runs five Node.js 22 arm64 functions with active tracing and their own log groups', () => {
      // Assess
      const fns = shardtrainFunctions();
      expect(fns.map(([id]) => id.replace(/Function[0-9A-F]{8}$/, '')).sort()).toEqual([
        'FunctionsAggregator',
        'FunctionsPredict',
        'FunctionsPreprocess',
        'FunctionsRetrain',
        'FunctionsWorker',
      ]);
      for (const [, fn] of fns) {
        expect(fn.Properties.Runtime).toBe('nodejs22.x');
        expect(fn.Properties.Architectures).toEqual(['arm64']);
        expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        expect(fn.Properties.LoggingConfig.LogGroup.Ref).toMatch(/LogGroup/);
      }
    });

    it('gives every function the configuration variables', () => {
      // Assess
      for (const [, fn] of shardtrainFunctions()) {
        const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
        for (const name of CONFIG_VARS) expect(vars[name], name).toBeDefined();
        expect(vars).toMatchObject({
          SHARDTRAIN_KERNEL: 'wasm',
          POWERTOOLS_SERVICE_NAME: 'shardtrain',
          POWERTOOLS_METRICS_NAMESPACE: 'Shardtrain',
        });
      }
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            BUCKET_NAME: { 'Fn::ImportValue': 'ShardtrainStatefulStack-DataBucketName' },
            BATCH_JOB_QUEUE: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GpuBatchJobQueue'), 'JobQueueArn'] },
            BATCH_JOB_DEFINITION: { Ref: Match.stringLikeRegexp('^GpuBatchJobDefinition') },
          },
        },
      });
    });

    it('reserves concurrency for the worker only (20 from cdk.json)', () => {
      // Assess
      const [, worker] = resourceByPrefix(template, 'AWS::Lambda::Function', 'FunctionsWorkerFunction');
      expect(worker.ReservedConcurrentExecutions).toBe(20);
      const reserved = shardtrainFunctions().filter(
        ([, f]) => f.Properties.ReservedConcurrentExecutions !== undefined,
      );
      expect(reserved).toHaveLength(1);
    });

    it('sets a retention on every log group', () => {
      // Assess: 5 functions + Batch job logs + VPC flow logs, one month each
      const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
      expect(groups).toHaveLength(7);
      for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('Method: constructor (outputs)', () => {
    it('outputs the Batch job queue and definition the CLI needs for --placement batch', () => {
      template.hasOutput('BatchJobQueue', {
        Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GpuBatchJobQueue'), 'JobQueueArn'] },
      });
      template.hasOutput('BatchJobDefinition', {
        Value: { Ref: Match.stringLikeRegexp('^GpuBatchJobDefinition') },
      });
    });
  });

  describe('Method: constructor (triggers)', () => {
    it('maps the work queue to the worker with partial batch failures and a concurrency cap', () => {
      // Assess
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: Match.stringLikeRegexp('^FunctionsWorkerFunction') },
        EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('QueuesWorkQueue') },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      });
    });

    it('maps the aggregate FIFO queue to the aggregator with partial batch failures', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: Match.stringLikeRegexp('^FunctionsAggregatorFunction') },
        EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('QueuesAggregateQueue') },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('batches as the local cloud does by default (1 work message, 10 aggregate messages)', () => {
      // Assess: the two mappings above, and the local cloud's defaults
      expect(DEPLOYED_BATCH_SIZES).toEqual({ worker: 1, aggregator: 10 });
    });

    it('triggers preprocess on ObjectCreated under datasets/ ending in .csv, .parquet or /_SUCCESS', () => {
      // Assess
      const [, notifications] = resourceByPrefix(
        template,
        'Custom::S3BucketNotifications',
        'DataBucketNotifications',
      );
      const config = notifications.NotificationConfiguration as {
        LambdaFunctionConfigurations: { Filter: { Key: { FilterRules: unknown[] } } }[];
      };
      expect(config.LambdaFunctionConfigurations[0]?.Filter.Key.FilterRules).toEqual(
        expect.arrayContaining([
          { Name: 'prefix', Value: 'datasets/' },
          { Name: 'suffix', Value: '.csv' },
        ]),
      );
      expect(config.LambdaFunctionConfigurations[1]?.Filter.Key.FilterRules).toEqual(
        expect.arrayContaining([
          { Name: 'prefix', Value: 'datasets/' },
          { Name: 'suffix', Value: '.parquet' },
        ]),
      );
      expect(config.LambdaFunctionConfigurations[2]?.Filter.Key.FilterRules).toEqual(
        expect.arrayContaining([
          { Name: 'prefix', Value: 'datasets/' },
          { Name: 'suffix', Value: '/_SUCCESS' },
        ]),
      );
      // Every object of a partitioned version reaches the function through exactly one rule
      // (S3 refuses overlapping rules), and a flat upload still does.
      const rules = config.LambdaFunctionConfigurations.map((c) =>
        Object.fromEntries(
          (c.Filter.Key.FilterRules as { Name: string; Value: string }[]).map((r) => [r.Name, r.Value]),
        ),
      );
      const matching = (key: string) =>
        rules.filter((r) => key.startsWith(r.prefix ?? '') && key.endsWith(r.suffix ?? '')).length;
      for (const key of [
        'datasets/d/data.csv',
        'datasets/d/v1/part-00000.csv',
        'datasets/d/v1/part-00001.parquet',
        'datasets/d/v1/_SUCCESS',
      ])
        expect(matching(key), key).toBe(1);
      expect(matching('datasets/d/v1/_SUCCESS.crc')).toBe(0);
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: { 'Fn::ImportValue': 'ShardtrainStatefulStack-DataBucketName' },
        NotificationConfiguration: {
          // One configuration per suffix (.csv, .parquet, /_SUCCESS), all to the preprocess function.
          LambdaFunctionConfigurations: [0, 1, 2].map(() => ({
            Events: ['s3:ObjectCreated:*'],
            Filter: Match.anyValue(),
            LambdaFunctionArn: {
              'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsPreprocessFunction'), 'Arn'],
            },
          })),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 's3.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsPreprocessFunction'), 'Arn'] },
      });
    });

    it('serves predict through a Function URL with IAM auth', () => {
      // Assess
      template.resourceCountIs('AWS::Lambda::Url', 1);
      template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'AWS_IAM',
        TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsPredictFunction'), 'Arn'] },
      });
    });

    it('runs retrain on the cron schedule from cdk.json', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsRetrainFunction'), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          }),
        ],
      });
    });
  });

  describe('Method: constructor (Batch)', () => {
    it('creates a Spot GPU compute environment that scales from 0 to 64 vCPUs', () => {
      // Assess
      template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
        Type: 'managed',
        ComputeResources: Match.objectLike({
          Type: 'SPOT',
          InstanceTypes: [...DEFAULT_GPU_INSTANCE_TYPES],
          MinvCpus: 0,
          MaxvCpus: 64,
          Ec2Configuration: [{ ImageType: 'ECS_AL2_NVIDIA' }],
        }),
      });
      expect(DEFAULT_GPU_INSTANCE_TYPES.every((t) => /^g(4dn|5)\./.test(t))).toBe(true);
      template.resourceCountIs('AWS::Batch::JobQueue', 1);
    });

    it('defines an EC2 job with one GPU, the asset image and a log group', () => {
      // Assess
      template.hasResourceProperties('AWS::Batch::JobDefinition', {
        Type: 'container',
        PlatformCapabilities: ['EC2'],
        ContainerProperties: Match.objectLike({
          Image: { 'Fn::Sub': Match.stringLikeRegexp('dkr\\.ecr\\..*container-assets') },
          ResourceRequirements: Match.arrayWith([{ Type: 'GPU', Value: '1' }]),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Environment: Match.arrayWith([{ Name: 'SHARDTRAIN_CHECKPOINT_SECONDS', Value: '60' }]),
        }),
      });
    });

    it('lets exactly the aggregator and retrain roles submit jobs, to this queue and definition', () => {
      // Prepare
      const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('batch:SubmitJob'),
      );

      // Assess
      expect(policies.map(([id]) => id.replace(/RoleDefaultPolicy.*$/, '')).sort()).toEqual([
        'FunctionsAggregator',
        'FunctionsRetrain',
      ]);
      for (const [, policy] of policies) {
        const submit = (
          policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]
        ).find((st) => st.Action === 'batch:SubmitJob');
        expect(submit?.Resource).toHaveLength(2);
        expect(submit?.Resource).toEqual(
          expect.arrayContaining([
            { Ref: expect.stringMatching(/^GpuBatchJobDefinition/) },
            { 'Fn::GetAtt': [expect.stringMatching(/^GpuBatchJobQueue/), 'JobQueueArn'] },
          ]),
        );
      }
    });
  });

  describe('Method: constructor (alarms)', () => {
    it('alarms when a dead-letter queue holds a message', () => {
      // Assess
      const dlqAlarms = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: {
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Namespace: 'AWS/SQS',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        },
      });
      expect(Object.keys(dlqAlarms)).toHaveLength(2);
    });

    it('alarms on errors of each of the five functions', () => {
      // Assess
      const errorAlarms = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0, Statistic: 'Sum' },
      });
      expect(Object.keys(errorAlarms)).toHaveLength(5);
    });

    it('routes FAILED Batch jobs to the alarm topic and alarms on them', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.batch'],
          'detail-type': ['Batch Job State Change'],
          detail: { status: ['FAILED'] },
        },
        Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } })],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Events',
        MetricName: 'TriggeredRules',
        Dimensions: [{ Name: 'RuleName', Value: { Ref: Match.stringLikeRegexp('^AlarmsBatchJobFailed') } }],
      });
      template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    });
  });
});
