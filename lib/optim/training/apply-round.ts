import { ProtocolError } from '../../errors.js';
import { paramCount } from '../models/model-spec.js';
import { addL2Gradient, l2Penalty } from '../models/regularization.js';
import { createOptimizer } from '../optimizers/create-optimizer.js';
import type { OptimizerState } from '../optimizers/optimizer.js';
import { PLATEAU_DEFAULTS, PlateauController } from '../schedules/plateau-controller.js';
import { applySolverRound, isSolverConfig } from '../solvers/solver-round.js';
import type { StopReason } from '../stopping/stopping-rules.js';
import { gradientConverged, l2Norm, lossStalled, updateNoImprovement } from '../stopping/stopping-rules.js';
import type { ShardResult } from './compute-task.js';
import { currentLearningRate } from './learning-rate.js';
import type { TrainConfig } from './train-config.js';
import type { EpochRecord, RoundRecord, TrainState } from './train-state.js';

/**
 * The server step. Returns a NEW state (the input is not touched). In order:
 * 1. checks every result is for this round and that `results[p].partition === p`;
 * 2. sums in partition order, divides by the total rows, adds the L2 gradient λw (once, here);
 *    local-sgd: the row-weighted mean delta Δ̄ = Σ rows_p·Δ_p / Σ rows_p becomes the pseudo-gradient
 *    g = −Δ̄/lr, so a `plain` server optimizer gives exactly θ ← θ + Δ̄ (FedAvg);
 * 3. lr = schedule(round) (or the plateau controller's lr), applies the optimizer (first zeroing its
 *    momentum when `adaptiveRestart` is on and the full-batch loss went up);
 * 4. records {loss, ‖g‖, lr}, closes the epoch when its last step is in, applies the stop rules
 *    (grad-tol on full-batch gradients, tol on epoch losses, max-epochs, max-steps; a non-finite
 *    loss/gradient stops with `diverged` and leaves the params as they were).
 * Bit-reproducible: the same state and results always give the same bytes.
 */
export function applyRound(
  config: TrainConfig,
  state: TrainState,
  results: readonly ShardResult[],
): TrainState {
  if (state.status.status !== 'running') {
    throw new ProtocolError(
      `training is done (${state.status.reason}); round ${state.round} cannot be applied`,
    );
  }
  if (isSolverConfig(config)) return applySolverRound(config, state, results);
  const n = paramCount(config.spec);
  validateResults(config, state, results, n);
  const first = results[0]!;
  const params = Float64Array.from(state.params);
  let totalRows = 0;
  let lossSum = 0;
  for (const r of results) {
    totalRows += r.rows;
    lossSum += r.lossSum;
  }
  if (totalRows === 0) throw new ProtocolError(`round ${state.round}: every partition returned 0 rows`);
  const lr = currentLearningRate(config, state);
  const penalty = l2Penalty(config.spec, params);
  const loss = lossSum / totalRows + penalty;
  const g = new Float64Array(n);
  let fullGradient = false;
  let gradNorm: number;
  if (first.kind === 'gradient') {
    for (const r of results) {
      const gs = (r as ShardResult & { kind: 'gradient' }).gradSum;
      for (let i = 0; i < n; i++) g[i] = g[i]! + gs[i]!;
    }
    for (let i = 0; i < n; i++) g[i] = g[i]! / totalRows;
    addL2Gradient(config.spec, params, g);
    gradNorm = l2Norm(g);
    fullGradient = config.algorithm === 'batch';
  } else {
    for (const r of results) {
      const dl = (r as ShardResult & { kind: 'delta' }).delta;
      for (let i = 0; i < n; i++) g[i] = g[i]! + r.rows * dl[i]!;
    }
    for (let i = 0; i < n; i++) g[i] = -(g[i]! / totalRows) / lr;
    gradNorm = l2Norm(g) / first.steps;
  }
  const record: RoundRecord = { round: state.round, epoch: state.epoch, loss, gradNorm, lr };
  const history = [...state.history.slice(-(config.historyLimit - 1)), record];
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
    return { ...state, round: state.round + 1, history, status: { status: 'done', reason: 'diverged' } };
  }
  const optimizer = createOptimizer(config.optimizer, n);
  const restart = config.adaptiveRestart && fullGradient && state.lastLoss !== null && loss > state.lastLoss;
  optimizer.setWeights(restart ? withoutMomentum(state.optimizer) : state.optimizer);
  optimizer.applyGradients(params, g, lr);
  const gradNorm0 = state.gradNorm0 ?? (fullGradient ? gradNorm : null);

  let { epoch, bestLoss, noImprovementCount, plateau, epochLossSum, epochRows } = state;
  let epochs: EpochRecord[] = state.epochs;
  epochLossSum += lossSum + penalty * totalRows;
  epochRows += totalRows;
  let stepInEpoch = first.step + first.steps;
  const endsEpoch = stepInEpoch >= first.stepsPerEpoch;
  if (endsEpoch) {
    const epochLoss = epochLossSum / epochRows;
    epochs = [...epochs.slice(-(config.historyLimit - 1)), { epoch, loss: epochLoss }];
    const previous =
      config.algorithm === 'batch' ? (state.epochs[state.epochs.length - 1]?.loss ?? null) : null;
    const ni = updateNoImprovement(
      { best: bestLoss, count: noImprovementCount },
      epochLoss,
      config.tol,
      previous,
    );
    bestLoss = ni.best;
    noImprovementCount = ni.count;
    if (plateau !== null && config.schedule.kind === 'plateau') {
      const s = config.schedule;
      const ctl = new PlateauController(
        {
          factor: s.factor ?? PLATEAU_DEFAULTS.factor,
          patience: s.patience ?? PLATEAU_DEFAULTS.patience,
          threshold: s.threshold ?? PLATEAU_DEFAULTS.threshold,
          minLr: s.minLr ?? PLATEAU_DEFAULTS.minLr,
          cooldown: s.cooldown ?? PLATEAU_DEFAULTS.cooldown,
        },
        plateau,
      );
      ctl.observe(epochLoss);
      plateau = ctl.getState();
    }
    epoch += 1;
    stepInEpoch = 0;
    epochLossSum = 0;
    epochRows = 0;
  }
  const round = state.round + 1;
  let reason: StopReason | null = null;
  if (!params.every(Number.isFinite)) reason = 'diverged';
  else if (fullGradient && gradNorm0 !== null && gradientConverged(gradNorm, gradNorm0, config.gradTol))
    reason = 'grad-tol';
  else if (endsEpoch && lossStalled({ best: bestLoss, count: noImprovementCount }, config.nIterNoChange))
    reason = 'tol';
  else if (epoch >= config.maxEpochs) reason = 'max-epochs';
  else if (config.maxSteps !== null && round >= config.maxSteps) reason = 'max-steps';
  return {
    v: 1,
    round,
    epoch,
    stepInEpoch,
    params: reason === 'diverged' ? state.params : Array.from(params),
    optimizer: reason === 'diverged' ? state.optimizer : optimizer.getWeights(),
    plateau,
    bestLoss,
    noImprovementCount,
    gradNorm0,
    lastLoss: loss,
    epochLossSum,
    epochRows,
    history,
    epochs,
    status: reason === null ? { status: 'running' } : { status: 'done', reason },
    solver: null,
  };
}

/** The same optimizer state with the first moment (momentum accumulation / Adam m) zeroed. */
function withoutMomentum(s: OptimizerState): OptimizerState {
  if (s.kind === 'momentum') return { ...s, accumulation: s.accumulation.map(() => 0) };
  if (s.kind === 'adam') return { ...s, m: s.m.map(() => 0) };
  return s;
}

function validateResults(
  config: TrainConfig,
  state: TrainState,
  results: readonly ShardResult[],
  n: number,
): void {
  if (results.length === 0) throw new ProtocolError(`round ${state.round}: no shard results`);
  const kind = config.sync === 'local-sgd' ? 'delta' : 'gradient';
  results.forEach((r, p) => {
    const where = `round ${state.round}, result ${p}`;
    if (r.round !== state.round) throw new ProtocolError(`${where} is for round ${r.round}`);
    if (r.partition !== p)
      throw new ProtocolError(`${where} is from partition ${r.partition}; pass results in partition order`);
    if (r.kind !== kind) throw new ProtocolError(`${where} is a ${r.kind} result, expected ${kind}`);
    const vec = r.kind === 'gradient' ? r.gradSum : r.kind === 'delta' ? r.delta : [];
    if (vec.length !== n) throw new ProtocolError(`${where} has ${vec.length} values, expected ${n}`);
    if (r.step !== state.stepInEpoch)
      throw new ProtocolError(`${where} is for step ${r.step}, expected ${state.stepInEpoch}`);
  });
}
