import { z } from 'zod';
import type { OptimizerState, SolverState, TrainState } from '../../optim/index.js';

/**
 * How a round state is stored (`jobs/<id>/state/<round>.json`) and sent inline in work messages.
 *
 * Version 2 (written since): every float64 vector — the parameters, the optimizer's moment
 * vectors, the solver's direction, gradient and L-BFGS memory — is a string, the base64 of its
 * IEEE-754 little-endian bytes: 10⅔ bytes a number instead of the ~19 of a JSON decimal, and
 * exact to the bit (−0, subnormals and all; JSON writes −0 as 0). For an L-BFGS round of a
 * 7 510-parameter MLP that is 23 vectors (params, direction, gradient, 10 pairs): ~1.8 MB
 * instead of ~3.3 MB. Scalars stay JSON numbers, so the document stays readable.
 *
 * Version 1 (written before): the {@link TrainState} itself, plain JSON arrays. Still read.
 */
export const STATE_DOCUMENT_VERSION = 2 as const;

/** A {@link TrainState} with its float64 vectors encoded (see {@link encodeF64}). */
export type StoredTrainState = Omit<TrainState, 'v' | 'params' | 'optimizer' | 'solver'> & {
  readonly v: typeof STATE_DOCUMENT_VERSION;
  readonly params: string;
  readonly optimizer: StoredOptimizerState;
  readonly solver?: StoredSolverState | null;
};

type StoredOptimizerState =
  | { readonly iterations: number; readonly kind: 'plain' }
  | { readonly iterations: number; readonly kind: 'momentum'; readonly accumulation: string }
  | { readonly iterations: number; readonly kind: 'adam'; readonly m: string; readonly v: string };

type LineSearch = Extract<SolverState, { kind: 'newton' | 'lbfgs' }>;
type StoredSolverState =
  | Exclude<SolverState, LineSearch>
  | (Omit<LineSearch, 'direction' | 'baseGrad' | 'memS' | 'memY'> & {
      readonly direction: string;
      readonly baseGrad: string;
      readonly memS: string[];
      readonly memY: string[];
    });

/**
 * The base64 of `v`'s float64 values, little-endian (the byte order is fixed, not the host's).
 *
 * @example
 * encodeF64([1]); // 'AAAAAAAA8D8=' (0x3FF0000000000000 little-endian)
 */
export function encodeF64(v: ArrayLike<number>): string {
  const bytes = new Uint8Array(v.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat64(i * 8, v[i]!, true);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The values {@link encodeF64} encoded; `undefined` when `s` is not base64 of whole float64s. */
export function decodeF64(s: string): number[] | undefined {
  // Buffer's decoder skips characters that are not base64: check first, so corruption is caught.
  if (!BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength % 8 !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** The stored form of `state` (version 2). */
export function encodeTrainState(state: TrainState): StoredTrainState {
  // Spread, then override: the keys keep their order, so equal states give equal bytes.
  const { solver } = state;
  return {
    ...state,
    v: STATE_DOCUMENT_VERSION,
    params: encodeF64(state.params),
    optimizer: encodeOptimizer(state.optimizer),
    solver: solver == null ? solver : encodeSolver(solver), // undefined (no key) is not written
  };
}

function encodeOptimizer(o: OptimizerState): StoredOptimizerState {
  if (o.kind === 'momentum') return { ...o, accumulation: encodeF64(o.accumulation) };
  if (o.kind === 'adam') return { ...o, m: encodeF64(o.m), v: encodeF64(o.v) };
  return o;
}

function encodeSolver(s: SolverState): StoredSolverState {
  if (s.kind === 'normal') return s;
  return {
    ...s,
    direction: encodeF64(s.direction),
    baseGrad: encodeF64(s.baseGrad),
    memS: s.memS.map(encodeF64),
    memY: s.memY.map(encodeF64),
  };
}

/** A vector field: base64 in version 2 (checked and decoded), plain numbers in version 1. */
const vector = z.string().transform((s, ctx) => {
  const v = decodeF64(s);
  if (v === undefined) {
    ctx.addIssue({ code: 'custom', message: 'not base64 of float64 values' });
    return z.NEVER;
  }
  return v;
});

const storedOptimizer = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('plain') }),
  z.looseObject({ kind: z.literal('momentum'), accumulation: vector }),
  z.looseObject({ kind: z.literal('adam'), m: vector, v: vector }),
]);

const lineSearch = {
  direction: vector,
  baseGrad: vector,
  memS: z.array(vector),
  memY: z.array(vector),
};
const storedSolver = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('normal') }),
  z.looseObject({ kind: z.literal('newton'), ...lineSearch }),
  z.looseObject({ kind: z.literal('lbfgs'), ...lineSearch }),
]);

/**
 * Version 2 documents: the vectors are checked and decoded, every other field is kept as stored
 * (the reader in `job-store.ts` checks what its callers use).
 */
const storedV2 = z.looseObject({
  v: z.literal(STATE_DOCUMENT_VERSION),
  params: vector,
  optimizer: storedOptimizer,
  solver: storedSolver.nullable().optional(),
});

/**
 * Any stored state document, as the {@link TrainState} it holds: version 2 decoded, version 1
 * (plain arrays, or no `v` at all in hand-written tests) as it is.
 */
export const storedTrainState = z.unknown().transform((value, ctx): TrainState => {
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== STATE_DOCUMENT_VERSION)
    return value as TrainState;
  const parsed = storedV2.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  // Overlay the decoded vectors on the stored document, so the keys keep their stored order.
  const doc = value as StoredTrainState;
  const { params, optimizer, solver } = parsed.data;
  const decodedSolver = solver == null ? solver : ({ ...doc.solver, ...solver } as SolverState);
  return {
    ...doc,
    v: 1,
    params,
    optimizer: { ...doc.optimizer, ...optimizer } as OptimizerState,
    solver: decodedSolver,
  };
});

/** The state a stored document holds (see {@link storedTrainState}); throws a `ZodError` if corrupt. */
export function decodeTrainState(doc: unknown): TrainState {
  return storedTrainState.parse(doc);
}
