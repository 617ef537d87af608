import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import { storedModelDocument } from '../../lib/engine/serving/model-artifact.js';
import { readJobFailure, TrainingDivergedError } from '../../lib/engine/training/diverged.js';
import type { JobPlan } from '../../lib/engine/training/job-plan.js';
import type { JobPlacement, JobSpec } from '../../lib/engine/training/job-spec.js';
import { messageFailureReason } from '../../lib/engine/training/protocol.js';
import { latestRoundRecord } from '../../lib/engine/training/round-records.js';
import { InfrastructureError } from '../../lib/errors.js';
import type { TrainState } from '../../lib/optim/index.js';
import type { JobLauncher } from '../../lib/ports.js';
import { type Io, num, progressBar } from '../output.js';
import type { Session } from '../session.js';

/** What `train` and `resume` print (`--json`: one object with these fields). */
export interface TrainResult {
  readonly modelId: string;
  readonly jobId: string;
  readonly artifact: ModelArtifact;
  readonly backend: string;
  readonly runner: string;
  /** Where the job ran and why (`train --placement`). */
  readonly placement?: JobPlacement;
  readonly wallMs: number;
  /** How the model was fitted (absent for jobs that predate solvers). */
  readonly solver?: SolverSummary;
}

/** The solver, why it was chosen, why it stopped, and what it had to say (dropped columns…). */
export interface SolverSummary {
  readonly name: string;
  readonly reason: string;
  readonly stop: string;
  readonly notes: string[];
}

/** The summary of a finished job from its plan and final state; notes name the features. */
export function solverSummary(plan: JobPlan, spec: JobSpec, state: TrainState | undefined): SolverSummary {
  const name = (j: number): string =>
    spec.reduction === undefined ? (spec.features[j] ?? `feature ${j}`) : `component ${j + 1}`;
  const notes = (state?.solver?.notes ?? []).map((n) =>
    n.features.length === 0 ? n.message : `${n.message}: ${n.features.map(name).join(', ')}`,
  );
  const stop = state?.status.status === 'done' ? state.status.reason : 'running';
  return { name: plan.config.solver ?? 'gd', reason: plan.config.solverReason ?? '', stop, notes };
}

/**
 * Waits until the job's model is written and registered, showing round and loss. Gives up with
 * the recorded reason when one of the job's messages lands in a dead-letter queue.
 */
export async function waitForJob(
  session: Session,
  jobId: string,
  io: Io,
  show: boolean,
  launch?: { readonly launcher: JobLauncher; readonly launchId: string },
): Promise<ModelArtifact> {
  const { store } = session.home;
  const cloud = await session.startCloud();
  const bar = show ? progressBar(io, 1, 'training') : { update: () => undefined, stop: () => undefined };
  let lastCheck = 0;
  let seen = 0;
  try {
    for (;;) {
      if ((await store.head(keys.job.registered(jobId))) !== undefined) {
        const model = await readDocument(store, keys.job.model(jobId), storedModelDocument);
        if (model !== undefined) return model;
      }
      if (Date.now() - lastCheck > 500) {
        lastCheck = Date.now();
        const failure = await readJobFailure(store, jobId);
        if (failure !== undefined) throw new TrainingDivergedError(failure);
        const launched = launch === undefined ? undefined : await launch.launcher.describe(launch.launchId);
        if (launched?.status === 'failed' && (await store.head(keys.job.registered(jobId))) === undefined)
          throw new InfrastructureError(
            `Batch job ${launch?.launchId} (${jobId}) failed: ${launched.reason}`,
          );
        const last = await latestRoundRecord(store, jobId, seen);
        if (last !== undefined) {
          seen = last.round;
          bar.update(0, `round ${last.round} epoch ${last.epoch} loss ${num(last.loss)}`);
        }
        for (const dlq of cloud === undefined ? [] : [cloud.queues.workDlq, cloud.queues.aggregateDlq]) {
          for (const m of await dlq.peek()) {
            if (!m.body.includes(`"jobId":"${jobId}"`)) continue;
            const reason = await messageFailureReason(store, m.messageId);
            throw new InfrastructureError(
              `job ${jobId} stopped: a message went to ${dlq.name} after ${m.receiveCount} tries: ${reason ?? 'no reason recorded'}`,
            );
          }
        }
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    bar.stop();
  }
}

/** The `train --json` object, and its human form. */
export function printTrainResult(io: Io, r: TrainResult, json: boolean): void {
  const m = r.artifact;
  const out = {
    modelId: r.modelId,
    jobId: r.jobId,
    model: {
      kind: m.kind,
      target: m.target,
      features: m.features,
      ...(m.classes !== undefined ? { classes: m.classes } : {}),
      coefficients: m.coefficients,
      intercept: m.intercept,
    },
    metrics: m.metrics,
    steps: m.steps,
    ...(r.solver !== undefined ? { solver: r.solver } : {}),
    backend: r.backend,
    runner: r.runner,
    ...(r.placement !== undefined ? { placement: r.placement } : {}),
    wallMs: r.wallMs,
  };
  if (json) {
    io.out(JSON.stringify(out));
    return;
  }
  io.out(`model ${r.modelId} (${m.kind} regression on "${m.target}", job ${r.jobId})`);
  io.out(
    `  trained in ${m.steps} ${m.steps === 1 ? 'round' : 'rounds'}, ${(r.wallMs / 1000).toFixed(2)} s, training loss ${num(m.metrics.loss ?? Number.NaN)}`,
  );
  if (r.solver !== undefined) {
    io.out(`  solver ${r.solver.name} (${r.solver.reason}); stopped: ${r.solver.stop}`);
    for (const note of r.solver.notes) io.out(`  note: ${note}`);
  }
  if (typeof m.intercept === 'number') {
    io.out(`  intercept ${num(m.intercept)}`);
    for (const [f, c] of Object.entries(m.coefficients as Record<string, number>))
      io.out(`  ${f.padEnd(16)} ${num(c)}`);
  } else {
    for (const [cls, coefs] of Object.entries(m.coefficients as Record<string, Record<string, number>>)) {
      const b = (m.intercept as Record<string, number>)[cls] ?? 0;
      io.out(
        `  class ${cls}: intercept ${num(b)}; ${Object.entries(coefs)
          .map(([f, c]) => `${f} ${num(c)}`)
          .join(', ')}`,
      );
    }
  }
}
