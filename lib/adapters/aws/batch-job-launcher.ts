import { BatchClient, DescribeJobsCommand, type JobDetail, SubmitJobCommand } from '@aws-sdk/client-batch';
import { NotFoundError } from '../../errors.js';
import type { JobLauncher, LaunchStatus } from '../../ports.js';
import { infrastructureError } from './aws-error.js';

/** Environment variable through which the container learns which shardtrain job it runs. */
export const JOB_ID_ENV = 'SHARDTRAIN_JOB_ID';

/** Options of {@link BatchJobLauncher}. */
export interface BatchJobLauncherOptions {
  /** Name or ARN of the Batch job queue (the GPU compute environment sits behind it). */
  readonly jobQueue: string;
  /** Name, `name:revision` or ARN of the job definition (image, vCPUs, GPUs, memory). */
  readonly jobDefinition: string;
  /** @default new BatchClient({}) */
  readonly client?: BatchClient;
}

/**
 * {@link JobLauncher} on AWS Batch: `submit` is `SubmitJob` with the command and
 * `SHARDTRAIN_JOB_ID` as container overrides; `describe` is `DescribeJobs` mapped to
 * {@link LaunchStatus}. The launch id is the Batch job id.
 *
 * @example
 * ```ts
 * const launcher = new BatchJobLauncher({ jobQueue: 'shardtrain-gpu', jobDefinition: 'shardtrain-train' });
 * const { launchId } = await launcher.submit({ jobId, jobName: `train-${jobId}`, command: ['train', jobId] });
 * const status = await launcher.describe(launchId); // { status: 'runnable' } … { status: 'succeeded' }
 * ```
 */
export class BatchJobLauncher implements JobLauncher {
  private readonly jobQueue: string;
  private readonly jobDefinition: string;
  private readonly client: BatchClient;

  public constructor(options: BatchJobLauncherOptions) {
    this.jobQueue = options.jobQueue;
    this.jobDefinition = options.jobDefinition;
    this.client = options.client ?? new BatchClient({});
  }

  public async submit(request: {
    jobId: string;
    jobName: string;
    command: readonly string[];
  }): Promise<{ launchId: string }> {
    try {
      const out = await this.client.send(
        new SubmitJobCommand({
          jobName: batchJobName(request.jobName),
          jobQueue: this.jobQueue,
          jobDefinition: this.jobDefinition,
          containerOverrides: {
            command: [...request.command],
            environment: [{ name: JOB_ID_ENV, value: request.jobId }],
          },
        }),
      );
      if (out.jobId === undefined) throw new Error('the response carried no jobId');
      return { launchId: out.jobId };
    } catch (error) {
      throw infrastructureError(`Batch SubmitJob for job ${request.jobId} on queue ${this.jobQueue}`, error);
    }
  }

  public async describe(launchId: string): Promise<LaunchStatus> {
    let job: JobDetail | undefined;
    try {
      const out = await this.client.send(new DescribeJobsCommand({ jobs: [launchId] }));
      job = out.jobs?.find((j) => j.jobId === launchId) ?? out.jobs?.[0];
    } catch (error) {
      throw infrastructureError(`Batch DescribeJobs ${launchId}`, error);
    }
    if (job === undefined) {
      // Batch forgets finished jobs after about 7 days; an unknown id is also answered this way.
      throw new NotFoundError(`Batch job "${launchId}" does not exist (or finished more than ~7 days ago)`);
    }
    return toLaunchStatus(job);
  }
}

/** Maps a Batch job to the port's status, with the most specific failure reason Batch gives. */
export function toLaunchStatus(job: JobDetail): LaunchStatus {
  switch (job.status) {
    case 'SUBMITTED':
      return { status: 'submitted' };
    case 'PENDING':
      return { status: 'pending' };
    case 'RUNNABLE':
      return { status: 'runnable' };
    case 'STARTING':
      return { status: 'starting' };
    case 'RUNNING':
      return { status: 'running' };
    case 'SUCCEEDED':
      return { status: 'succeeded' };
    case 'FAILED':
      return { status: 'failed', reason: failureReason(job) };
    default:
      return { status: 'failed', reason: `unknown Batch job status "${String(job.status)}"` };
  }
}

function failureReason(job: JobDetail): string {
  const parts: string[] = [];
  if (job.statusReason) parts.push(job.statusReason);
  const container = job.container;
  if (container?.reason) parts.push(container.reason);
  if (container?.exitCode !== undefined) parts.push(`exit code ${container.exitCode}`);
  return parts.length > 0 ? parts.join('; ') : 'Batch gave no reason';
}

/** Batch job names: 1–128 letters, digits, hyphens and underscores, starting alphanumeric. */
export function batchJobName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned === '' ? 'shardtrain' : cleaned).slice(0, 128);
}
