/**
 * Bench section `simulate`: `shardtrain simulate` on a synthetic logistic dataset (4000 × 8, quick
 * 2000), W = 1, 4, 16, 64, 256 (`BENCH_SIM_WORKERS`), 10 epochs, for two workloads:
 * - `logistic`: rows timed `BENCH_SIM_ROW_SCALE` (default 3e6) times over: 9 multiply-adds a row
 *   against ~70 bytes of partition a row, so at W ≥ 16 it is byte-heavy (shard loads);
 * - `mlp` (`BENCH_SIM_MLP_HIDDEN`, default 64,64; `BENCH_SIM_MLP_ROW_SCALE`, default 1e4): about
 *   3 × 4,800 multiply-adds a row on the same bytes, the honest compute-heavy job.
 * Each as shipped (partition claims above 8 workers), without claims (`--no-claims`) and with
 * shard affinity (`--affinity`, the upper bound); `BENCH_SIM_VARIANTS` picks some. Then `rounds`:
 * the round's coordination alone per W against the planner's AWS latency model. Virtual time, so
 * the load of this machine changes only the calibrated compute rate, which every row shares.
 */
import path from 'node:path';
import { type SimulateOutput, simulate } from '../cli/commands/simulate.js';
import type { Io } from '../cli/output.js';
import { AWS_ROUND_LATENCY, awsRoundLatency } from '../lib/planner/index.js';
import { BenchHome } from './bench-home.js';
import { quickMode } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

export async function runSimulateBench(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, unknown>> {
  const quick = quickMode(env);
  const home = await BenchHome.open('simulate');
  try {
    const csv = path.join(home.dir, 'sim.csv');
    await writeSyntheticCsv(csv, { kind: 'logistic', rows: quick ? 2000 : 4000, features: 8, seed: 5 });
    await home.ingest(csv, 'sim');
    const io: Io = { out: (line) => console.log(line), err: () => undefined, isTty: false };
    const workers = (env.BENCH_SIM_WORKERS ?? '1,4,16,64,256').split(',').map(Number);
    const hidden = (env.BENCH_SIM_MLP_HIDDEN ?? '64,64').split(',').map(Number);
    const base = {
      dataset: 'sim',
      target: 'y',
      workers,
      solvers: (env.BENCH_SIM_SOLVERS ?? 'sync-gd,local-sgd,lbfgs').split(',') as (
        | 'sync-gd'
        | 'local-sgd'
        | 'lbfgs'
      )[],
      epochs: 10,
      memory: 1769,
      seed: 1,
      baseline: false,
      affinity: false,
      claims: true,
      json: false,
    };
    const workloads = {
      logistic: { ...base, model: 'logistic' as const, rowScale: Number(env.BENCH_SIM_ROW_SCALE ?? 3e6) },
      mlp: {
        ...base,
        model: 'mlp' as const,
        hidden,
        rowScale: Number(env.BENCH_SIM_MLP_ROW_SCALE ?? 1e4),
      },
    };
    const variants = { claims: {}, noClaims: { claims: false }, affinity: { affinity: true } } as const;
    const pick = <K extends string>(all: readonly K[], v: string | undefined): K[] =>
      v === undefined ? [...all] : v.split(',').filter((k): k is K => (all as readonly string[]).includes(k));
    const runs: Record<string, SimulateOutput> = {};
    /**
     * Coordination alone: sync GD with compute and bytes scaled to nothing (rows × 1e-9), 100
     * rounds, W = 1…64, as shipped; each W's seconds a round (two cold starts and the job's start
     * and finish included, ≈ 10 ms a round) next to the planner's AWS model (`round-latency.ts`),
     * whose per-worker figures were fitted to these runs.
     */
    const roundLatency = async () => {
      console.log('\n-- rounds (coordination alone) --');
      const out = await simulate(
        home.session,
        {
          ...base,
          model: 'logistic',
          solvers: ['sync-gd'],
          epochs: 100,
          rowScale: 1e-9,
          workers: [1, 4, 10, 16, 32, 64],
        },
        io,
      );
      return out.table.map((r) => {
        const model = awsRoundLatency(AWS_ROUND_LATENCY, { workers: r.workers, inlineState: true });
        const modelMs = model.seconds * 1000;
        const row = { workers: r.workers, rounds: r.rounds, simulatedMs: r.perRound.seconds * 1000, modelMs };
        console.log(
          `  W=${r.workers}: simulated ${row.simulatedMs.toFixed(1)} ms a round, model ${modelMs.toFixed(1)} ms (${model.inlineResults ? 'results inline' : 'results stored'})`,
        );
        return row;
      });
    };
    for (const workload of pick(['logistic', 'mlp'] as const, env.BENCH_SIM_WORKLOADS)) {
      for (const variant of pick(['claims', 'noClaims', 'affinity'] as const, env.BENCH_SIM_VARIANTS)) {
        const name = `${workload}.${variant}`;
        console.log(`\n-- ${name} --`);
        runs[name] = await simulate(home.session, { ...workloads[workload], ...variants[variant] }, io);
      }
    }
    const at = (run: string, solver: string, w: number) =>
      runs[run]?.table.find((r) => r.solver === solver && r.workers === w)?.efficiency;
    const rounds =
      pick(['rounds'] as const, env.BENCH_SIM_WORKLOADS).length > 0 ? await roundLatency() : undefined;
    return {
      ...runs,
      ...(rounds !== undefined ? { roundLatency: rounds } : {}),
      efficiencyAt64: Object.fromEntries(
        Object.keys(runs).map((k) => [
          k,
          { syncGd: at(k, 'sync-gd', 64), localSgd: at(k, 'local-sgd', 64), lbfgs: at(k, 'lbfgs', 64) },
        ]),
      ),
    };
  } finally {
    await home.close();
  }
}
