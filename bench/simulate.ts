/**
 * Bench section `simulate`: `shardtrain simulate` on a synthetic logistic dataset (4000 × 8, quick
 * 2000), timed as `BENCH_SIM_ROW_SCALE` (default 3e6: a compute-heavy job, 6–12 billion rows) times more rows, W = 1, 4, 16, 64, 256
 * (`BENCH_SIM_WORKERS`), 10 epochs: the aggregator as deployed before the fan-in fix
 * (`--baseline`), with it, and with it and shard affinity (`--affinity`). Virtual time, so the
 * load of this machine changes only the calibrated compute rate, which every row shares.
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
    const flags = {
      dataset: 'sim',
      target: 'y',
      model: 'logistic' as const,
      workers,
      solvers: ['sync-gd', 'local-sgd', 'lbfgs'] as ('sync-gd' | 'local-sgd' | 'lbfgs')[],
      epochs: 10,
      rowScale: Number(env.BENCH_SIM_ROW_SCALE ?? 3e6),
      memory: 1769,
      seed: 1,
      baseline: false,
      affinity: false,
      json: false,
    };
    const runs: Record<string, SimulateOutput> = {};
    for (const [name, over] of [
      ['baseline', { baseline: true }],
      ['fanInFix', {}],
      ['fanInFixAndAffinity', { affinity: true }],
    ] as const) {
      console.log(`\n-- ${name} --`);
      runs[name] = await simulate(home.session, { ...flags, ...over }, io);
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
