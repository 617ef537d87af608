import { describe, expect, it } from 'vitest';
import {
  divergedFailure,
  isDiverged,
  readJobFailure,
  recordDivergence,
  TrainingDivergedError,
} from '../../../lib/engine/training/diverged.js';
import { UsageError } from '../../../lib/errors.js';
import type { RoundRecord, TrainState } from '../../../lib/optim/training/train-state.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

/** A finished or running state with just what the divergence record reads. */
function state(status: TrainState['status'], round: number, last: RoundRecord | null): TrainState {
  return {
    v: 1,
    round,
    epoch: 0,
    stepInEpoch: 0,
    params: [],
    optimizer: {} as TrainState['optimizer'],
    plateau: null,
    bestLoss: null,
    noImprovementCount: 0,
    gradNorm0: null,
    lastLoss: null,
    epochLossSum: 0,
    epochRows: 0,
    last,
    lastEpoch: null,
    status,
  };
}

const record = (round: number, lr: number): RoundRecord => ({
  round,
  epoch: 0,
  loss: Number.NaN,
  gradNorm: Number.NaN,
  lr,
});

describe('Function: isDiverged', () => {
  it('is true only for a state done because it diverged', () => {
    expect(isDiverged(state({ status: 'done', reason: 'diverged' }, 3, null))).toBe(true);
    expect(isDiverged(state({ status: 'done', reason: 'max-epochs' } as TrainState['status'], 3, null))).toBe(
      false,
    );
    expect(isDiverged(state({ status: 'running' }, 3, null))).toBe(false);
  });
});

describe('Function: divergedFailure', () => {
  it('names the round of the last record and its step size', () => {
    const f = divergedFailure('job-abc', state({ status: 'done', reason: 'diverged' }, 8, record(7, 0.5)));
    expect(f).toEqual({
      v: 1,
      jobId: 'job-abc',
      reason: 'diverged',
      round: 7,
      lr: 0.5,
      message:
        'job job-abc diverged at round 7 with step size 0.5: the loss or parameters became non-finite, so no model was registered; try a smaller --lr',
    });
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('records no step size when the last one was %d', (lr) => {
    const f = divergedFailure('job-abc', state({ status: 'done', reason: 'diverged' }, 8, record(7, lr)));
    expect(f.lr).toBeNull();
    expect(f.round).toBe(7);
    expect(f.message).toBe(
      'job job-abc diverged at round 7: the loss or parameters became non-finite, so no model was registered; try a smaller --lr',
    );
  });

  it('uses the state round when no round was applied', () => {
    const f = divergedFailure('job-abc', state({ status: 'done', reason: 'diverged' }, 0, null));
    expect(f.round).toBe(0);
    expect(f.lr).toBeNull();
    expect(f.message).toMatch(/^job job-abc diverged at round 0: /);
  });
});

describe('Function: recordDivergence / readJobFailure', () => {
  it('keeps the first record and returns it to every later caller', async () => {
    const store = new MemoryObjectStore();
    expect(await readJobFailure(store, 'job-abc')).toBeUndefined();
    const first = await recordDivergence(
      store,
      'job-abc',
      state({ status: 'done', reason: 'diverged' }, 5, record(4, 2)),
    );
    const again = await recordDivergence(
      store,
      'job-abc',
      state({ status: 'done', reason: 'diverged' }, 9, record(8, 1)),
    );
    expect(first.round).toBe(4);
    expect(again).toEqual(first);
    expect(await readJobFailure(store, 'job-abc')).toEqual(first);
    expect(store.keys()).toEqual(['jobs/job-abc/failed.json']);
  });
});

describe('Class: TrainingDivergedError', () => {
  it('is a usage error (exit 2) carrying the record and its message', () => {
    const failure = divergedFailure(
      'job-abc',
      state({ status: 'done', reason: 'diverged' }, 2, record(1, 3)),
    );
    const error = new TrainingDivergedError(failure);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.name).toBe('TrainingDivergedError');
    expect(error.message).toBe(failure.message);
    expect(error.failure).toBe(failure);
  });
});
