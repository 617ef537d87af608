/**
 * Bench section `simulate`: `shardtrain simulate` on a synthetic logistic dataset (4000 × 8, quick
 * 2000), W = 1, 4, 16, 64, 256 (`BENCH_SIM_WORKERS`), 10 epochs, for two workloads:
 * - `logistic`: rows timed `BENCH_SIM_ROW_SCALE` (default 3e6) times over: 9 multiply-adds a row
 *   against ~70 bytes of partition a row, so at W ≥ 16 it is byte-heavy (shard loads);
 * - `mlp` (`BENCH_SIM_MLP_HIDDEN`, default 64,64; `BENCH_SIM_MLP_ROW_SCALE`, default 1e4): about
 *   3 × 4,800 multiply-adds a row on the same bytes, the honest compute-heavy job.
 * Each as shipped (partition claims above 8 workers), without claims (`--no-claims`) and with
 * shard affinity (`--affinity`, the upper bound); `BENCH_SIM_VARIANTS` picks some. Virtual time, so
 * the load of this machine changes only the calibrated compute rate, which every row shares.
 */
import path from 'node:path';
import { type SimulateOutput, simulate } from '../cli/commands/simulate.js';
import type { Io } from '../cli/output.js';
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
    for (const workload of pick(['logistic', 'mlp'] as const, env.BENCH_SIM_WORKLOADS)) {
      for (const variant of pick(['claims', 'noClaims', 'affinity'] as const, env.BENCH_SIM_VARIANTS)) {
        const name = `${workload}.${variant}`;
        console.log(`\n-- ${name} --`);
        runs[name] = await simulate(home.session, { ...workloads[workload], ...variants[variant] }, io);
      }
    }
    const at = (run: string, solver: string, w: number) =>
      runs[run]?.table.find((r) => r.solver === solver && r.workers === w)?.efficiency;
    return {
      ...runs,
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
