import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../lib/documents.js';
import { encodeState, trainStateDocument } from '../../../lib/engine/training/job-store.js';
import {
  decodeF64,
  decodeTrainState,
  encodeF64,
  encodeTrainState,
} from '../../../lib/engine/training/state-codec.js';
import { SchemaError } from '../../../lib/errors.js';
import type { LineSearchState, TrainState } from '../../../lib/optim/index.js';

/** The 64 bits of each value, as hex: equal strings = equal bits (−0 ≠ 0 here, unlike ===). */
const bits = (v: ArrayLike<number>): string[] =>
  Array.from(v, (x) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    return view.getBigUint64(0).toString(16).padStart(16, '0');
  });

/** Every finite edge a float64 vector can hold, and two infinities (NaN-free). */
const EDGES = [
  0,
  -0,
  5e-324, // smallest subnormal, bits 0x0000000000000001
  -5e-324,
  2.225073858507201e-308, // largest subnormal, 0x000FFFFFFFFFFFFF
  2.2250738585072014e-308, // smallest normal, 0x0010000000000000
  1,
  -1,
  0.1,
  1 / 3,
  Number.EPSILON,
  1 + Number.EPSILON,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** An L-BFGS round state with the edge values in every vector field. */
function lbfgsState(): TrainState {
  const v = (shift: number) => EDGES.map((_, i) => EDGES[(i + shift) % EDGES.length]!);
  return {
    v: 1,
    round: 12,
    epoch: 12,
    stepInEpoch: 0,
    params: v(0),
    optimizer: { iterations: 0, kind: 'plain' },
    plateau: null,
    bestLoss: 0.25,
    noImprovementCount: 0,
    gradNorm0: 3,
    lastLoss: 0.5,
    epochLossSum: 0,
    epochRows: 0,
    last: { round: 11, epoch: 11, loss: 0.5, gradNorm: 0.125, lr: 1 },
    lastEpoch: { epoch: 11, loss: 0.5 },
    status: { status: 'running' },
    solver: {
      kind: 'lbfgs',
      iter: 11,
      direction: v(1),
      steps: [1, 0.5],
      baseLoss: 0.5,
      baseGrad: v(2),
      slope: -0.75,
      memS: [v(3), v(4)],
      memY: [v(5), v(6)],
      radius: 0,
      capped: false,
      failures: 0,
      notes: [],
    },
  };
}

describe('Function: encodeF64', () => {
  it('writes the IEEE-754 bytes little-endian, as worked out by hand', () => {
    // 1 = 0x3FF0000000000000 → bytes 00 00 00 00 00 00 F0 3F → base64: AAAA AAAA, then F0 3F =
    // 111100|000011|1111(00) → 60 '8', 3 'D', 60 '8', '='.
    expect(encodeF64([1])).toBe('AAAAAAAA8D8=');
    // −0 = 0x8000000000000000 → … 00 80 = 000000|001000|0000(00) → 'A', 'I', 'A', '='.
    expect(encodeF64([-0])).toBe('AAAAAAAAAIA=');
    // 5e-324 = 0x0000000000000001 → 01 00 00 | 00 00 00 | 00 00 → 'AQAA', 'AAAA', 'AAA='.
    expect(encodeF64([5e-324])).toBe('AQAAAAAAAAA=');
    expect(encodeF64([])).toBe('');
  });

  it('round-trips every edge value bit for bit, where JSON turns −0 into 0', () => {
    // Act
    const back = decodeF64(encodeF64(EDGES))!;
    const viaJson = JSON.parse(JSON.stringify(EDGES.filter(Number.isFinite))) as number[];
    // Assess
    expect(bits(back)).toEqual(bits(EDGES));
    expect(Object.is(viaJson[1], -0)).toBe(false); // why the vectors are not JSON decimals
  });

  it('costs 4·⌈8n/3⌉ characters for n numbers', () => {
    // 7 510 numbers (a 64-100-10 MLP): 60 080 bytes → 20 027 groups of 3 → 80 108 characters.
    expect(encodeF64(new Float64Array(7510).fill(0.1)).length).toBe(80_108);
  });
});

describe('Function: decodeF64', () => {
  it('refuses what is not base64 of whole float64 values', () => {
    expect(decodeF64('AAAAAAAA8D8')).toBeUndefined(); // not padded to a multiple of 4
    expect(decodeF64('AAAAAAAA8D8*')).toBeUndefined(); // a character outside the alphabet
    expect(decodeF64('AAAA')).toBeUndefined(); // 3 bytes: not a whole float64
    expect(decodeF64('AAAAAAAA 8D8=')).toBeUndefined(); // Buffer would skip the space
  });
});

describe('Function: encodeTrainState', () => {
  it('stores every vector as base64 and decodes to the same bits, through JSON', () => {
    // Prepare
    const state = lbfgsState();
    // Act
    const doc = encodeTrainState(state);
    const back = decodeTrainState(JSON.parse(JSON.stringify(doc)));
    // Assess: the vectors are strings in the document; every bit comes back; the rest is as it was
    expect(doc.v).toBe(2);
    expect(typeof doc.params).toBe('string');
    const s = state.solver as LineSearchState;
    const b = back.solver as typeof s;
    expect(bits(back.params)).toEqual(bits(state.params));
    expect(bits(b.direction)).toEqual(bits(s.direction));
    expect(bits(b.baseGrad)).toEqual(bits(s.baseGrad));
    expect(b.memS.map(bits)).toEqual(s.memS.map(bits));
    expect(b.memY.map(bits)).toEqual(s.memY.map(bits));
    expect({ ...back, params: 0, solver: { ...b, direction: 0, baseGrad: 0, memS: 0, memY: 0 } }).toEqual({
      ...state,
      params: 0,
      solver: { ...s, direction: 0, baseGrad: 0, memS: 0, memY: 0 },
    });
    expect(Object.keys(back)).toEqual(Object.keys(state)); // same key order: equal states, equal bytes
  });

  it('encodes the moment vectors of momentum and Adam', () => {
    // Prepare
    const base = { ...lbfgsState(), solver: null };
    const adam: TrainState = {
      ...base,
      optimizer: { iterations: 3, kind: 'adam', m: [-0, 1], v: [5e-324, 2] },
    };
    const momentum: TrainState = {
      ...base,
      optimizer: { iterations: 3, kind: 'momentum', accumulation: [-0] },
    };
    // Act
    const a = decodeTrainState(JSON.parse(JSON.stringify(encodeTrainState(adam))));
    const m = decodeTrainState(JSON.parse(JSON.stringify(encodeTrainState(momentum))));
    // Assess
    expect(encodeTrainState(adam).optimizer).toEqual({
      iterations: 3,
      kind: 'adam',
      m: encodeF64([-0, 1]),
      v: encodeF64([5e-324, 2]),
    });
    expect(a.optimizer.kind === 'adam' && [bits(a.optimizer.m), bits(a.optimizer.v)]).toEqual([
      bits([-0, 1]),
      bits([5e-324, 2]),
    ]);
    expect(m.optimizer.kind === 'momentum' && bits(m.optimizer.accumulation)).toEqual(bits([-0]));
    expect(a.solver).toBeNull();
  });
});

describe('Const: trainStateDocument', () => {
  it('reads version 2 documents decoded and version 1 documents (plain arrays) as they are', () => {
    // Prepare
    const state = lbfgsState();
    const finite = { ...state, params: [0.5, -1], solver: null }; // as main wrote it: plain JSON
    const v2 = new TextEncoder().encode(encodeState(state).json);
    const v1 = new TextEncoder().encode(JSON.stringify(finite));
    // Act
    const fromV2 = parseDocument('jobs/j/state/000012.json', v2, trainStateDocument);
    const fromV1 = parseDocument('jobs/j/state/000012.json', v1, trainStateDocument);
    // Assess
    expect(bits(fromV2.params)).toEqual(bits(state.params));
    expect(fromV1).toEqual(finite);
  });

  it('names the key and the field of a vector that does not decode', () => {
    // Prepare: one memory vector cut short by 4 characters (3 bytes)
    const doc = encodeTrainState(lbfgsState()) as unknown as { solver: { memS: string[] } };
    doc.solver.memS[1] = doc.solver.memS[1]!.slice(0, -4);
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    // Act
    const read = () => parseDocument('jobs/j/state/000012.json', bytes, trainStateDocument);
    // Assess
    expect(read).toThrow(SchemaError);
    expect(read).toThrow(/jobs\/j\/state\/000012\.json/);
    expect(read).toThrow(/solver\.memS\.1/);
  });

  it('stores an L-BFGS state of a 64-100-10 MLP in about half the bytes of plain JSON', () => {
    // Prepare: 7 510 parameters, 10 pairs → 23 vectors of 7 510 numbers with ~17 significant digits.
    const n = 7510;
    let seed = 1;
    const vec = () =>
      Array.from({ length: n }, () => {
        seed = (seed * 16807) % 2147483647;
        return (seed / 2147483647 - 0.5) * 1e-3;
      });
    const state: TrainState = {
      ...lbfgsState(),
      params: vec(),
      solver: {
        ...(lbfgsState().solver as LineSearchState),
        direction: vec(),
        baseGrad: vec(),
        memS: Array.from({ length: 10 }, vec),
        memY: Array.from({ length: 10 }, vec),
      },
    };
    // Act
    const plain = JSON.stringify(state).length;
    const stored = encodeState(state).json.length;
    // Assess: 23 × 80 108 characters of base64 (+ the scalars); plain JSON spends ~21 a number here
    expect(stored).toBeGreaterThan(23 * 80_108);
    expect(stored).toBeLessThan(23 * 80_108 + 2_000);
    expect(stored / plain).toBeLessThan(0.55);
  });
});
