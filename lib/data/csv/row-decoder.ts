import { DatasetError } from '../../errors.js';
import { excerpt } from '../../validation/text.js';
import { isNonFiniteSpelling, parseNumberCell, toFiniteNumber } from './parse-number.js';

/** Largest magnitude a float32 shard holds; larger finite values would become ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** At most this many distinct labels in a categorical column. */
export const MAX_CATEGORIES = 1024;

/** Column type: numbers throughout, or labels throughout. */
export const ColumnType = { numeric: 'numeric', categorical: 'categorical' } as const;
export type ColumnType = (typeof ColumnType)[keyof typeof ColumnType];

/**
 * Turns CSV records into float32 rows. A column's type holds for the whole file: numeric when
 * every cell is a finite number, categorical when none is. A column that mixes the two is
 * refused at the first cell of the other kind, naming that line and the column's first data line
 * (like pandas' mixed-types warning, but an error: a stray word in a numeric column, or one
 * number among labels, is almost always a typo, and guessing would silently turn a numeric
 * feature into thousands of labels or a label into a value). In a categorical column each label
 * becomes its class index, in order of first appearance. Every problem is a
 * {@link DatasetError} naming file, line and column.
 */
export class RowDecoder {
  private types: ColumnType[] | undefined;
  private readonly labelIndex: (Map<string, number> | undefined)[] = [];
  private readonly labels: string[][] = [];
  private firstDataLine = 0;
  /** The first data row's cells (quoted in the mixed-types error). */
  private firstCells: readonly string[] = [];

  public constructor(
    public readonly names: readonly string[],
    private readonly file: string,
  ) {}

  /** Column types; only known after the first data row. */
  public get columnTypes(): readonly ColumnType[] {
    if (this.types === undefined) throw new Error('RowDecoder: no data row decoded yet');
    return this.types;
  }

  /** Whether the first data row has been decoded (so {@link columnTypes} is known). */
  public get typesKnown(): boolean {
    return this.types !== undefined;
  }

  /**
   * Class index of an already-seen label (trimmed) of categorical column `column`, or `undefined`
   * when the label is new (then decode the row with {@link decode}, which validates and adds it).
   */
  public knownClass(column: number, label: string): number | undefined {
    return this.labelIndex[column]?.get(label);
  }

  /** Labels of a categorical column, index = class index. */
  public categories(column: number): readonly string[] {
    return this.labels[column] ?? [];
  }

  /** Decodes one record into `out[offset .. offset + cols)`. */
  public decode(cells: readonly string[], line: number, out: Float32Array, offset: number): void {
    const cols = this.names.length;
    if (cells.length !== cols) {
      throw new DatasetError(
        { file: this.file, line },
        `row has ${cells.length} cells but the header has ${cols} columns`,
      );
    }
    if (this.types === undefined) this.decideTypes(cells, line);
    const types = this.types!;
    for (let c = 0; c < cols; c++) {
      const cell = cells[c]!;
      if (types[c] === ColumnType.numeric) {
        const value = toFiniteNumber(cell);
        out[offset + c] =
          value === undefined
            ? this.rejectNumeric(cell, line, c)
            : Math.abs(value) > FLOAT32_MAX
              ? this.fail(
                  line,
                  c,
                  `${cell.trim().slice(0, 40)} is out of range: values are stored as float32 (at most ±3.4e38)`,
                )
              : value;
      } else {
        out[offset + c] = this.classIndex(cell, line, c);
      }
    }
  }

  private decideTypes(cells: readonly string[], line: number): void {
    this.firstDataLine = line;
    this.firstCells = cells;
    this.types = cells.map((cell, c) => {
      const parsed = parseNumberCell(cell);
      if (parsed.kind === 'empty') this.fail(line, c, 'empty cell; every cell needs a value');
      if (parsed.kind === 'non-finite')
        this.fail(line, c, `"${cell}" is not a finite number (NaN/Infinity are not allowed)`);
      if (parsed.kind === 'number') return ColumnType.numeric;
      this.labelIndex[c] = new Map();
      this.labels[c] = [];
      return ColumnType.categorical;
    });
  }

  private rejectNumeric(cell: string, line: number, c: number): never {
    const parsed = parseNumberCell(cell);
    if (parsed.kind === 'empty') this.fail(line, c, 'empty cell; every cell needs a value');
    if (parsed.kind === 'non-finite')
      this.fail(line, c, `"${cell}" is not a finite number (NaN/Infinity are not allowed)`);
    this.fail(
      line,
      c,
      `${excerpt(cell)} is not a number, but line ${this.firstDataLine} of this column is: a column holds numbers or labels, not both`,
    );
  }

  private classIndex(cell: string, line: number, c: number): number {
    const label = cell.trim();
    const index = this.labelIndex[c]!;
    const known = index.get(label);
    if (known !== undefined) return known;
    if (label.length === 0) this.fail(line, c, 'empty cell; every cell needs a value');
    if (isNonFiniteSpelling(label))
      this.fail(line, c, `"${cell}" looks like a missing value (NaN/Infinity are not allowed)`);
    if (parseNumberCell(label).kind === 'number') {
      this.fail(
        line,
        c,
        `${excerpt(label)} is a number, but line ${this.firstDataLine} of this column is text (${excerpt(this.firstCells[c]!.trim())}): a column holds numbers or labels, not both`,
      );
    }
    if (index.size >= MAX_CATEGORIES) {
      this.fail(
        line,
        c,
        `more than ${MAX_CATEGORIES} distinct labels in a categorical column; is it an id or free text?`,
      );
    }
    const next = index.size;
    index.set(label, next);
    this.labels[c]!.push(label);
    return next;
  }

  private fail(line: number, c: number, problem: string): never {
    throw new DatasetError({ file: this.file, line, column: this.names[c]! }, problem);
  }
}
