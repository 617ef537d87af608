import { DatasetError } from '../../errors.js';
import { validateHeader } from './header.js';
import { ColumnType, FLOAT32_MAX, RowDecoder } from './row-decoder.js';

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const UPPER_E = 69;
const LOWER_E = 101;

/** 10⁰ … 10²², every one exactly representable as a double (Clinger's fast path). */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
/** A mantissa of at most 15 decimal digits is an exact integer in a double. */
const MAX_EXACT_DIGITS = 15;

/** How records end, decided by the first line break outside quotes (as csv-parse does). */
enum Eol {
  unknown = 0,
  lf = 1,
  crlf = 2,
  cr = 3,
}

/** One record found by {@link CsvBlockScanner.recordEnd}: where its content ends, where the next begins. */
interface RecordSpan {
  readonly end: number;
  readonly next: number;
}

const INCOMPLETE = -1;
/** Bytes of a new chunk copied behind the previous chunk's unfinished record. */
const JOIN_BYTES = 4096;

/**
 * Numeric CSV scanner: reads CSV bytes straight into row-major float32 blocks, the fast path of
 * `preprocessCsv`.
 *
 * Chosen over udsv and csv-simple-parser after `bench/data.ts` (section `parsers`): both build a
 * JavaScript string per cell (and udsv a string of the whole chunk) before any number is parsed,
 * so they are bound by string allocation; this scanner walks the `Buffer` once and accumulates
 * each plain decimal (`[+-]digits[.digits][e±digits]`, ≤ 15 significant digits, |exponent| ≤ 22)
 * into a double with one exact multiply or divide, which is the correctly rounded value, the same
 * as `Number(cell)` (Clinger 1990). Anything else in a record — quotes, spaces, a new label, an
 * empty or bad cell, a ragged row, the first data row — sends that record down the reference path:
 * it is split into string cells by the CSV rules csv-parse applies (`bom`, `skip_empty_lines`,
 * `relax_column_count`, record delimiter detected from the first line break) and decoded by
 * {@link RowDecoder}, so types, values and the one-line errors (file, line, column) are exactly
 * those of the csv-parse reader (`readCsvRecords` + `RowDecoder`, kept as the reference).
 *
 * Feed it chunks with {@link feed}, call {@link scan} until it returns `false` (chunk used up) —
 * `true` means the current block is full: take it with {@link fullBlock} and call
 * {@link nextBlock}. After the last chunk call {@link scan} with `final = true`.
 */
export class CsvBlockScanner {
  /** Trimmed header names once the header record is read. */
  public names: string[] | undefined;
  public decoder: RowDecoder | undefined;
  /** Line of the header record (for "header but no data rows"). */
  public headerLine = 1;
  /** Rows in the current block. */
  public filled = 0;

  private buf: Buffer = Buffer.alloc(0);
  /** The buffer {@link fastEnd} belongs to. */
  private fastBuf: Buffer | undefined;
  /** Index of the last record delimiter byte in `buf` (LF, or CR in CR-only files). */
  private fastEnd = -1;
  /** The chunk whose first {@link JOIN_BYTES} bytes were copied behind the previous chunk's tail. */
  private rest: Buffer | undefined;
  /** Where `rest` starts in `buf` (the tail's length). */
  private joinAt = 0;
  private pos = 0;
  /** Line breaks consumed before `pos`. */
  private lines = 0;
  private eol: Eol = Eol.unknown;
  private bomChecked = false;
  private blocks: [Float32Array, Float32Array] | undefined;
  private current = 0;
  private numeric: Uint8Array | undefined;

  public constructor(
    private readonly file: string,
    private readonly shardRows: number,
  ) {}

  /**
   * Appends a chunk of CSV bytes. The record cut by the end of the previous chunk is joined with
   * only the start of this one (copying a few KB, not the whole chunk); once the scan has moved
   * past the join it continues in the chunk itself.
   */
  public feed(chunk: Uint8Array): void {
    const next = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.rest !== undefined) this.mergeRest();
    if (this.pos >= this.buf.length) {
      this.buf = next;
      this.pos = 0;
      return;
    }
    const tail = this.buf.subarray(this.pos);
    const head = next.subarray(0, JOIN_BYTES);
    this.buf = Buffer.concat([tail, head]);
    this.pos = 0;
    if (head.length < next.length) {
      this.rest = next;
      this.joinAt = tail.length;
    }
  }

  /** Continues in the chunk itself once the scan is past the joined record. */
  private leaveJoin(): void {
    if (this.rest !== undefined && this.pos >= this.joinAt) {
      this.pos -= this.joinAt;
      this.buf = this.rest;
      this.rest = undefined;
    }
  }

  /** A record longer than the join: fall back to one buffer holding everything unread. */
  private mergeRest(): void {
    const rest = this.rest!;
    this.buf = Buffer.concat([this.buf.subarray(this.pos), rest.subarray(this.buf.length - this.joinAt)]);
    this.pos = 0;
    this.rest = undefined;
  }

  /** The full (or, at the end, last) block: `filled` rows of `names.length` floats. */
  public fullBlock(): Float32Array {
    return this.blocks![this.current]!.subarray(0, this.filled * this.names!.length);
  }

  /** Switches to the other block buffer (the caller has finished with the one it fills next). */
  public nextBlock(): void {
    this.current = 1 - this.current;
    this.filled = 0;
  }

  /**
   * Scans complete records of what was fed. Returns `true` when the block is full (flush it, call
   * {@link nextBlock}, then scan again), `false` when the bytes are used up. With `final` the last
   * record may end without a line break, and an unterminated quote is an error.
   *
   * @throws DatasetError naming file, line and column.
   */
  public scan(final: boolean): boolean {
    if (!this.bomChecked) {
      if (this.buf.length - this.pos < 3 && !final) return false;
      if (this.buf[this.pos] === 0xef && this.buf[this.pos + 1] === 0xbb && this.buf[this.pos + 2] === 0xbf)
        this.pos += 3;
      this.bomChecked = true;
    }
    for (;;) {
      this.leaveJoin();
      if (this.pos >= this.buf.length) return this.filled === this.shardRows;
      if (this.filled === this.shardRows) return true;
      // While joined, the end of `buf` is not the end of the file.
      const last = final && this.rest === undefined;
      if (this.fastBuf !== this.buf) {
        this.fastBuf = this.buf;
        this.fastEnd = this.buf.lastIndexOf(this.eol === Eol.cr ? CR : LF);
      }
      // The fast path only takes records that end before the buffer's last line break, so it
      // never reads past the end (an out-of-bounds read would deoptimise it).
      if (this.numeric !== undefined && this.pos < this.fastEnd) {
        const next = this.fastRecord();
        if (next >= 0) {
          this.pos = next;
          this.filled++;
          this.lines++;
          continue;
        }
      }
      if (!this.slowRecord(last)) {
        if (this.rest === undefined) return false;
        this.mergeRest();
      }
    }
  }

  /**
   * Optimistic path for a record of plain numbers and known labels ending in the record delimiter.
   * Returns where the next record starts, or {@link INCOMPLETE} to hand the record to
   * {@link slowRecord} (nothing it wrote counts until `filled` moves on).
   */
  private fastRecord(): number {
    const buf = this.buf;
    const numeric = this.numeric!;
    const cols = numeric.length;
    const out = this.blocks![this.current]!;
    const base = this.filled * cols;
    const eol = this.eol;
    const firstEol = eol === Eol.lf ? LF : CR;
    let p = this.pos;
    for (let c = 0; ; c++) {
      if (c >= cols) return INCOMPLETE;
      const start = p;
      if (numeric[c] === 1) {
        let b = buf[p];
        const negative = b === MINUS;
        if (negative || b === PLUS) p++;
        let mantissa = 0;
        let digits = 0;
        let fraction = 0;
        let d = buf[p]! - ZERO;
        while (d >= 0 && d <= 9) {
          mantissa = mantissa * 10 + d;
          digits++;
          d = buf[++p]! - ZERO;
        }
        if (buf[p] === DOT) {
          d = buf[++p]! - ZERO;
          while (d >= 0 && d <= 9) {
            mantissa = mantissa * 10 + d;
            digits++;
            fraction++;
            d = buf[++p]! - ZERO;
          }
        }
        if (digits === 0) return INCOMPLETE;
        let exponent = 0;
        b = buf[p];
        if (b === LOWER_E || b === UPPER_E) {
          b = buf[++p];
          const negativeExponent = b === MINUS;
          if (negativeExponent || b === PLUS) p++;
          let expDigits = 0;
          d = buf[p]! - ZERO;
          while (d >= 0 && d <= 9 && expDigits < 6) {
            exponent = exponent * 10 + d;
            expDigits++;
            d = buf[++p]! - ZERO;
          }
          if (expDigits === 0 || expDigits === 6) return INCOMPLETE;
          if (negativeExponent) exponent = -exponent;
        }
        b = buf[p];
        if (b !== COMMA && b !== firstEol) return INCOMPLETE;
        const e10 = exponent - fraction;
        let value: number;
        if (digits <= MAX_EXACT_DIGITS && e10 >= -22 && e10 <= 22) {
          value = e10 >= 0 ? mantissa * POW10[e10]! : mantissa / POW10[-e10]!;
          if (negative) value = -value;
        } else {
          value = Number(buf.toString('latin1', start, p));
        }
        // Beyond float32 (1e308): the row decoder's slow path refuses it by line and column.
        if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) return INCOMPLETE;
        out[base + c] = value;
      } else {
        let b = buf[p];
        while (b !== COMMA && b !== LF && b !== CR && b !== QUOTE) b = buf[++p];
        if (b !== COMMA && b !== firstEol) return INCOMPLETE;
        const known = this.decoder!.knownClass(c, buf.toString('utf8', start, p).trim());
        if (known === undefined) return INCOMPLETE;
        out[base + c] = known;
      }
      const b = buf[p];
      if (b === COMMA) {
        p++;
        continue;
      }
      if (c !== cols - 1) return INCOMPLETE;
      if (eol === Eol.crlf) return buf[p + 1] === LF ? p + 2 : INCOMPLETE;
      return p + 1;
    }
  }

  /**
   * Reference path for one record: split into string cells by csv-parse's rules, then the header
   * check or {@link RowDecoder.decode}. Returns `false` when the record is not complete yet.
   */
  private slowRecord(final: boolean): boolean {
    const start = this.pos;
    const span = this.recordEnd(start, final);
    if (span === undefined) return false;
    const { cells, breaks } = this.splitCells(start, span.end);
    const line = this.lines + breaks + 1;
    this.lines += breaks + (span.next > span.end ? 1 : 0);
    this.pos = span.next;
    if (span.end === start) return true; // empty line, skipped
    if (this.names === undefined) {
      this.names = validateHeader(cells, this.file, line);
      this.headerLine = line;
      this.decoder = new RowDecoder(this.names, this.file);
      const size = this.shardRows * this.names.length;
      // Shared memory: the shard thread reads a block without a copy (see ShardPipeline).
      this.blocks = [sharedFloats(size), sharedFloats(size)];
      return true;
    }
    const decoder = this.decoder!;
    decoder.decode(cells, line, this.blocks![this.current]!, this.filled * this.names.length);
    if (this.numeric === undefined)
      this.numeric = Uint8Array.from(decoder.columnTypes, (t) => (t === ColumnType.numeric ? 1 : 0));
    this.filled++;
    return true;
  }

  /**
   * Finds the end of the record starting at `start`, honouring quotes, detecting the record
   * delimiter on the first line break. `undefined` when more bytes are needed.
   *
   * @throws DatasetError for a quote left open at the end of the file.
   */
  private recordEnd(start: number, final: boolean): RecordSpan | undefined {
    const buf = this.buf;
    const n = buf.length;
    let quoted = false;
    let fieldStart = true;
    for (let p = start; p < n; p++) {
      const b = buf[p]!;
      if (quoted) {
        if (b === QUOTE) {
          if (buf[p + 1] === QUOTE) p++;
          else if (p + 1 >= n && !final) return undefined;
          else quoted = false;
        }
        continue;
      }
      if (b === QUOTE && fieldStart) {
        quoted = true;
        continue;
      }
      fieldStart = b === COMMA;
      if (b !== LF && b !== CR) continue;
      if (this.eol === Eol.unknown) {
        if (b === CR && p + 1 >= n && !final) return undefined;
        this.eol = b === LF ? Eol.lf : buf[p + 1] === LF ? Eol.crlf : Eol.cr;
        // fastEnd was looked up before the delimiter was known (as LF): look again for CR files.
        this.fastBuf = undefined;
      }
      if (this.eol === Eol.lf && b === LF) return { end: p, next: p + 1 };
      if (this.eol === Eol.cr && b === CR) return { end: p, next: p + 1 };
      if (this.eol === Eol.crlf && b === CR) {
        if (p + 1 >= n && !final) return undefined;
        if (buf[p + 1] === LF) return { end: p, next: p + 2 };
      }
    }
    if (!final) return undefined;
    if (quoted) {
      // csv-parse names the line the record starts on.
      throw new DatasetError(
        { file: this.file, line: this.lines + 1 },
        'not valid CSV: Quote Not Closed: the parsing is finished with an opening quote',
      );
    }
    return { end: n, next: n };
  }

  /**
   * Splits `buf[start, end)` (one record without its delimiter) into cells: `""` inside quotes is
   * a quote, a quote that opens anywhere but at a field's start or closes before anything but a
   * comma is an error (csv-parse's "Invalid Opening/Closing Quote"). Counts the line breaks inside.
   */
  private splitCells(start: number, end: number): { cells: string[]; breaks: number } {
    const buf = this.buf;
    const cells: string[] = [];
    let breaks = 0;
    let p = start;
    const lineHere = (): number => this.lines + breaks + 1;
    for (;;) {
      if (buf[p] === QUOTE) {
        const parts: string[] = [];
        let from = p + 1;
        p++;
        for (;;) {
          const b = buf[p];
          if (b === QUOTE) {
            parts.push(buf.toString('utf8', from, p));
            if (buf[p + 1] === QUOTE) {
              parts.push('"');
              p += 2;
              from = p;
              continue;
            }
            p++;
            break;
          }
          if (b === CR && this.eol === Eol.crlf && buf[p + 1] === LF) {
            breaks++;
            p += 2;
            continue;
          }
          if (b === LF || b === CR) breaks++;
          p++;
        }
        cells.push(parts.join(''));
        if (p < end && buf[p] !== COMMA) {
          throw new DatasetError(
            { file: this.file, line: lineHere() },
            `not valid CSV: Invalid Closing Quote: got "${String.fromCharCode(buf[p]!)}" instead of a delimiter after a closing quote`,
          );
        }
      } else {
        const from = p;
        while (p < end && buf[p] !== COMMA) {
          const b = buf[p];
          if (b === QUOTE) {
            throw new DatasetError(
              { file: this.file, line: lineHere() },
              `not valid CSV: Invalid Opening Quote: a quote is found on field ${cells.length} after "${buf.toString('utf8', from, p)}"`,
            );
          }
          if (b === CR && this.eol === Eol.crlf && buf[p + 1] === LF) {
            breaks++;
            p++;
          } else if (b === LF || b === CR) breaks++;
          p++;
        }
        cells.push(buf.toString('utf8', from, p));
      }
      if (p >= end) return { cells, breaks };
      p++; // the comma
      if (p === end) {
        cells.push('');
        return { cells, breaks };
      }
    }
  }
}

function sharedFloats(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}
