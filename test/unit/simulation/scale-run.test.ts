import { describe, expect, it } from 'vitest';
import { TypedArrayKernel } from '../../../lib/optim/index.js';
import { DEFAULT_COST_MODEL } from '../../../lib/planner/index.js';
import { AWS_LATENCY, type LatencyModel, meanOf } from '../../../lib/simulation/latency-distribution.js';
import { simulateScaledJob } from '../../../lib/simulation/scale-run.js';
import {
  explainShortfall,
  jobDollars,
  parallelEfficiency,
  scaledSpec,
} from '../../../lib/simulation/scale-table.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import {
  bitDifferences,
  blobsDataset,
  blobsSpec,
  referenceRun,
  seedDataset,
  seedSpec,
} from '../../support/engine-fixtures.js';

const fixed = (seconds: number) => ({ kind: 'fixed', seconds }) as const;

describe('Function: parallelEfficiency', () => {
  it('is T1 / (W · T_W)', () => {
    // T1 = 100 s; W = 4 finishing in 30 s: 100 / (4 × 30) = 100 / 120 = 0.8333…
    expect(parallelEfficiency(100, 4, 30)).toBeCloseTo(0.833333, 5);
    // perfect scaling: 64 workers in 1/64 of the time
    expect(parallelEfficiency(640, 64, 10)).toBe(1);
  });

  it('explains a shortfall only below 80 %, naming the aggregator when it takes the round', () => {
    const row = {
      solver: 'sync-gd' as const,
      workers: 64,
      wallSeconds: 100,
      efficiency: 0.5,
      rounds: 10,
      dollars: 0,
      // 10 s a round: 4 s of compute, 6 s of coordination of which the aggregator is 5 s (> 40 %)
      perRound: { seconds: 10, compute: 4, aggregator: 5, transfer: 0 },
      s3PeakPerSecond: 64,
      s3ThrottledSeconds: 0,
    };
    expect(explainShortfall(row)).toBe(
      'aggregator fan-in 5.00 s/round; compute 4.00 s < coordination 6.00 s a round',
    );
    expect(explainShortfall({ ...row, efficiency: 0.8 })).toBeNull();
  });
});

describe('Function: jobDollars', () => {
  it('adds Lambda GB-seconds and requests, SQS and S3 requests at the cost model prices', () => {
    const report = {
      billedSeconds: { worker: 10, aggregator: 2 },
      invocations: { work: 5, aggregate: 2 },
      sqs: { standardRequests: 10, fifoRequests: 20 },
      s3: { get: 100, head: 50, put: 10, list: 0, delete: 3, shardGet: 0 },
    };
    // Lambda: (10 s × 2048 MB + 2 s × 1024 MB) / 1024 = 22 GB-s × $0.0000133334 = $0.0002933348
    //         7 requests × $0.0000002 = $0.0000014
    // SQS:    (10 × $0.40 + 20 × $0.50) / 1e6 = $0.000014
    // S3:     150 GET/HEAD × $0.0004 / 1000 + 10 PUT × $0.005 / 1000 = $0.00006 + $0.00005
    const expected = 0.0002933348 + 0.0000014 + 0.000014 + 0.00006 + 0.00005;
    expect(jobDollars(report as never, DEFAULT_COST_MODEL, 2048)).toBeCloseTo(expected, 12);
  });
});

describe('Function: simulateScaledJob', () => {
  it('at W = 1 takes the sequential sum of its calls at the latency means', async () => {
    // Prepare: distinct fixed latencies, so a call counted as the wrong kind shows. The standard
    // hop (19 ms) outlasts a PUT (17 ms): the fan-out marker written after each send is hidden
    // behind the work message's hop, and so is the round record's PUT, which starts with the
    // send. Those are the only calls of a W = 1 run that overlap others.
    const latency: LatencyModel = {
      sqsStandardHop: fixed(0.019),
      sqsFifoHop: fixed(0.023),
      sqsSend: fixed(0.002),
      s3Get: fixed(0.011),
      s3Head: fixed(0.013),
      s3Put: fixed(0.017),
      lambdaColdStart: fixed(0.1),
      lambdaWarmStart: fixed(0),
    };
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-w1', data.manifest.version, {}, { workers: 1 });

    // Act
    const r = await simulateScaledJob({
      store,
      job: { spec, ...data },
      kernel: new TypedArrayKernel(),
      latency,
      workerRowParamsPerSecond: 1000,
    });

    // Assess: batch GD, 20 epochs → 20 rounds. Compute: 100 rows × 2 parameters (slope,
    // intercept) = 200 row·parameters a round at 1000/s = 0.2 s; 20 rounds → 4 s.
    const R = 20;
    expect(r.rounds).toBe(R);
    expect(r.computeSeconds).toBeCloseTo(R * 0.2, 9);
    // Messages: one work message and one result a round; sends: the start's and R − 1
    // aggregator fan-outs (one batch each) plus R result sends = 2R.
    expect(r.invocations.work).toBe(R);
    // Clean-up deletes the R round states before the final one and the R fan-out markers.
    expect(r.s3.delete).toBe(2 * R);
    const s3 = r.s3;
    const sequential =
      2 * meanOf(latency.lambdaColdStart) + // the worker's and the aggregator's first call
      (s3.get + s3.list) * 0.011 +
      s3.head * 0.013 +
      // every PUT but the R fan-out markers and the R − 1 round records written while the next
      // round is sent (the last round's record is written before the model)
      (s3.put - R - (R - 1)) * 0.017 +
      Math.ceil((2 * R) / 32) * 0.017 + // the deletes go 32 at a time
      // … and S3 serves 3,500 of them a second per prefix: the first 32 are the 20 states
      // (prefix state/: the 20th waits 19/3500 s) and 12 markers, the next 8 markers (7/3500 s).
      (19 + 7) / 3500 +
      2 * R * 0.002 +
      R * 0.019 +
      R * 0.023 +
      R * 0.2;
    expect(r.wallSeconds).toBeCloseTo(sequential, 9);
  });

  it('ends with the in-process runner parameters bit for bit, whatever the latencies (the coordinator is real)', async () => {
    const store = new SimObjectStore();
    const data = await blobsDataset(store);
    for (const solver of ['sync-gd', 'local-sgd', 'lbfgs'] as const) {
      const spec = scaledSpec(blobsSpec('job-bits', data.manifest.version, {}, 1), solver, 4);
      const reference = await referenceRun(spec, blobsDataset);
      const r = await simulateScaledJob({
        store,
        job: { spec, ...data },
        kernel: new TypedArrayKernel(),
        latency: AWS_LATENCY,
        workerRowParamsPerSecond: 1e6,
        aggregatorReadConcurrency: 32,
        seed: 7,
      });
      expect(bitDifferences(r.finalState.params, reference.state.params), solver).toEqual([]);
      expect(r.rounds, solver).toBe(reference.state.round);
    }
  });

  it('with partition claims (W = 12 > a cache of 8) computes each shard once a round and keeps the bits', async () => {
    // Prepare: batch GD, 6 epochs → 6 rounds (one full pass each).
    const store = new SimObjectStore();
    const data = await seedDataset(store);
    const spec = seedSpec('job-claims', data.manifest.version, { epochs: 6 }, { workers: 12 });
    const run = (id: string, partitionClaims?: boolean) =>
      simulateScaledJob({
        store,
        job: { spec: { ...spec, jobId: id }, ...data },
        kernel: new TypedArrayKernel(),
        latency: AWS_LATENCY,
        workerRowParamsPerSecond: 1e6,
        seed: 4,
        ...(partitionClaims !== undefined ? { partitionClaims } : {}),
      });

    // Act
    const on = await run('job-claims-on');
    const off = await run('job-claims-off', false);

    // Assess: 12 claims a round, each computed once (12 work deliveries a round, none left without
    // a shard); none without claims; the same parameters; fewer partition loads with claims.
    expect(on.rounds).toBe(6);
    expect(on.claimObjects).toBe(12 * 6);
    expect(on.workOutcomes).toEqual({ computed: 12 * 6 });
    expect(off.claimObjects).toBe(0);
    expect(bitDifferences(on.finalState.params, off.finalState.params)).toEqual([]);
    expect(on.s3.shardGet).toBeLessThan(off.s3.shardGet);
  });
});
