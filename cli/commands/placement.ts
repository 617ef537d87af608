import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LocalJobLauncher } from '../../lib/adapters/local/local-job-launcher.js';
import { batchEntryPoint as builtBatchEntryPoint } from '../../lib/app/index.js';
import type { DatasetManifest } from '../../lib/data/index.js';
import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { storedModelDocument } from '../../lib/engine/serving/model-artifact.js';
import type { JobPlan } from '../../lib/engine/training/job-plan.js';
import type { JobPlacement, JobSpec } from '../../lib/engine/training/job-spec.js';
import { writeJsonIfAbsent } from '../../lib/engine/training/job-store.js';
import { InfrastructureError, UsageError } from '../../lib/errors.js';
import { selectBackend } from '../../lib/optim/index.js';
import {
  type CostModel,
  calibrateKernel,
  chooseLocalPlacement,
  choosePlacement,
  costModelForHost,
  DEFAULT_COST_MODEL,
  type KernelCalibration,
  type PlacementCandidate,
  type PlacementChoice,
  type PlacementDecisionSummary,
  workloadOf,
} from '../../lib/planner/index.js';
import type { JobLauncher, LaunchStatus } from '../../lib/ports.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';

const calibrationSchema = z.object({
  v: z.literal(1),
  kernel: z.string(),
  machine: z.string(),
  rows: z.number(),
  features: z.number(),
  repetitions: z.number(),
  seconds: z.number(),
  rowFeaturesPerSecond: z.number().positive(),
  measuredAt: z.string(),
});

/** This machine, as the calibration cache names it: host, CPU model and core count. */
export function machineKey(): string {
  const cpus = os.cpus();
  const raw = `${os.hostname()}-${cpus[0]?.model ?? 'cpu'}-${cpus.length}c`;
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
}

/**
 * The kernel's measured throughput on this machine: read from `<home>/calibration/<machine>.json`,
 * or measured (about 0.3 s) on first use, when the kernel changed, or when `fresh` is set.
 */
export async function hostCalibration(
  session: Session,
  fresh = false,
  measure = true,
): Promise<KernelCalibration> {
  const machine = machineKey();
  const dir = join(session.root, 'calibration');
  const file = join(dir, `${machine}.json`);
  if (!measure) {
    // A placement that was asked for: the cached figure if there is one, else the cost model's
    // per-vCPU figure × cores — no 0.3 s measurement for a note.
    try {
      return calibrationSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    } catch {
      return {
        v: 1,
        kernel: 'nominal',
        machine,
        rows: 0,
        features: 0,
        repetitions: 0,
        seconds: 0,
        rowFeaturesPerSecond: DEFAULT_COST_MODEL.rowFeaturesPerVcpuSecond * os.availableParallelism(),
        measuredAt: new Date(0).toISOString(),
      };
    }
  }
  const { kernel } = await selectBackend();
  if (!fresh) {
    try {
      const cached = calibrationSchema.parse(JSON.parse(await readFile(file, 'utf8')));
      if (cached.kernel === kernel.name && cached.machine === machine) return cached;
    } catch {
      // missing or unreadable: measure again
    }
  }
  const calibration = calibrateKernel(kernel, { machine });
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(calibration, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return calibration;
}

/** The cost model with this machine as the in-process host at its calibrated rate. */
export function hostCostModel(
  calibration: KernelCalibration,
  base: CostModel = DEFAULT_COST_MODEL,
): CostModel {
  return costModelForHost(
    calibration,
    { label: `this machine`, memoryMb: Math.floor(os.totalmem() / 1_048_576) },
    base,
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
  if (session.cloudKind === 'local') {
    const machine = {
      rowFeaturesPerSecond: calibration.rowFeaturesPerSecond,
      kernel: calibration.kernel,
      memoryMb: Math.floor(os.totalmem() / 1_048_576),
      workerThreads: session.workerThreads(),
    };
    return { ...chooseLocalPlacement(w, plan.partitions.length, machine), why };
  }
  return { ...choosePlacement(w, hostCostModel(calibration)), why };
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
