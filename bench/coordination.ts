/**
 * Coordination overhead per synchronous round: the same job (4 partitions, full-batch GD, a fixed
 * number of epochs) through the embedded local cloud and through the in-process runner. The
 * local cloud's extra time per round is the queue round trips, object-store writes and handler
 * start-up that a deployment pays on every round. Also the 200k×32 logistic job of issue 3,
 * checked bit-identical between the two runners.
 *
 * Then issue 8's lean-round figures (see `lean-rounds.ts`; `BENCH_LEAN=0` skips them).
 *
 * Run alone with `BENCH_ONLY=coordination npm run bench` (after `npm run build`).
 */
import os from 'node:os';
import path from 'node:path';
import { BenchHome, type JobRun, maxAbsDiff, sameBits } from './bench-home.js';
import { runLeanRoundsBench } from './lean-rounds.js';
import { intKnob, quickMode, roundTo, summarize } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

/** A job run with the CPU time the whole process (every thread) spent on it. */
type TimedRun = JobRun & { readonly cpuMs: number };

/** Runs `job`, measuring the CPU time of the process (all threads: handlers, SQLite, the CLI's wait). */
async function withCpu(job: () => Promise<JobRun>): Promise<TimedRun> {
  const c0 = process.cpuUsage();
  const run = await job();
  const c = process.cpuUsage(c0);
  return { ...run, cpuMs: (c.user + c.system) / 1000 };
}

/** One runner's per-round timing. */
function timing(run: TimedRun) {
  return {
    rounds: run.rounds,
    trainSeconds: roundTo(run.trainMs / 1000, 2),
    roundMs: summarize(run.roundMs),
    /** CPU time per round, every thread of the process: unlike wall time, little moved by load. */
    cpuMsPerRound: roundTo(run.cpuMs / Math.max(1, run.rounds)),
  };
}

/** Local cloud vs in-process on one job: timings, overhead and the bit-identity check. */
function compare(local: TimedRun, inprocess: TimedRun) {
  const l = summarize(local.roundMs);
  const p = summarize(inprocess.roundMs);
  return {
    backend: local.backend,
    local: timing(local),
    inprocess: timing(inprocess),
    overheadMs: { p50: roundTo(l.p50 - p.p50), p95: roundTo(l.p95 - p.p95) },
    ratio: { p50: roundTo(l.p50 / p.p50, 1), p95: roundTo(l.p95 / p.p95, 1) },
    cpuOverheadMsPerRound: roundTo(local.cpuMs / local.rounds - inprocess.cpuMs / inprocess.rounds),
    sameRounds: local.rounds === inprocess.rounds,
    bitIdentical: sameBits(local.finalState.params, inprocess.finalState.params),
    maxAbsParamDiff: maxAbsDiff(local.finalState.params, inprocess.finalState.params),
    finalLoss: local.finalState.last?.loss ?? null,
  };
}

/**
 * Runs both jobs and returns the measurements. Knobs: `BENCH_COORD_ROWS` (20000),
 * `BENCH_COORD_EPOCHS` (100), `BENCH_LOGISTIC_ROWS` (200000), `BENCH_LOGISTIC_EPOCHS` (100),
 * `BENCH_WORKER_THREADS` (local-cloud worker threads, 2 = the CLI's default); `BENCH_QUICK`
 * shrinks all of them.
 */
export async function runCoordinationBench(): Promise<Record<string, unknown>> {
  const quick = quickMode();
  const workers = 4;
  const threads = intKnob('BENCH_WORKER_THREADS', 2);
  const small = {
    rows: intKnob('BENCH_COORD_ROWS', 20_000),
    d: 16,
    // enough rounds for a p95 that is not just the slowest two or three
    epochs: intKnob('BENCH_COORD_EPOCHS', quick ? 100 : 300),
  };
  const big = {
    rows: intKnob('BENCH_LOGISTIC_ROWS', quick ? 20_000 : 200_000),
    d: 32,
    epochs: intKnob('BENCH_LOGISTIC_EPOCHS', quick ? 15 : 100),
  };
  const home = await BenchHome.open('coordination', threads);
  try {
    // 1. per-round overhead on a small problem, where compute per round is well under 1 ms
    const linearCsv = path.join(home.dir, 'linear.csv');
    await writeSyntheticCsv(linearCsv, { kind: 'linear', rows: small.rows, features: small.d, seed: 1 });
    const linear = await home.ingest(linearCsv, 'coord-linear');
    // plain GD with a small lr: far from converged, so every run does exactly `epochs` rounds
    const gd = { algorithm: 'batch', optimizer: 'plain', lr: 0.01, epochs: small.epochs, seed: 7 } as const;
    const lin = home.spec(linear, 'y', 'linear', workers, gd);
    const linIn = await withCpu(() => home.runInProcess(linear, lin));
    // the local cloud starts before the clock does: start-up is not a round's overhead
    await home.session.runtime();
    const linLocal = await withCpu(() =>
      home.runLocal(linear, home.spec(linear, 'y', 'linear', workers, gd)),
    );
    // 2. issue 3's 200k×32 logistic problem with the default optimizer, epochs capped
    const logisticCsv = path.join(home.dir, 'logistic.csv');
    await writeSyntheticCsv(logisticCsv, { kind: 'logistic', rows: big.rows, features: big.d, seed: 2 });
    const logistic = await home.ingest(logisticCsv, 'coord-logistic');
    const opts = { epochs: big.epochs, seed: 7 } as const;
    const logIn = await withCpu(() =>
      home.runInProcess(logistic, home.spec(logistic, 'y', 'logistic', workers, opts)),
    );
    const logLocal = await withCpu(() =>
      home.runLocal(logistic, home.spec(logistic, 'y', 'logistic', workers, opts)),
    );
    const report = {
      workers,
      localCloudWorkerThreads: threads,
      linear: {
        problem: `${small.rows}x${small.d} linear, full-batch plain GD, ${small.epochs} epochs`,
        ...compare(linLocal, linIn),
      },
      logistic: {
        problem: `${big.rows}x${big.d} logistic, default optimizer (full-batch Nesterov), epochs ≤ ${big.epochs}`,
        stopReason:
          logLocal.finalState.status.status === 'done' ? logLocal.finalState.status.reason : 'running',
        ...compare(logLocal, logIn),
      },
    };
    printCoordination(report);
    // Issue 8's lean-round figures (bytes per round, RSS over many rounds, grouped mini-batch).
    const lean = process.env.BENCH_LEAN === '0' ? { skipped: 'BENCH_LEAN=0' } : await runLeanRoundsBench();
    return { ...report, lean };
  } finally {
    await home.close();
  }
}

function printCoordination(r: {
  workers: number;
  localCloudWorkerThreads: number;
  linear: ReturnType<typeof compare> & { problem: string };
  logistic: ReturnType<typeof compare> & { problem: string };
}): void {
  console.log(
    `\ncoordination bench: ${r.workers} workers, local cloud with ${r.localCloudWorkerThreads} worker threads; load average ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const rows = [];
  for (const [name, c] of [
    ['linear', r.linear],
    ['logistic', r.logistic],
  ] as const) {
    for (const runner of ['local', 'inprocess'] as const) {
      const t = c[runner];
      rows.push({
        job: name,
        runner,
        rounds: t.rounds,
        'p50 ms': t.roundMs.p50,
        'p95 ms': t.roundMs.p95,
        'CPU ms/round': t.cpuMsPerRound,
        'train s': t.trainSeconds,
      });
    }
  }
  console.table(rows);
  for (const [name, c] of [
    ['linear', r.linear],
    ['logistic', r.logistic],
  ] as const) {
    console.log(
      `  ${name} (${c.problem}): overhead p50 ${c.overheadMs.p50} ms, p95 ${c.overheadMs.p95} ms; ratio to in-process p50 ${c.ratio.p50}×, p95 ${c.ratio.p95}×; CPU overhead ${c.cpuOverheadMsPerRound} ms/round; final params bit-identical: ${c.bitIdentical}`,
    );
  }
}
