/**
 * What a solver keeps between rounds, inside the round state (plain JSON, O(parameters) — an
 * L-BFGS memory is 2·m vectors; no Hessian is ever stored: Newton's arrives with each round).
 */

/** Something the solver did that the user should know (a dropped column, a reset). */
export interface SolverNote {
  readonly message: string;
  /** Model feature indices (0-based, in model order) the note is about; empty if none. */
  readonly features: number[];
}

/** The normal equations: one round of statistics, then done. */
export interface NormalState {
  readonly kind: 'normal';
  readonly notes: SolverNote[];
}

/**
 * Newton and L-BFGS share the same round shape: the params of the state are the accepted point
 * θ; this round's workers evaluate θ + t·direction for every t in `steps` (a Hessian too, for
 * Newton), and the next `applyRound` picks the accepted trial — so accepting or rejecting a step
 * costs no extra round.
 */
export interface LineSearchState {
  readonly kind: 'newton' | 'lbfgs';
  /** Accepted steps so far (scikit-learn's n_iter_). */
  readonly iter: number;
  readonly direction: number[];
  /** Trial step lengths of this round, largest first; [0] in round 0 (evaluate θ₀). */
  readonly steps: number[];
  /** Loss at θ (null before round 0 is applied). */
  readonly baseLoss: number | null;
  /** Mean gradient at θ (with L2). */
  readonly baseGrad: number[];
  /** gᵀ·direction at θ. */
  readonly slope: number;
  /** L-BFGS curvature pairs, oldest first (empty for Newton). */
  readonly memS: number[][];
  readonly memY: number[][];
  /** Newton: the trust radius (largest coordinate move) and whether this round's step hit it. */
  readonly radius: number;
  readonly capped: boolean;
  /** Rounds in a row whose every trial failed the sufficient-decrease test. */
  readonly failures: number;
  readonly notes: SolverNote[];
}

export type SolverState = NormalState | LineSearchState;

/** Appends a note unless one with the same message is there (notes stay few). */
export function withNote(notes: readonly SolverNote[], note: SolverNote): SolverNote[] {
  if (notes.some((n) => n.message === note.message)) return [...notes];
  return [...notes, note];
}
