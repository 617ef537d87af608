import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COST_MODEL,
  evaluatePlacement,
  type Placement,
  planJobPlacement,
  type Workload,
} from '../../../lib/planner/index.js';

const memory = [512, 1024, 1769, 3008, 10240];

const workload: fc.Arbitrary<Workload> = fc.record({
  rows: fc.integer({ min: 1, max: 50_000_000 }),
  features: fc.integer({ min: 1, max: 512 }),
  classes: fc.integer({ min: 1, max: 10 }),
  datasetBytes: fc.integer({ min: 0, max: 1e11 }),
  rounds: fc.integer({ min: 1, max: 5000 }),
  algorithm: fc.constantFrom('sgd', 'minibatch', 'batch' as const),
  batchSize: fc.integer({ min: 1, max: 100_000 }),
  localSteps: fc.integer({ min: 1, max: 8 }),
});

const placement: fc.Arbitrary<Placement> = fc.oneof(
  fc.record({ kind: fc.constant('in-process' as const), memoryMb: fc.constantFrom(...memory) }),
  fc.record({
    kind: fc.constant('lambda' as const),
    workers: fc.integer({ min: 0, max: 10 }).map((e) => 2 ** e),
    memoryMb: fc.constantFrom(...memory),
  }),
  fc.record({
    kind: fc.constant('batch-gpu' as const),
    instanceType: fc.constantFrom('g4dn.xlarge', 'g5.xlarge'),
    spot: fc.boolean(),
  }),
);

describe('Function: evaluatePlacement (properties)', () => {
  it('more rows never lower the cost or the time of a fixed placement, nor make it feasible', () => {
    fc.assert(
      fc.property(workload, placement, fc.integer({ min: 1, max: 10_000_000 }), (w, p, extra) => {
        const before = evaluatePlacement(w, p, DEFAULT_COST_MODEL);
        const after = evaluatePlacement({ ...w, rows: w.rows + extra }, p, DEFAULT_COST_MODEL);
        expect(after.costUsd).toBeGreaterThanOrEqual(before.costUsd);
        expect(after.wallSeconds).toBeGreaterThanOrEqual(before.wallSeconds);
        if (before.rejection !== null) expect(after.rejection).not.toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('more rounds or more bytes never lower the cost of a fixed placement', () => {
    fc.assert(
      fc.property(
        workload,
        placement,
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1e9 }),
        (w, p, r, b) => {
          const base = evaluatePlacement(w, p, DEFAULT_COST_MODEL).costUsd;
          expect(
            evaluatePlacement({ ...w, rounds: w.rounds + r }, p, DEFAULT_COST_MODEL).costUsd,
          ).toBeGreaterThanOrEqual(base);
          expect(
            evaluatePlacement({ ...w, datasetBytes: w.datasetBytes + b }, p, DEFAULT_COST_MODEL).costUsd,
          ).toBeGreaterThanOrEqual(base);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Function: planJobPlacement (properties)', () => {
  it('the choice is feasible and cheapest among candidates that meet the deadline (else fastest)', () => {
    const deadline = fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined });
    fc.assert(
      fc.property(workload, deadline, fc.integer({ min: 1, max: 3000 }), (w, deadlineSeconds, maxWorkers) => {
        const constraints = {
          maxWorkers,
          lambdaMemoryOptionsMb: memory,
          deadlineSeconds,
          preferCheapest: true,
        };
        const d = planJobPlacement({ ...w, constraints });
        const feasible = d.candidates.filter((c) => c.rejection === null);
        const inTime = feasible.filter((c) => c.meetsDeadline);
        expect(feasible.map((c) => c.placement)).toContainEqual(d.placement);
        for (const c of d.candidates) {
          if (c.placement.kind === 'lambda')
            expect(Number.isInteger(Math.log2(c.placement.workers))).toBe(true);
          if (c.placement.kind === 'lambda') expect(c.placement.workers).toBeLessThanOrEqual(maxWorkers);
        }
        if (inTime.length > 0) for (const c of inTime) expect(d.costUsd).toBeLessThanOrEqual(c.costUsd);
        else for (const c of feasible) expect(d.wallSeconds).toBeLessThanOrEqual(c.wallSeconds);
      }),
      { numRuns: 150 },
    );
  });
});
