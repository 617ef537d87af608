import {
  BatchClient,
  DescribeJobsCommand,
  type JobDetail,
  type RetryStrategy,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { NotFoundError } from '../../errors.js';
import type { JobLauncher, LaunchRequest, LaunchStatus } from '../../ports.js';
import { infrastructureError } from './aws-error.js';

/** Environment variable through which the container learns which shardtrain job it runs. */
export const JOB_ID_ENV = 'SHARDTRAIN_JOB_ID';

/**
 * Retry only when the host went away (a Spot reclaim or a host failure: Batch's status reason
 * starts "Host EC2 (instance …) terminated"); any other failure is the job's own and exits. The
 * job resumes from its last checkpoint. Same rule as the job definition's in `cdk/constructs/gpu-batch.ts`;
 * see the AWS Batch User Guide, "Automated job retries".
 */
export const HOST_EVICTION_RETRY: RetryStrategy = {
  attempts: 3,
  evaluateOnExit: [
    { onStatusReason: 'Host EC2*', action: 'RETRY' },
    { onReason: '*', action: 'EXIT' },
  ],
};

/** Options of {@link BatchJobLauncher}. */
export interface BatchJobLauncherOptions {
  /** Name or ARN of the Batch job queue (the GPU compute environment sits behind it). */
  readonly jobQueue: string;
  /** Name, `name:revision` or ARN of the job definition (image, vCPUs, GPUs, memory). */
  readonly jobDefinition: string;
  /** GPUs per job (a resource requirement override). @default 1 */
  readonly gpus?: number;
  /** @default HOST_EVICTION_RETRY */
  readonly retryStrategy?: RetryStrategy;
  /** @default new BatchClient({}) */
  readonly client?: BatchClient;
}

/**
 * {@link JobLauncher} on AWS Batch: `submit` is `SubmitJob` with the command, `SHARDTRAIN_JOB_ID`
 * and the request's environment (the spec key) and the GPU count as container overrides, and the
 * host-eviction retry strategy; `describe` is `DescribeJobs` mapped to
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
  private readonly gpus: number;
  private readonly retryStrategy: RetryStrategy;

  public constructor(options: BatchJobLauncherOptions) {
    this.jobQueue = options.jobQueue;
    this.jobDefinition = options.jobDefinition;
    this.gpus = options.gpus ?? 1;
    this.retryStrategy = options.retryStrategy ?? HOST_EVICTION_RETRY;
    this.client = options.client ?? new BatchClient({});
  }

  public async submit(request: LaunchRequest): Promise<{ launchId: string }> {
    const extra = Object.entries(request.environment ?? {}).map(([name, value]) => ({ name, value }));
    try {
      const out = await this.client.send(
        new SubmitJobCommand({
          jobName: batchJobName(request.jobName),
          jobQueue: this.jobQueue,
          jobDefinition: this.jobDefinition,
          containerOverrides: {
            command: [...request.command],
            environment: [{ name: JOB_ID_ENV, value: request.jobId }, ...extra],
            resourceRequirements: [{ type: 'GPU', value: String(this.gpus) }],
          },
          retryStrategy: this.retryStrategy,
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
