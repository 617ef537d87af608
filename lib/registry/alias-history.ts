import type { AliasMove } from './schemas.js';

/** Filter for {@link filterHistory}. */
export interface HistoryQuery {
  /** Only moves of this alias. */
  readonly alias?: string;
  /** Only moves made at or before this instant. */
  readonly at?: Date;
}

/** Moves matching the query, oldest first. */
export function filterHistory(history: readonly AliasMove[], query: HistoryQuery = {}): AliasMove[] {
  const until = query.at?.getTime();
  return history.filter(
    (move) =>
      (query.alias === undefined || move.alias === query.alias) &&
      (until === undefined || Date.parse(move.at) <= until),
  );
}

/**
 * Every alias's version at instant `time`, replayed from the history. History times never go
 * backwards (the registry clamps them when appending), so the replay can stop at the first later move.
 */
export function aliasesAt(history: readonly AliasMove[], time: Date): Record<string, number> {
  const until = time.getTime();
  const state: Record<string, number> = {};
  for (const move of history) {
    if (Date.parse(move.at) > until) break;
    if (move.to === null) delete state[move.alias];
    else state[move.alias] = move.to;
  }
  return state;
}

/** The last move of `alias`, or `undefined` when it never moved. */
export function lastMove(history: readonly AliasMove[], alias: string): AliasMove | undefined {
  for (let i = history.length - 1; i >= 0; i -= 1) {
    const move = history[i];
    if (move?.alias === alias) return move;
  }
  return undefined;
}

/**
 * The timestamp for a new move: `now`, unless the previous move is stamped later (a writer whose
 * clock lags); then the previous stamp, so that history stays ordered in time as well as appended.
 */
export function nextMoveTime(history: readonly AliasMove[], now: Date): string {
  const previous = history[history.length - 1];
  if (previous !== undefined && Date.parse(previous.at) > now.getTime()) return previous.at;
  return now.toISOString();
}
