import type { JobPlan } from '../../lib/engine/training/job-plan.js';
import { epochGeometry, maxRounds, paramCount } from '../../lib/optim/index.js';
import {
  AWS_ROUND_LATENCY,
  awsRoundLatency,
  DEFAULT_COST_MODEL,
  LOCAL_ROUND_OVERHEAD_SECONDS,
} from '../../lib/planner/index.js';

/** What `train` prints before it starts: how steps map to rounds, how many, and the expected time. */
export interface RoundPlanSummary {
  readonly mode: string;
  readonly maxRounds: number;
  /** The epoch cap of the gradient-descent family; null for the solvers (they count iterations). */
  readonly maxEpochs: number | null;
  /** Expected seconds per round on this runner: coordination + compute. */
  readonly roundSeconds: number;
  readonly expectedSeconds: number;
  /** The same rounds on AWS, from the per-round latency model. */
  readonly awsRoundSeconds: number;
}

/**
 * The plan line of `train`. Time per round = coordination (0 in-process,
 * {@link LOCAL_ROUND_OVERHEAD_SECONDS} on the local cloud, the AWS latency model's figure for W
 * workers) + compute (rows per round × (d+1) × outputs at the cost model's per-vCPU rate, spread
 * over the workers that run at once). An upper bound: stopping rules usually end sooner.
 */
export function summarizeRoundPlan(
  plan: JobPlan,
  runner: 'local' | 'inprocess',
  workerThreads = 2,
): RoundPlanSummary {
  const c = plan.config;
  const rows = plan.partitions.map((p) => p.rows);
  const n = rows.reduce((a, b) => a + b, 0);
  const w = rows.length;
  const { localBatch, stepsPerEpoch } = epochGeometry(c, rows);
  const rounds = maxRounds(c, rows);
  const solverMode =
    c.solver === 'normal'
      ? 'normal equations: one round of sufficient statistics (XᵀX, Xᵀy), then Cholesky'
      : c.solver === 'newton'
        ? 'Newton: every worker sends its gradient and Hessian sums each round'
        : c.solver === 'lbfgs'
          ? 'L-BFGS: every worker sends loss and gradient at four trial steps each round'
          : undefined;
  const mode =
    solverMode !== undefined
      ? solverMode
      : c.algorithm === 'batch'
        ? c.sync === 'local-sgd'
          ? `full batch, local SGD with ${c.localSteps} steps per round`
          : 'full batch, one gradient step per round'
        : c.sync === 'local-sgd'
          ? `local SGD: each of ${w} workers takes ${c.localSteps} steps of ${localBatch} rows per round, ` +
            `the server averages (${Math.ceil(stepsPerEpoch / c.localSteps)} rounds per epoch` +
            `${plan.grouping !== undefined ? '; grouped for the queues, --sync gd for one step per round' : ''})`
          : `${c.algorithm === 'sgd' ? 'SGD' : `mini-batch of ${c.batchSize}`}, one step per round (${stepsPerEpoch} rounds per epoch)`;
  const rowsPerRound =
    localBatch === 0 ? n * (c.sync === 'local-sgd' ? c.localSteps : 1) : localBatch * w * c.localSteps;
  // every model's multiply-adds per row are its parameter count (an mlp: forward + back-prop ≈ 3×)
  const params = paramCount(c.spec) * (c.spec.kind === 'mlp' ? 3 : 1);
  // Newton's Hessian sums cost ~params/2 times a gradient per row; L-BFGS evaluates four trial points.
  const perRow =
    c.solver === 'newton' ? params * (1 + params / 2) : c.solver === 'lbfgs' ? 4 * params : params;
  const work = Math.min(rowsPerRound, n * c.localSteps) * perRow;
  const rate = DEFAULT_COST_MODEL.rowFeaturesPerVcpuSecond;
  const parallel = runner === 'local' ? Math.min(w, workerThreads) : 1;
  const compute = work / rate / parallel;
  const roundSeconds = (runner === 'local' ? LOCAL_ROUND_OVERHEAD_SECONDS : 0) + compute;
  const aws = awsRoundLatency(AWS_ROUND_LATENCY, { workers: w, inlineState: true });
  return {
    mode,
    maxRounds: rounds,
    maxEpochs: solverMode === undefined ? c.maxEpochs : null,
    roundSeconds,
    expectedSeconds: rounds * roundSeconds,
    awsRoundSeconds: aws.seconds + work / rate / w,
  };
}

/** The summary as one line. */
export function roundPlanLine(s: RoundPlanSummary, runner: 'local' | 'inprocess'): string {
  const secs = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
  return (
    `plan: ${s.mode}; at most ${s.maxRounds} round${s.maxRounds === 1 ? '' : 's'}` +
    `${s.maxEpochs !== null ? ` (${s.maxEpochs} epochs)` : ''}, ` +
    `≤ ${secs(s.expectedSeconds)} s here at ~${(s.roundSeconds * 1000).toFixed(1)} ms per round ` +
    `(${runner === 'local' ? 'local cloud' : 'in-process'}); on AWS ~${(s.awsRoundSeconds * 1000).toFixed(0)} ms per round`
  );
}
