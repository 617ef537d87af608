import { Readable } from 'node:stream';
import { CsvError, Parser } from 'csv-parse';
import { DatasetError } from '../../errors.js';

/** One parsed CSV record and the 1-based line it ends on (what an editor shows). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/**
 * csv-parse's `info: true` snapshots its whole info object for every record (half the CPU of
 * reading a 16-column file here). The parser pushes each record synchronously while `this.info` is
 * current, so tagging the record with `info.lines` in `push` gives the same line number for the
 * price of one small object.
 */
class LineTaggingParser extends Parser {
  public override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    const record: CsvRecord = { line: this.info.lines, cells: chunk as string[] };
    return super.push(record, encoding);
  }
}

/**
 * Streams CSV records out of a byte stream with `csv-parse`, one record at a time (memory stays
 * bounded by the parser's buffers, never by the file). A UTF-8 BOM is dropped, blank lines are
 * skipped, quoted fields may span lines. Ragged rows are *not* rejected here (`relax_column_count`)
 * so the caller can name the line and the expected width in its own {@link DatasetError}.
 *
 * @param source - raw CSV bytes.
 * @param file - the name used in error messages.
 * @throws DatasetError for malformed quoting and other syntax the parser refuses.
 */
export async function* readCsvRecords(
  source: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<CsvRecord> {
  const parser = new LineTaggingParser({ bom: true, relax_column_count: true, skip_empty_lines: true });
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    yield* parser as AsyncIterable<CsvRecord>;
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const code = (error as { code?: unknown }).code;
    // csv-parse 7 names its codes without the CSV_ prefix (INVALID_OPENING_QUOTE): match the class.
    if (error instanceof CsvError || (typeof code === 'string' && code.startsWith('CSV_'))) {
      const lines = (error as { lines?: unknown }).lines;
      const message = error instanceof Error ? error.message : String(error);
      throw new DatasetError(
        { file, ...(typeof lines === 'number' ? { line: lines } : {}) },
        `not valid CSV: ${message}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    input.unpipe(parser);
    input.destroy();
    parser.destroy();
  }
}
