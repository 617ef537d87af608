import { pipelineSchema } from '../../lib/engine/pipelines/index.js';
import { jobSpecSchema } from '../../lib/engine/training/job-spec.js';
import { UsageError } from '../../lib/errors.js';
import { excerpt } from '../../lib/validation/text.js';

/**
 * Checks of the names `pipelines show|run <name>` and `status <jobId>` take, run before the
 * session opens the home or starts the local cloud: a name that could never have been stored is
 * refused at once (exit 2, one line), not after a cloud start and an object-key error. The rules
 * are the stored documents' own (the pipeline and job spec schemas), so the two cannot drift.
 */
export function assertPipelineName(name: string): string {
  if (!pipelineSchema.shape.name.safeParse(name).success)
    throw new UsageError(
      `pipeline name ${excerpt(name)} is not valid: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  return name;
}

/** Throws a `UsageError` unless `jobId` has the form every job id has (see: shardtrain jobs). */
export function assertJobId(jobId: string): string {
  if (!jobSpecSchema.shape.jobId.safeParse(jobId).success)
    throw new UsageError(
      `job id ${excerpt(jobId)} is not valid: job ids are 3-81 lowercase letters, digits or "-" (see: shardtrain jobs)`,
    );
  return jobId;
}
