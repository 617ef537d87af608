/**
 * Whether a file name is a Parquet file (by its extension, as the upload routing decides). Apart
 * from the reader so that routing a CSV never loads hyparquet.
 */
export function isParquetFile(file: string): boolean {
  return /\.parquet$/i.test(file);
}
