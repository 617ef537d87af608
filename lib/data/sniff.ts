import { DatasetError } from '../errors.js';

/**
 * File-level checks that run on the first bytes of an upload before the CSV parser sees it:
 * compressed and binary files, text that is not UTF-8, and a delimiter other than ",". Each is
 * refused by name with a {@link DatasetError}. The parser owns every per-row check, column types
 * included (decided on the whole file by the row decoder: a column mixing numbers and text is
 * refused wherever the odd cell is); this module never parses more than the sample.
 */

/** Bytes read from the front of a file for {@link sniffHead}. */
export const SNIFF_BYTES = 64 * 1024;

const MAGIC: readonly { readonly bytes: readonly number[]; readonly what: string }[] = [
  { bytes: [0x1f, 0x8b], what: 'a gzip file; decompress it first (gunzip)' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive (or .xlsx); export the sheet as CSV' },
  { bytes: [0x42, 0x5a, 0x68], what: 'a bzip2 file; decompress it first (bunzip2)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'an xz file; decompress it first (unxz)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd file; decompress it first (unzstd)' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text; save it as UTF-8' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text; save it as UTF-8' },
];

/** The first four bytes of a Parquet file. */
export const PARQUET_MAGIC: readonly number[] = [0x50, 0x41, 0x52, 0x31];

const startsWith = (head: Uint8Array, bytes: readonly number[]): boolean =>
  head.length >= bytes.length && bytes.every((b, i) => head[i] === b);

/**
 * Refuses what cannot be a UTF-8 CSV. `head` is the file's first bytes (at most
 * {@link SNIFF_BYTES}); `complete` says whether it is the whole file (a multi-byte character cut
 * at the end of a partial head is not an error).
 *
 * @throws DatasetError naming the file and what it looks like
 */
export function sniffHead(head: Uint8Array, file: string, complete: boolean): void {
  // Parquet ("PAR1") is binary by design: its reader, not this CSV check, decides about it.
  if (startsWith(head, PARQUET_MAGIC)) return;
  for (const m of MAGIC) {
    if (startsWith(head, m.bytes)) throw new DatasetError({ file }, `not a CSV: this is ${m.what}`);
  }
  const nul = head.indexOf(0);
  if (nul !== -1) {
    throw new DatasetError(
      { file, line: lineAt(head, nul) },
      `not a CSV: a NUL byte at byte ${nul + 1}; this looks like a binary file`,
    );
  }
  let body = head;
  if (!complete) body = head.subarray(0, utf8Boundary(head));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    throw new DatasetError(
      { file, line: lineAt(head, at) },
      `not UTF-8 text (byte 0x${head[at]?.toString(16).padStart(2, '0')} at byte ${at + 1}); if it is Latin-1, convert it: iconv -f latin1 -t utf-8`,
    );
  }
  checkText(text, file, complete);
}

function checkText(text: string, file: string, complete: boolean): void {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!complete) lines.pop(); // may be cut
  const header = lines[0] ?? '';
  if (header.includes('"')) return; // quoted headers: leave delimiters and types to the parser
  if (!header.includes(',')) {
    for (const [d, name] of [
      [';', 'semicolons'],
      ['\t', 'tabs'],
      ['|', 'vertical bars'],
    ] as const) {
      if (header.includes(d)) {
        throw new DatasetError(
          { file, line: 1 },
          `the header is delimited by ${name}, not commas; save the file with "," as the delimiter`,
        );
      }
    }
  }
}

/** Length of the longest prefix of `b` that does not end inside a UTF-8 multi-byte sequence. */
function utf8Boundary(b: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const byte = b[b.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    if ((byte & 0x80) === 0) return b.length; // ASCII: nothing cut
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}

function firstInvalidUtf8(b: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Binary search for the longest prefix that decodes (a bad byte makes every longer prefix fail).
  let lo = 0;
  let hi = b.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      decoder.decode(b.subarray(0, utf8Boundary(b.subarray(0, mid))));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  // The decodable prefix ends where a (possibly cut) character starts: that byte is the bad one.
  return Math.min(utf8Boundary(b.subarray(0, lo)), b.length - 1);
}

function lineAt(b: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at && i < b.length; i++) if (b[i] === 0x0a) line++;
  return line;
}

/**
 * Reads the head of `source`, runs {@link sniffHead} on it, and returns a stream of the same
 * bytes (head included) for the parser.
 */
export async function sniffedSource(
  source: AsyncIterable<Uint8Array>,
  file: string,
): Promise<AsyncIterable<Uint8Array>> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  const head = Buffer.concat(chunks);
  try {
    sniffHead(head.subarray(0, SNIFF_BYTES), file, done && head.length <= SNIFF_BYTES);
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  return (async function* replay() {
    for (const c of chunks) yield c;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  })();
}
