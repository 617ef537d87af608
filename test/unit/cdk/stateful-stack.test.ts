import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_PREFIXES, DataBucket } from '../../../cdk/constructs/data-bucket.js';
import { visibilityTimeoutFor } from '../../../cdk/constructs/training-queues.js';
import { keys } from '../../../lib/engine/keys.js';
import { resourceByPrefix, type SynthesizedApp, synthesizeApp } from './synth-app.js';

let synth: SynthesizedApp;
let template: Template;

beforeAll(() => {
  synth = synthesizeApp();
  template = synth.statefulTemplate;
});

describe('Class: ShardtrainStatefulStack', () => {
  describe('Method: constructor (data bucket)', () => {
    it('encrypts, blocks public access and versions the data bucket', () => {
      // Assess
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^DataAccessLogs') } },
      });
      template.resourceCountIs('AWS::S3::Bucket', 2); // data + access logs
    });

    it('denies every request without TLS on both buckets', () => {
      // Assess: enforceSSL is a Deny on aws:SecureTransport=false
      const bucketPolicies = template.findResources('AWS::S3::BucketPolicy', {
        Properties: {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        },
      });
      expect(Object.keys(bucketPolicies)).toHaveLength(2);
    });

    it('expires scratch/ after 7 days (cdk.json) and old versions after 30 days', () => {
      // Assess
      template.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'scratch/', ExpirationInDays: 7, Status: 'Enabled' }),
            Match.objectLike({
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
            }),
          ]),
        },
      });
    });

    it('takes the scratch expiry from its props', () => {
      // Prepare
      const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Bucket');

      // Act
      new DataBucket(stack, 'Data', { scratchExpiryDays: 3 });

      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ Prefix: 'scratch/', ExpirationInDays: 3 })]),
        },
      });
      expect(() => new DataBucket(stack, 'Bad', { scratchExpiryDays: 0 })).toThrow(/scratchExpiryDays/);
    });

    it('uses prefixes that agree with lib/engine/keys.ts', () => {
      // Assess
      expect(keys.upload('iris', 'data.csv').startsWith(BUCKET_PREFIXES.datasets)).toBe(true);
      expect(keys.uploadsPrefix).toBe(BUCKET_PREFIXES.datasets);
      expect(keys.manifest('iris', 'v1').startsWith(BUCKET_PREFIXES.processed)).toBe(true);
      expect(keys.job.spec('j1').startsWith(BUCKET_PREFIXES.jobs)).toBe(true);
      expect(keys.job.result('j1', 3, 2).startsWith(BUCKET_PREFIXES.scratch)).toBe(true);
      expect(keys.calibration.prefix).toBe(BUCKET_PREFIXES.calibration);
      expect(keys.calibration.lambda(2048, 'linear', 'j1').startsWith(BUCKET_PREFIXES.calibration)).toBe(
        true,
      );
    });
  });

  describe('Method: constructor (queues)', () => {
    it('creates a standard work queue and a FIFO aggregate queue, each with a DLQ', () => {
      // Assess
      template.resourceCountIs('AWS::SQS::Queue', 4);
      const fifo = template.findResources('AWS::SQS::Queue', {
        Properties: { FifoQueue: true, ContentBasedDeduplication: false },
      });
      expect(Object.keys(fifo)).toHaveLength(2);
      for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
        expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      }
    });

    it('redrives to the matching DLQ after 5 receives', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueuesWorkDlq'), 'Arn'] },
          maxReceiveCount: 5,
        },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueuesAggregateDlq'), 'Arn'] },
          maxReceiveCount: 5,
        },
      });
    });

    it('denies non-TLS access on all four queues', () => {
      // Assess
      const policies = template.findResources('AWS::SQS::QueuePolicy', {
        Properties: {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        },
      });
      expect(Object.keys(policies)).toHaveLength(4);
    });

    it('sets visibility timeouts to at least 6 x the consuming function timeout', () => {
      // Prepare
      const [, workQueue] = resourceByPrefix(template, 'AWS::SQS::Queue', 'QueuesWorkQueue');
      const [, aggregateQueue] = resourceByPrefix(template, 'AWS::SQS::Queue', 'QueuesAggregateQueue');
      const [, worker] = resourceByPrefix(
        synth.statelessTemplate,
        'AWS::Lambda::Function',
        'FunctionsWorkerFunction',
      );
      const [, aggregator] = resourceByPrefix(
        synth.statelessTemplate,
        'AWS::Lambda::Function',
        'FunctionsAggregatorFunction',
      );

      // Assess: both functions time out after 120 s, so 6 x 120 = 720 s
      expect(worker.Timeout).toBe(120);
      expect(aggregator.Timeout).toBe(120);
      expect(workQueue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (worker.Timeout as number));
      expect(aggregateQueue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (aggregator.Timeout as number));
      expect(workQueue.VisibilityTimeout).toBe(720);
    });
  });

  describe('Method: constructor (event bus)', () => {
    it('creates one custom registry event bus', () => {
      // Assess
      template.resourceCountIs('AWS::Events::EventBus', 1);
    });
  });
});

describe('Function: visibilityTimeoutFor', () => {
  it('is 6 x the timeout plus the batching window', () => {
    // Assess: 6 x 120 = 720; 6 x 30 + 20 = 200
    expect(visibilityTimeoutFor(Duration.minutes(2)).toSeconds()).toBe(720);
    expect(visibilityTimeoutFor(Duration.seconds(30), Duration.seconds(20)).toSeconds()).toBe(200);
  });

  it('refuses timeouts beyond the SQS maximum of 12 h', () => {
    // Assess: 6 x 7200 = 43200 = 12 h exactly is allowed; one more second is not
    expect(visibilityTimeoutFor(Duration.hours(2)).toSeconds()).toBe(43_200);
    expect(() => visibilityTimeoutFor(Duration.seconds(7201))).toThrow(/12 h/);
  });
});
