import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GPU_INSTANCE_TYPES, GpuBatch } from '../../../cdk/constructs/gpu-batch.js';

describe('Class: GpuBatch', () => {
  let app: App;
  let template: Template;
  beforeAll(() => {
    app = new App();
    const stack = new Stack(app, 'GpuBatchTest', { env: { account: '123456789012', region: 'us-east-1' } });
    new GpuBatch(stack, 'GpuBatch', {
      bucket: new s3.Bucket(stack, 'Bucket'),
      eventBus: new events.EventBus(stack, 'Bus'),
      spot: true,
    });
    template = Template.fromStack(stack);
  }, 240_000); // hashing the image's build context (the repository root) is slow on a loaded machine

  describe('Method: constructor (spot: true)', () => {
    it('builds the job image from batch/Dockerfile as a Docker image asset (linux/amd64)', () => {
      // Prepare: the assets cdk deploy publishes are listed in the stack's asset manifest.
      const assembly = app.synth();
      const manifests = assembly.artifacts.filter((a) => a instanceof AssetManifestArtifact);
      const images = manifests.flatMap((m) => Object.values(m.contents.dockerImages ?? {}));

      // Assess
      expect(images).toHaveLength(1);
      expect(images[0]!.source).toMatchObject({ dockerFile: 'batch/Dockerfile', platform: 'linux/amd64' });
      template.hasResourceProperties('AWS::Batch::JobDefinition', {
        ContainerProperties: Match.objectLike({
          Image: { 'Fn::Sub': Match.stringLikeRegexp('dkr\\.ecr\\..*container-assets') },
        }),
      });
    });

    it('puts GPU instances on Spot first and on-demand behind them in the queue', () => {
      // Assess: two managed environments of GPU instances, Spot and on-demand (CloudFormation "EC2")
      for (const type of ['SPOT', 'EC2']) {
        template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
          ComputeResources: Match.objectLike({
            Type: type,
            InstanceTypes: [...DEFAULT_GPU_INSTANCE_TYPES],
            MinvCpus: 0,
            Ec2Configuration: [{ ImageType: 'ECS_AL2_NVIDIA' }],
          }),
        });
      }
      expect(DEFAULT_GPU_INSTANCE_TYPES.every((t) => /^g(4dn|5)\./.test(t))).toBe(true);
      const environments = template.findResources('AWS::Batch::ComputeEnvironment');
      const spotId = Object.keys(environments).find(
        (id) => (environments[id]!.Properties.ComputeResources as { Type: string }).Type === 'SPOT',
      )!;
      const demandId = Object.keys(environments).find((id) => id !== spotId)!;
      template.hasResourceProperties('AWS::Batch::JobQueue', {
        ComputeEnvironmentOrder: [
          { ComputeEnvironment: { 'Fn::GetAtt': [spotId, 'ComputeEnvironmentArn'] }, Order: 1 },
          { ComputeEnvironment: { 'Fn::GetAtt': [demandId, 'ComputeEnvironmentArn'] }, Order: 2 },
        ],
      });
    });

    it('asks for one GPU and retries host evictions only', () => {
      template.hasResourceProperties('AWS::Batch::JobDefinition', {
        ContainerProperties: Match.objectLike({
          ResourceRequirements: Match.arrayWith([{ Type: 'GPU', Value: '1' }]),
        }),
        RetryStrategy: {
          Attempts: 3,
          EvaluateOnExit: [
            { OnStatusReason: 'Host EC2*', Action: 'RETRY' },
            { OnReason: '*', Action: 'EXIT' },
          ],
        },
      });
    });
  });
});
