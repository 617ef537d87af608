import os from 'node:os';
import { join } from 'node:path';
import { LocalJobLauncher } from '../../lib/adapters/local/local-job-launcher.js';
import {
  hostCalibration as cachedHostCalibration,
  hostMlpCalibration as cachedMlpCalibration,
} from '../../lib/app/host-calibration.js';
import { batchEntryPoint as builtBatchEntryPoint } from '../../lib/app/index.js';
import type { DatasetManifest } from '../../lib/data/index.js';
import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { storedModelDocument } from '../../lib/engine/serving/model-artifact.js';
import type { JobPlan } from '../../lib/engine/training/job-plan.js';
import type { JobPlacement, JobSpec } from '../../lib/engine/training/job-spec.js';
import { writeJsonIfAbsent } from '../../lib/engine/training/job-store.js';
import { readLambdaMeasuredRates } from '../../lib/engine/training/lambda-calibration.js';
import { InfrastructureError, UsageError } from '../../lib/errors.js';
import {
  type CostModel,
  chooseLocalPlacement,
  choosePlacement,
  costModelForHost,
  DEFAULT_COST_MODEL,
  type KernelCalibration,
  type PlacementCandidate,
  type PlacementChoice,
  type PlacementDecisionSummary,
  withLambdaMeasurements,
  workloadOf,
} from '../../lib/planner/index.js';
import type { JobLauncher, LaunchStatus } from '../../lib/ports.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';

/**
 * The kernel's measured throughput on this machine, cached under the session's home
 * (`lib/app/host-calibration.ts`, shared with the runtime's planner).
 */
export function hostCalibration(session: Session, fresh = false, measure = true): Promise<KernelCalibration> {
  return cachedHostCalibration(session.root, { fresh, measure });
}

/** The MLP kernel's measured rate on this machine, cached under the session's home. */
export function hostMlpCalibration(
  session: Session,
  fresh = false,
  measure = true,
): Promise<KernelCalibration | undefined> {
  return cachedMlpCalibration(session.root, { fresh, measure });
}

/** The cost model with this machine as the in-process host at its calibrated rate(s). */
export function hostCostModel(
  calibration: KernelCalibration,
  base: CostModel = DEFAULT_COST_MODEL,
  mlp?: KernelCalibration,
): CostModel {
  return costModelForHost(
    calibration,
    { label: `this machine`, memoryMb: Math.floor(os.totalmem() / 1_048_576) },
    base,
    mlp,
  );
}

/**
 * The planner's decision for a job and every candidate it weighed. On AWS: this machine, Lambda
 * fan-outs and Batch GPU types at their prices ({@link choosePlacement}); on a local home: this
 * process, the local cloud and the Batch entry point in a child process, all on this machine at
 * $0 ({@link chooseLocalPlacement}).
 */
export async function planPlacement(
  session: Session,
  plan: JobPlan,
  manifest: DatasetManifest,
  measure = true,
): Promise<{ summary: PlacementDecisionSummary; candidates: PlacementCandidate[]; why: string }> {
  const calibration = await hostCalibration(session, false, measure);
  const workload = workloadOf(
    plan.config,
    plan.partitions.map((p) => p.rows),
    manifest.shardBytes,
  );
  const { why, ...w } = workload;
  const mlp = w.kernel === 'mlp' ? await hostMlpCalibration(session, false, measure) : undefined;
  if (session.cloudKind === 'local') {
    const machine = {
      rowFeaturesPerSecond: calibration.rowFeaturesPerSecond,
      kernel: calibration.kernel,
      ...(mlp !== undefined ? { mlpWorkPerSecond: mlp.rowFeaturesPerSecond } : {}),
      memoryMb: Math.floor(os.totalmem() / 1_048_576),
      workerThreads: session.workerThreads(),
    };
    return { ...chooseLocalPlacement(w, plan.partitions.length, machine), why };
  }
  const base = await awsBaseCostModel(session);
  return { ...choosePlacement(w, hostCostModel(calibration, base, mlp)), why };
}

/**
 * The AWS planner's base model: the default one with Lambda sizes the work Lambdas measured
 * (`calibration/lambda/` under the home) at their measured rates; the published figures elsewhere.
 */
export async function awsBaseCostModel(session: Session): Promise<CostModel> {
  return withLambdaMeasurements(DEFAULT_COST_MODEL, await readLambdaMeasuredRates(session.home.store));
}

/**
 * What the job spec stores: the placement asked for, where it runs (the planner's choice for
 * `auto`), and the planner's choice and reason either way.
 */
export function jobPlacement(requested: PlacementChoice, planned: PlacementDecisionSummary): JobPlacement {
  return {
    requested,
    placement: requested === 'auto' ? planned.placement : requested,
    planned: planned.label,
    reason: planned.reason,
    seconds: planned.seconds,
    dollars: planned.dollars,
    rounds: planned.rounds,
  };
}

/** The compiled Batch entry point (`dist/batch/main.js`, the file the image runs); a usage error without a build. */
export function batchEntryPoint(): string {
  const file = builtBatchEntryPoint();
  if (file === undefined)
    throw new UsageError('the Batch entry point dist/batch/main.js is missing; run npm run build');
  return file;
}

/** The job launcher of this session: a child process locally, the Batch job queue on AWS. */
export async function sessionLauncher(session: Session): Promise<{ launcher: JobLauncher; pollMs: number }> {
  if (session.cloudKind === 'aws') {
    const { jobQueue, jobDefinition } = session.batchResources();
    if (!jobQueue || !jobDefinition) {
      throw new UsageError(
        '--placement batch on AWS needs BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION (the stack outputs BatchJobQueue and BatchJobDefinition)',
      );
    }
    const { BatchJobLauncher } = await import('../../lib/adapters/aws/index.js');
    return { launcher: new BatchJobLauncher({ jobQueue, jobDefinition }), pollMs: 5000 };
  }
  const entry = batchEntryPoint();
  return {
    launcher: new LocalJobLauncher({
      command: [process.execPath, entry],
      logDir: join(session.root, 'launches'),
      env: { ...session.childEnv(), SHARDTRAIN_CLOUD: 'local', SHARDTRAIN_HOME: session.root },
    }),
    pollMs: 100,
  };
}

/**
 * `--placement batch`: stores the spec, submits the Batch entry point through the session's job
 * launcher with the spec's key, and follows the job to its end (launch status + the store).
 * Resolves with the stored model; a failed launch throws with Batch's (or the process's) reason.
 */
export async function runOnBatch(
  session: Session,
  spec: JobSpec,
  io: Io,
  verbose: boolean,
): Promise<{ artifact: ModelArtifact; launchId: string }> {
  const { store } = session.home;
  const specKey = keys.job.spec(spec.jobId);
  await writeJsonIfAbsent(store, specKey, spec);
  const { launcher, pollMs } = await sessionLauncher(session);
  const { launchId } = await launcher.submit({
    jobId: spec.jobId,
    jobName: `train-${spec.jobId}`,
    command: [spec.jobId],
    environment: { SHARDTRAIN_SPEC_KEY: specKey },
  });
  if (verbose) io.err(`batch: submitted ${spec.jobId} as ${launchId}`);
  let last: LaunchStatus['status'] | undefined;
  for (;;) {
    const status = await launcher.describe(launchId);
    if (verbose && status.status !== last) io.err(`batch: ${status.status}`);
    last = status.status;
    if (status.status === 'failed') {
      throw new InfrastructureError(`Batch job ${launchId} (${spec.jobId}) failed: ${status.reason}`);
    }
    if (status.status === 'succeeded') break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const artifact = await readDocument(store, keys.job.model(spec.jobId), storedModelDocument);
  if (artifact === undefined) {
    throw new InfrastructureError(
      `Batch job ${launchId} succeeded but ${keys.job.model(spec.jobId)} is missing`,
    );
  }
  return { artifact, launchId };
}
