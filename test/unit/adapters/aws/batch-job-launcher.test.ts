/**
 * BatchJobLauncher against a mocked BatchClient: there is no AWS Batch emulator on this machine
 * (nor a maintained one for Node), so every path uses aws-sdk-client-mock.
 */
import {
  BatchClient,
  BatchServiceException,
  DescribeJobsCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BatchJobLauncher, batchJobName } from '../../../../lib/adapters/aws/index.js';
import { InfrastructureError, NotFoundError } from '../../../../lib/errors.js';

const client = new BatchClient({ region: 'us-east-1' });
const batch = mockClient(client);

beforeEach(() => {
  batch.reset();
});

function launcher(): BatchJobLauncher {
  return new BatchJobLauncher({ jobQueue: 'gpu-queue', jobDefinition: 'train:3', client });
}

describe('Class: BatchJobLauncher', () => {
  describe('Method: submit', () => {
    it('submits the spec key, the job definition (the image), one GPU and the host-eviction retry', async () => {
      // Prepare
      batch.on(SubmitJobCommand).resolves({ jobId: 'batch-123', jobName: 'train-j1', jobArn: 'arn:x' });

      // Act
      const result = await launcher().submit({
        jobId: 'j1',
        jobName: 'train j1',
        command: ['j1'],
        environment: { SHARDTRAIN_SPEC_KEY: 'jobs/j1/spec.json' },
      });

      // Assess
      expect(result).toEqual({ launchId: 'batch-123' });
      expect(batch.commandCalls(SubmitJobCommand)[0]!.args[0].input).toEqual({
        jobName: 'train-j1',
        jobQueue: 'gpu-queue',
        jobDefinition: 'train:3',
        containerOverrides: {
          command: ['j1'],
          environment: [
            { name: 'SHARDTRAIN_JOB_ID', value: 'j1' },
            { name: 'SHARDTRAIN_SPEC_KEY', value: 'jobs/j1/spec.json' },
          ],
          resourceRequirements: [{ type: 'GPU', value: '1' }],
        },
        // A Spot reclaim ("Host EC2 (instance i-…) terminated.") is retried; the job's own failure is not.
        retryStrategy: {
          attempts: 3,
          evaluateOnExit: [
            { onStatusReason: 'Host EC2*', action: 'RETRY' },
            { onReason: '*', action: 'EXIT' },
          ],
        },
      });
    });

    it('wraps an API failure in InfrastructureError', async () => {
      const rejection = new BatchServiceException({
        name: 'ClientException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'queue is disabled',
      });
      batch.on(SubmitJobCommand).rejects(rejection);
      const submitting = launcher().submit({ jobId: 'j1', jobName: 'j1', command: [] });
      await expect(submitting).rejects.toBeInstanceOf(InfrastructureError);
      await expect(submitting).rejects.toThrow(/queue is disabled/);
    });
  });

  describe('Method: describe', () => {
    it.each([
      ['SUBMITTED', 'submitted'],
      ['PENDING', 'pending'],
      ['RUNNABLE', 'runnable'],
      ['STARTING', 'starting'],
      ['RUNNING', 'running'],
      ['SUCCEEDED', 'succeeded'],
    ] as const)('maps %s to %s', async (batchStatus, status) => {
      batch.on(DescribeJobsCommand).resolves({
        jobs: [
          { jobId: 'b1', jobName: 'n', jobQueue: 'q', jobDefinition: 'd', startedAt: 1, status: batchStatus },
        ],
      });
      expect(await launcher().describe('b1')).toEqual({ status });
      expect(batch.commandCalls(DescribeJobsCommand)[0]!.args[0].input).toEqual({ jobs: ['b1'] });
    });

    it('maps FAILED with the status reason, container reason and exit code', async () => {
      batch.on(DescribeJobsCommand).resolves({
        jobs: [
          {
            jobId: 'b1',
            jobName: 'n',
            jobQueue: 'q',
            jobDefinition: 'd',
            startedAt: 1,
            status: 'FAILED',
            statusReason: 'Essential container in task exited',
            container: { reason: 'OutOfMemoryError: Container killed due to memory usage', exitCode: 137 },
          },
        ],
      });
      expect(await launcher().describe('b1')).toEqual({
        status: 'failed',
        reason:
          'Essential container in task exited; OutOfMemoryError: Container killed due to memory usage; exit code 137',
      });
    });

    it('throws NotFoundError for a job Batch does not know', async () => {
      batch.on(DescribeJobsCommand).resolves({ jobs: [] });
      await expect(launcher().describe('nope')).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});

describe('Function: batchJobName', () => {
  it('keeps letters, digits, - and _, starts alphanumeric and stops at 128 characters', () => {
    expect(batchJobName('train job#1/round.2')).toBe('train-job-1-round-2');
    expect(batchJobName('__x')).toBe('x');
    expect(batchJobName('')).toBe('shardtrain');
    expect(batchJobName('a'.repeat(200))).toHaveLength(128);
  });
});
