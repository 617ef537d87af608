import { DatasetError } from '../../errors.js';

/**
 * Checks the header row: every column has a non-empty name (after trimming) and no name repeats.
 * Returns the trimmed names.
 *
 * @throws DatasetError naming the file, the header line and the offending column.
 */
export function validateHeader(cells: readonly string[], file: string, line: number): string[] {
  const names = cells.map((cell) => cell.trim());
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name.length === 0) {
      throw new DatasetError(
        { file, line },
        `header column ${index + 1} has an empty name; give every column a name`,
      );
    }
    if (seen.has(name)) {
      throw new DatasetError(
        { file, line, column: name },
        'duplicate column name; column names must be unique',
      );
    }
    seen.add(name);
  });
  return names;
}
