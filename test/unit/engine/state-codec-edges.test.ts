import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  decodeF64,
  decodeTrainState,
  encodeF64,
  encodeTrainState,
} from '../../../lib/engine/training/state-codec.js';
import type { TrainState } from '../../../lib/optim/index.js';

/** A running plain-GD state with two parameters; `over` replaces fields. */
function state(over: Record<string, unknown> = {}): TrainState {
  return {
    v: 1,
    round: 3,
    epoch: 3,
    params: [0.5, -2],
    optimizer: { iterations: 3, kind: 'plain' },
    status: { status: 'running' },
    ...over,
  } as unknown as TrainState;
}

const roundTrip = (s: TrainState) => decodeTrainState(JSON.parse(JSON.stringify(encodeTrainState(s))));

describe('Function: encodeTrainState, the solver field', () => {
  it('writes no solver key when the state has none, and null as null', () => {
    expect('solver' in JSON.parse(JSON.stringify(encodeTrainState(state())))).toBe(false);
    expect(JSON.parse(JSON.stringify(encodeTrainState(state({ solver: null })))).solver).toBeNull();
    expect(roundTrip(state({ solver: null })).solver).toBeNull();
    expect(roundTrip(state()).solver).toBeUndefined();
  });

  it('keeps a normal-equations solver as it is', () => {
    const normal = { kind: 'normal', done: true };
    expect(encodeTrainState(state({ solver: normal })).solver).toEqual(normal);
    expect(roundTrip(state({ solver: normal })).solver).toEqual(normal);
  });

  it("encodes a Newton solver's vectors like L-BFGS's", () => {
    const newton = {
      kind: 'newton',
      iter: 1,
      direction: [1, -0],
      baseGrad: [0.25],
      memS: [],
      memY: [],
      x: 'kept',
    };
    const doc = encodeTrainState(state({ solver: newton })).solver as Record<string, unknown>;
    expect(doc).toEqual({ ...newton, direction: encodeF64([1, -0]), baseGrad: encodeF64([0.25]) });
    const back = roundTrip(state({ solver: newton })).solver as unknown as typeof newton;
    expect(back).toEqual(newton);
    expect(Object.is(back.direction[1], -0)).toBe(true);
    expect(Object.keys(back)).toEqual(Object.keys(newton));
  });

  it('keeps a plain optimizer as it is and the scalars as numbers', () => {
    const doc = encodeTrainState(state());
    expect(doc.optimizer).toEqual({ iterations: 3, kind: 'plain' });
    expect(doc).toMatchObject({ v: 2, round: 3, epoch: 3, params: encodeF64([0.5, -2]) });
    expect(roundTrip(state())).toEqual(state());
  });
});

describe('Function: decodeTrainState, what it passes through and refuses', () => {
  it('passes a version-1 document, a document without v, and non-objects through as they are', () => {
    const v1 = { v: 1, round: 0, params: [1] };
    expect(decodeTrainState(v1)).toBe(v1);
    const bare = { round: 0, params: [1] };
    expect(decodeTrainState(bare)).toBe(bare);
    expect(decodeTrainState(null)).toBeNull();
    expect(decodeTrainState(7)).toBe(7);
  });

  it('names the field of a moment vector that is not base64 of float64 values', () => {
    const doc = encodeTrainState(
      state({ optimizer: { iterations: 1, kind: 'adam', m: [1], v: [2] } }),
    ) as unknown as Record<string, Record<string, unknown>>;
    doc.optimizer!.v = 'AAAA';
    let error: unknown;
    try {
      decodeTrainState(doc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZodError);
    const issues = (error as ZodError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toBe('not base64 of float64 values');
    expect(issues[0]!.path).toEqual(['optimizer', 'v']);
  });

  it('refuses a version-2 document without its vectors', () => {
    expect(() => decodeTrainState({ v: 2, round: 0, optimizer: { kind: 'plain' } })).toThrow(ZodError);
    expect(() => decodeTrainState({ v: 2, round: 0, params: encodeF64([1]) })).toThrow(ZodError);
  });
});

describe('Function: decodeF64, edges', () => {
  it('decodes the empty string to no values and 8 bytes to one', () => {
    expect(decodeF64('')).toEqual([]);
    expect(decodeF64('AAAAAAAA8D8=')).toEqual([1]);
    expect(decodeF64(encodeF64([1, 2, 3]))).toEqual([1, 2, 3]);
    // 16 bytes minus one: 15 is not a multiple of 8
    expect(decodeF64(Buffer.alloc(15).toString('base64'))).toBeUndefined();
  });
});
