/**
 * Strict decimal number syntax: optional sign, digits with an optional fraction (or a bare
 * fraction), optional exponent. Deliberately narrower than `Number()`, which also accepts
 * `""`, `" "`, `"0x1f"`, `"0b1"` and `"Infinity"`: a CSV cell that is none of those is data.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Spellings of NaN and infinity that spreadsheets and pandas write for missing or bad values. */
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Result of reading one cell as a number. */
export type NumberCell =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'empty' }
  | { readonly kind: 'non-finite' }
  | { readonly kind: 'text' };

/**
 * Classifies a cell: a finite decimal number, an empty cell, a NaN/Infinity spelling, or text.
 * Surrounding spaces are ignored. A decimal whose magnitude overflows a double (`1e999`) counts
 * as non-finite.
 */
export function parseNumberCell(cell: string): NumberCell {
  const s = cell.trim();
  if (s.length === 0) return { kind: 'empty' };
  if (DECIMAL.test(s)) {
    const value = Number(s);
    return Number.isFinite(value) ? { kind: 'number', value } : { kind: 'non-finite' };
  }
  return NON_FINITE.test(s) ? { kind: 'non-finite' } : { kind: 'text' };
}

/**
 * Fast path used per cell while streaming: the finite value, or `undefined` when the cell is not
 * a finite decimal number (call {@link parseNumberCell} then to find out why).
 */
export function toFiniteNumber(cell: string): number | undefined {
  if (!DECIMAL.test(cell)) {
    const s = cell.trim();
    if (s.length === cell.length || !DECIMAL.test(s)) return undefined;
    const trimmed = Number(s);
    return Number.isFinite(trimmed) ? trimmed : undefined;
  }
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

/** Whether a cell spells NaN or infinity (these are rejected even in categorical columns). */
export function isNonFiniteSpelling(cell: string): boolean {
  return NON_FINITE.test(cell.trim());
}
