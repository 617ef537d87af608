/**
 * Sync GD vs local SGD (model averaging): rounds and wall time until the full-data training loss
 * is within 1% of the optimum. Rounds are what a deployment pays queue round trips for, so local
 * SGD trades more computation per round (K local mini-batch steps) for fewer rounds.
 *
 * Method: one linear problem, 4 partitions. The optimum L* comes from a long full-batch run (it
 * stops on ‖g‖ ≤ 1e-6·‖g₀‖). Each variant then runs with the optimizer library's `fit` on the very
 * partitions a job loads, evaluating the exact loss after every round, to find R* = the first
 * round whose parameters reach 1.01·L*. Finally the same job, capped at R* rounds' worth of
 * epochs, runs through the in-process runner and the local cloud; wall time to target = when
 * the state of round R* existed, counted from the job's start (so it includes loading partitions).
 */
import path from 'node:path';
import { makeJobPlan } from '../lib/engine/training/job-plan.js';
import type { JobSpec, TrainOptions } from '../lib/engine/training/job-spec.js';
import { loadPartition } from '../lib/engine/training/partition-data.js';
import type { Batch, GradientKernel, ModelSpec, TrainConfig } from '../lib/optim/index.js';
import { epochGeometry, fit as fitModel, l2Penalty, selectBackend } from '../lib/optim/index.js';
import { BenchHome } from './bench-home.js';
import { intKnob, quickMode, roundTo, summarize } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

/** Mean loss (with the L2 term) of `params` over every row of every partition. */
function exactLoss(
  kernel: GradientKernel,
  spec: ModelSpec,
  params: Float64Array,
  parts: readonly Batch[],
): number {
  const g = new Float64Array(params.length);
  let sum = 0;
  let rows = 0;
  for (const batch of parts) {
    const r = kernel.lossAndGradient(spec, params, { batch, indices: null, start: 0, end: batch.rows }, g);
    sum += r.lossSum;
    rows += r.rows;
  }
  return sum / rows + l2Penalty(spec, params);
}

class TargetReached extends Error {
  public constructor(public readonly round: number) {
    super(`target reached at round ${round}`);
  }
}

/** First round R (1-based count of applied rounds) whose params have loss ≤ target; null if never. */
function roundsToTarget(
  config: TrainConfig,
  parts: readonly Batch[],
  kernel: GradientKernel,
  target: number,
): { rounds: number | null; epochs: number; stop: string } {
  let epochs = 0;
  try {
    const { state } = fitModel(config, parts, {
      kernel,
      onRound: ({ state }) => {
        epochs =
          state.epoch +
          state.stepInEpoch /
            Math.max(
              1,
              epochGeometry(
                config,
                parts.map((p) => p.rows),
              ).stepsPerEpoch,
            );
        if (exactLoss(kernel, config.spec, Float64Array.from(state.params), parts) <= target) {
          throw new TargetReached(state.round);
        }
      },
    });
    return { rounds: null, epochs, stop: state.status.status === 'done' ? state.status.reason : 'running' };
  } catch (e) {
    if (e instanceof TargetReached) return { rounds: e.round, epochs, stop: 'target' };
    throw e;
  }
}

interface Variant {
  readonly name: string;
  readonly options: TrainOptions;
  /** Also run through the local cloud. */
  readonly cloud: boolean;
}

/**
 * Runs the comparison and returns the measurements. Knobs: `BENCH_LSGD_ROWS` (100000, quick 20000),
 * `BENCH_LSGD_CLOUD` (`0` skips the local-cloud runs), `BENCH_WORKER_THREADS` (2);
 * `BENCH_QUICK` keeps only sync GD and K=16 in the local cloud.
 */
export async function runLocalSgdBench(): Promise<Record<string, unknown>> {
  const quick = quickMode();
  const rows = intKnob('BENCH_LSGD_ROWS', quick ? 20_000 : 100_000);
  const d = 16;
  const workers = 4;
  const batchSize = 256;
  const cloud = process.env.BENCH_LSGD_CLOUD !== '0';
  const home = await BenchHome.open('local-sgd', intKnob('BENCH_WORKER_THREADS', 2));
  try {
    const csv = path.join(home.dir, 'lsgd.csv');
    await writeSyntheticCsv(csv, { kind: 'linear', rows, features: d, seed: 3 });
    const ds = await home.ingest(csv, 'lsgd-linear');
    const { kernel } = await selectBackend();
    const load = async (spec: JobSpec) => {
      const plan = makeJobPlan(spec, ds.manifest, ds.manifestKey);
      const parts: Batch[] = [];
      for (let p = 0; p < plan.partitions.length; p++) {
        parts.push(await loadPartition(home.session.home.store, ds.manifest, spec, plan, p));
      }
      return { plan, parts };
    };
    // L*: full-batch Nesterov GD until ‖g‖ ≤ 1e-6‖g₀‖ (the library default stop), up to 3000 epochs
    const ref = await load(home.spec(ds, 'y', 'linear', workers, { seed: 7 }));
    const refFit = fitModel(ref.plan.config, ref.parts, { kernel });
    const optimum = exactLoss(kernel, ref.plan.config.spec, refFit.params, ref.parts);
    const target = optimum * 1.01;
    const local = (k: number): TrainOptions => ({
      sync: 'local-sgd',
      localSteps: k,
      algorithm: 'minibatch',
      batchSize,
      epochs: 200,
      seed: 7,
    });
    const variants: Variant[] = [
      { name: 'sync GD (default: full batch, Nesterov)', options: { seed: 7 }, cloud: true },
      { name: 'sync GD (full batch, plain)', options: { optimizer: 'plain', seed: 7 }, cloud: !quick },
      { name: 'local SGD K=1', options: local(1), cloud: !quick },
      { name: 'local SGD K=4', options: local(4), cloud: !quick },
      { name: 'local SGD K=16', options: local(16), cloud: true },
    ];
    const results: Record<string, unknown>[] = [];
    for (const v of variants) {
      const spec = home.spec(ds, 'y', 'linear', workers, v.options);
      const { plan, parts } = await load(spec);
      const found = roundsToTarget(plan.config, parts, kernel, target);
      const row: Record<string, unknown> = {
        variant: v.name,
        lr: roundTo(plan.config.schedule.lr, 4),
        roundsToTarget: found.rounds,
        epochsToTarget: roundTo(found.epochs, 2),
        ...(found.rounds === null ? { stoppedBy: found.stop } : {}),
      };
      if (found.rounds !== null) {
        const capped = cappedOptions(v.options, plan.config, parts, found.rounds);
        const inproc = await home.runInProcess(ds, home.spec(ds, 'y', 'linear', workers, capped));
        row.inprocessSeconds = roundTo(inproc.atMs[found.rounds]! / 1000, 3);
        if (cloud && v.cloud) {
          const run = await home.runLocal(ds, home.spec(ds, 'y', 'linear', workers, capped));
          row.localCloudSeconds = roundTo(run.atMs[found.rounds]! / 1000, 3);
          row.localCloudRoundP50Ms = summarize(run.roundMs).p50;
        }
      }
      results.push(row);
    }
    const report = {
      problem: `${rows}x${d} linear (standardised), ${workers} partitions, local SGD: global batch ${batchSize}, plain SGD, lr = 1/(d+1)`,
      optimumLoss: optimum,
      optimumRounds: refFit.rounds,
      target: 'loss <= 1.01 * optimum',
      results,
    };
    console.log(
      `\nlocal-SGD bench: ${report.problem}; target ${report.target} (L* = ${optimum.toPrecision(6)})`,
    );
    console.table(results);
    return report;
  } finally {
    await home.close();
  }
}

/** The variant's options with epochs capped so the job ends soon after round `rounds`. */
function cappedOptions(
  o: TrainOptions,
  config: TrainConfig,
  parts: readonly Batch[],
  rounds: number,
): TrainOptions {
  const { stepsPerEpoch } = epochGeometry(
    config,
    parts.map((p) => p.rows),
  );
  const roundsPerEpoch = config.sync === 'local-sgd' ? Math.ceil(stepsPerEpoch / config.localSteps) : 1;
  return { ...o, epochs: Math.ceil(rounds / roundsPerEpoch) };
}
