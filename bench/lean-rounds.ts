/**
 * Lean rounds (issue 8): what a round writes and what a finished job keeps, peak RSS over many
 * local-cloud rounds, and mini-batch over the queues grouped into rounds vs one step per round.
 *
 * - bytes: the coordinator run over the local object store with a synchronous in-memory "queue"
 *   (the same handler code the local cloud and Lambda run, results inline and each round's
 *   notifications handled as one batch, as the local cloud's aggregator gathers them), counting
 *   every byte put; kept = what is left under the job's keys after it finished.
 * - RSS: one local-cloud job (queues, worker threads, the handlers) of `BENCH_RSS_ROUNDS` rounds
 *   (10 000; quick 2 000) run to its end, not extrapolated: the process's RSS (every thread) after
 *   a GC, sampled every 250 ms as the rounds go; the ratio RSS(last round) / RSS(a tenth of the
 *   rounds), i.e. round 10 000 against round 1 000, and the peak.
 * - mini-batch: `BENCH_MB_ROWS` × 24 logistic (60 000; quick 6 000), batch 64, 30 epochs, 4
 *   workers on the local cloud: grouped (the queued default) against `--sync gd` (one step per
 *   round), which runs `BENCH_MB_PERSTEP_EPOCHS` epochs (1) and is extrapolated to 30 at its
 *   measured time per round.
 *
 * Part of the `coordination` section: `BENCH_ONLY=coordination npm run bench` (after `npm run build`).
 */
import path from 'node:path';
import { keys } from '../lib/engine/keys.js';
import {
  type EngineDeps,
  handleResultBatch,
  handleWork,
  startJob,
} from '../lib/engine/training/coordinator.js';
import { JobCache, latestState } from '../lib/engine/training/job-store.js';
import {
  INLINE_RESULT_MAX_BYTES,
  type ResultMessage,
  type WorkMessage,
} from '../lib/engine/training/protocol.js';
import { latestRoundRecord, readRoundRecords } from '../lib/engine/training/round-records.js';
import { TypedArrayKernel } from '../lib/optim/index.js';
import type { ObjectBody, ObjectStore, PutOptions } from '../lib/ports.js';
import { BenchHome, type StoredDataset } from './bench-home.js';
import { intKnob, quickMode, roundTo, summarize } from './stats.js';
import { writeSyntheticCsv } from './synthetic-csv.js';

/** An object store that counts the bytes put through it. */
function countingStore(base: ObjectStore): ObjectStore & { written: number; puts: number } {
  const size = (b: ObjectBody) => (typeof b === 'string' ? Buffer.byteLength(b) : b.byteLength);
  const store = {
    written: 0,
    puts: 0,
    get: (k: string) => base.get(k),
    getStream: (k: string) => base.getStream(k),
    head: (k: string) => base.head(k),
    list: (p: string) => base.list(p),
    delete: (k: string) => base.delete(k),
    putStream: (k: string, b: AsyncIterable<Uint8Array>) => base.putStream(k, b),
    async put(k: string, b: ObjectBody, o?: PutOptions) {
      store.written += size(b);
      store.puts++;
      return base.put(k, b, o);
    },
    async putIfAbsent(k: string, b: ObjectBody) {
      store.written += size(b);
      store.puts++;
      return base.putIfAbsent(k, b);
    },
  };
  return store;
}

/** Bytes put per round by the coordinator, and bytes a finished job keeps per round. */
async function bytesPerRound(home: BenchHome, ds: StoredDataset, epochs: number) {
  const store = countingStore(home.session.home.store);
  const work: WorkMessage[] = [];
  const results: ResultMessage[] = [];
  const deps: EngineDeps = {
    store,
    outbox: {
      sendWork: async (m) => {
        work.push(...m);
      },
      sendResult: async (m) => {
        results.push(m);
      },
    },
    kernel: new TypedArrayKernel(),
    backend: 'typed-array',
    cache: new JobCache(),
    // As the local cloud and AWS runtimes: small results ride in their notifications.
    inlineResultMaxBytes: INLINE_RESULT_MAX_BYTES,
  };
  const gd = { algorithm: 'batch', optimizer: 'plain', lr: 0.01, epochs, seed: 7, tol: 0 } as const;
  const spec = home.spec(ds, 'y', 'logistic', 4, gd);
  await startJob(deps, spec, ds.manifest, ds.manifestKey);
  const startWritten = store.written;
  while (work.length + results.length > 0) {
    for (const m of work.splice(0)) await handleWork(deps, m);
    // A round's notifications in one batch, as the local cloud's aggregator gathers them.
    if (results.length > 0) await handleResultBatch(deps, results.splice(0));
  }
  const final = (await latestState(store, spec.jobId))!;
  const listed = [
    ...(await store.list(keys.job.prefix(spec.jobId))),
    ...(await store.list(keys.job.scratchPrefix(spec.jobId))),
  ];
  const fixed = new Set([keys.job.spec(spec.jobId), keys.job.plan(spec.jobId), keys.job.model(spec.jobId)]);
  const kept = listed.filter((i) => !fixed.has(i.key)).reduce((s, i) => s + i.size, 0);
  const stateBytes = listed.find((i) => i.key === keys.job.state(spec.jobId, final.round))?.size ?? 0;
  return {
    problem: `${ds.manifest.rows}x${spec.features.length} logistic, 4 workers, ${final.round} rounds`,
    rounds: final.round,
    writtenBytesPerRound: Math.round((store.written - startWritten) / final.round),
    putsPerRound: roundTo(store.puts / final.round, 1),
    stateBytes,
    keptBytesPerRound: Math.round(kept / final.round),
    keptKeys: listed.length,
  };
}

/** RSS of this process (local cloud + its worker threads) as a long local-cloud job runs. */
export async function rssOverRounds(home: BenchHome, ds: StoredDataset, rounds: number) {
  const runtime = await home.session.runtime();
  const gd = { algorithm: 'batch', optimizer: 'plain', lr: 1e-4, epochs: rounds, seed: 7, tol: 0 } as const;
  const spec = home.spec(ds, 'y', 'linear', 4, gd);
  const samples: { round: number; rssMb: number }[] = [];
  const t0 = performance.now();
  await startJob(runtime.engine(), spec, ds.manifest, ds.manifestKey);
  let seen = 0;
  const store = home.session.home.store;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const rec = await latestRoundRecord(store, spec.jobId, seen);
    if (rec !== undefined) seen = rec.round;
    global.gc?.();
    samples.push({ round: seen, rssMb: process.memoryUsage().rss / 1_048_576 });
    if ((await store.head(keys.job.registered(spec.jobId))) !== undefined) break;
  }
  const wallS = (performance.now() - t0) / 1000;
  const at = (r: number) => samples.find((s) => s.round >= r)?.rssMb ?? Number.NaN;
  const tenth = at(Math.floor(rounds / 10));
  const last = samples.at(-1)!.rssMb;
  const peak = Math.max(...samples.map((s) => s.rssMb));
  const records = await readRoundRecords(store, spec.jobId);
  const gaps = records.slice(1).map((r, i) => r.atMs - records[i]!.atMs);
  return {
    rounds,
    wallSeconds: roundTo(wallS, 1),
    roundMs: summarize(gaps),
    runner: 'local cloud',
    tenthRound: Math.floor(rounds / 10),
    rssMbAtTenth: roundTo(tenth, 1),
    rssMbAtEnd: roundTo(last, 1),
    peakRssMb: roundTo(peak, 1),
    ratioEndToTenth: roundTo(last / tenth, 3),
  };
}

/** Mini-batch over the local cloud: grouped rounds (default) vs one step per round. */
async function minibatch(home: BenchHome, ds: StoredDataset, perStepEpochs: number) {
  const base = { algorithm: 'minibatch', batchSize: 64, epochs: 30, seed: 7 } as const;
  const grouped = await home.runLocal(ds, home.spec(ds, 'y', 'logistic', 4, base));
  const perStep = await home.runLocal(
    ds,
    home.spec(ds, 'y', 'logistic', 4, { ...base, epochs: perStepEpochs, sync: 'gd' }),
  );
  const perStepRoundsPerEpoch = perStep.rounds / perStepEpochs;
  const perStepRoundMs = perStep.trainMs / perStep.rounds;
  const extrapolatedRounds = perStepRoundsPerEpoch * 30;
  return {
    problem: `${ds.manifest.rows}x24 logistic, batch 64, 30 epochs, 4 workers, local cloud`,
    grouped: {
      rounds: grouped.rounds,
      wallSeconds: roundTo(grouped.trainMs / 1000, 2),
      finalLoss: grouped.finalState.last?.loss ?? null,
      stop: grouped.finalState.status.status === 'done' ? grouped.finalState.status.reason : 'running',
    },
    perStep: {
      epochsRun: perStepEpochs,
      roundsRun: perStep.rounds,
      msPerRound: roundTo(perStepRoundMs, 1),
      extrapolatedRounds,
      extrapolatedWallSeconds: roundTo((extrapolatedRounds * perStepRoundMs) / 1000, 1),
    },
    roundsRatio: roundTo(extrapolatedRounds / grouped.rounds, 1),
    wallRatio: roundTo((extrapolatedRounds * perStepRoundMs) / grouped.trainMs, 1),
  };
}

/** Runs the three measurements; knobs in the file's TSDoc. */
export async function runLeanRoundsBench(): Promise<Record<string, unknown>> {
  const quick = quickMode();
  const home = await BenchHome.open('lean', intKnob('BENCH_WORKER_THREADS', 2));
  try {
    const smallCsv = path.join(home.dir, 'small.csv');
    await writeSyntheticCsv(smallCsv, { kind: 'logistic', rows: 455, features: 30, seed: 3 });
    const small = await home.ingest(smallCsv, 'lean-small');
    const bytes = await bytesPerRound(home, small, quick ? 50 : 200);
    const linCsv = path.join(home.dir, 'lin.csv');
    await writeSyntheticCsv(linCsv, { kind: 'linear', rows: 2000, features: 8, seed: 4 });
    const lin = await home.ingest(linCsv, 'lean-lin');
    const rss = await rssOverRounds(home, lin, intKnob('BENCH_RSS_ROUNDS', quick ? 2000 : 10_000));
    const mbCsv = path.join(home.dir, 'mb.csv');
    const mbRows = intKnob('BENCH_MB_ROWS', quick ? 6000 : 60_000);
    await writeSyntheticCsv(mbCsv, { kind: 'logistic', rows: mbRows, features: 24, seed: 5 });
    const mb = await home.ingest(mbCsv, 'lean-mb');
    const mini = await minibatch(home, mb, intKnob('BENCH_MB_PERSTEP_EPOCHS', 1));
    const report = { bytes, rss, minibatch: mini };
    console.log('\nlean rounds bench');
    console.log(
      `  bytes (${bytes.problem}): ${bytes.writtenBytesPerRound} B written per round (${bytes.putsPerRound} puts; state ${bytes.stateBytes} B), ${bytes.keptBytesPerRound} B kept per round after the job (${bytes.keptKeys} keys)`,
    );
    console.log(
      `  RSS over ${rss.rounds} local-cloud rounds (run to the end): ${rss.rssMbAtTenth} MB at round ${rss.tenthRound}, ${rss.rssMbAtEnd} MB at round ${rss.rounds}: ratio ×${rss.ratioEndToTenth}; peak ${rss.peakRssMb} MB; round p50 ${rss.roundMs.p50} ms, p95 ${rss.roundMs.p95} ms (${rss.wallSeconds} s)`,
    );
    console.log(
      `  mini-batch (${mini.problem}): grouped ${mini.grouped.rounds} rounds in ${mini.grouped.wallSeconds} s (${mini.grouped.stop}); one step per round ${mini.perStep.extrapolatedRounds} rounds ≈ ${mini.perStep.extrapolatedWallSeconds} s (measured ${mini.perStep.roundsRun} rounds at ${mini.perStep.msPerRound} ms) → ×${mini.roundsRatio} rounds, ×${mini.wallRatio} wall`,
    );
    return report;
  } finally {
    await home.close();
  }
}
