import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { DatasetError } from '../../errors.js';
import { shuffleBytes, unshuffleBytes } from './byte-shuffle.js';

/** How a shard's float32 payload is compressed. */
export const Compression = { none: 'none', deflate: 'deflate', brotli: 'brotli' } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

/**
 * Default compression, from `bench/data.ts` on one 65 536 × 16 shard of 6-significant-digit
 * floats (byte-shuffled): brotli quality 4 gives ratio 1.226 at 57 MB/s encode / 94 MB/s decode;
 * deflate level 6 gives 1.222 at 16 MB/s / 108 MB/s. Brotli is as small and faster to write.
 * Quality 1 since issue 9 (the ingest must keep pace with a parser at ~150 MB/s of CSV): on a
 * 65 536 × 32 shard of the 500k × 32 bench file, quality 1 encodes 5–10× faster than quality 4
 * for a ratio of 1.170 against 1.174 (0.3 % bigger shards), and decodes faster too. Same brotli
 * stream format: shards written at quality 4 decode unchanged.
 */
export const DEFAULT_COMPRESSION: Compression = Compression.brotli;

/** A block of rows: row-major float32, `data.length === rows * cols`. */
export interface Shard {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

const MAGIC = 'STSH';
/** Format version written in byte 4. */
export const SHARD_FORMAT_VERSION = 1;
/**
 * Header (little-endian, 24 bytes): magic "STSH" | version u8 | compression u8 | filter u8
 * (0 none, 1 byte-plane shuffle before compressing) | reserved u8 | rows u32 | cols u32 |
 * payload length u32 | CRC-32 of the float bytes (unshuffled, uncompressed) u32.
 */
export const SHARD_HEADER_BYTES = 24;
const CODES: readonly Compression[] = [Compression.none, Compression.deflate, Compression.brotli];
const DEFLATE_LEVEL = 6;
const BROTLI_QUALITY = 1;

const deflateAsync = promisify(zlib.deflate);
const inflateAsync = promisify(zlib.inflate);
const brotliCompressAsync = promisify(zlib.brotliCompress);
const brotliDecompressAsync = promisify(zlib.brotliDecompress);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Float32Array views would silently byte-swap: every target we run on (x64, arm64) is little-endian.
  throw new Error('shard codec: big-endian platforms are not supported');
}

function brotliOptions(): zlib.BrotliOptions {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_GENERIC,
    },
  };
}

function floatBytes(shard: Shard): Uint8Array {
  if (shard.data.length !== shard.rows * shard.cols) {
    throw new RangeError(
      `shard has ${shard.data.length} values, expected rows × cols = ${shard.rows * shard.cols}`,
    );
  }
  return new Uint8Array(shard.data.buffer, shard.data.byteOffset, shard.data.byteLength);
}

const FILTER_NONE = 0;
const FILTER_SHUFFLE = 1;

/** Compressed shards are byte-shuffled first; uncompressed ones stay plain (readable as floats). */
function filterFor(compression: Compression): number {
  return compression === Compression.none ? FILTER_NONE : FILTER_SHUFFLE;
}

function frame(shard: Shard, compression: Compression, raw: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SHARD_HEADER_BYTES + payload.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint8(4, SHARD_FORMAT_VERSION);
  view.setUint8(5, CODES.indexOf(compression));
  view.setUint8(6, filterFor(compression));
  view.setUint32(8, shard.rows, true);
  view.setUint32(12, shard.cols, true);
  view.setUint32(16, payload.byteLength, true);
  view.setUint32(20, zlib.crc32(raw), true);
  out.set(payload, SHARD_HEADER_BYTES);
  return out;
}

/**
 * Encodes a shard: header + (compressed) little-endian float32 values, row-major.
 *
 * @example
 * const bytes = encodeShard({ rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) }, 'deflate');
 */
export function encodeShard(shard: Shard, compression: Compression = DEFAULT_COMPRESSION): Uint8Array {
  const raw = floatBytes(shard);
  const input = filterFor(compression) === FILTER_SHUFFLE ? shuffleBytes(raw) : raw;
  const payload =
    compression === Compression.none
      ? input
      : compression === Compression.deflate
        ? zlib.deflateSync(input, { level: DEFLATE_LEVEL })
        : zlib.brotliCompressSync(input, brotliOptions());
  return frame(shard, compression, raw, payload);
}

/** {@link encodeShard} with compression on the libuv thread pool, so parsing can continue meanwhile. */
export async function encodeShardAsync(
  shard: Shard,
  compression: Compression = DEFAULT_COMPRESSION,
): Promise<Uint8Array> {
  const raw = floatBytes(shard);
  const input = filterFor(compression) === FILTER_SHUFFLE ? shuffleBytes(raw) : raw;
  const payload =
    compression === Compression.none
      ? input
      : compression === Compression.deflate
        ? await deflateAsync(input, { level: DEFLATE_LEVEL })
        : await brotliCompressAsync(input, brotliOptions());
  return frame(shard, compression, raw, payload);
}

interface Header {
  readonly rows: number;
  readonly cols: number;
  readonly compression: Compression;
  readonly filter: number;
  readonly crc: number;
  readonly payload: Uint8Array;
}

function corrupt(name: string, problem: string, cause?: unknown): DatasetError {
  return new DatasetError(
    { file: name },
    `corrupt shard: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function readHeader(bytes: Uint8Array, name: string): Header {
  if (bytes.byteLength < SHARD_HEADER_BYTES) {
    throw corrupt(name, `${bytes.byteLength} bytes is shorter than the ${SHARD_HEADER_BYTES}-byte header`);
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw corrupt(name, 'bad magic (not a shardtrain shard)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== SHARD_FORMAT_VERSION) {
    throw corrupt(name, `format version ${version}, this build reads version ${SHARD_FORMAT_VERSION}`);
  }
  const compression = CODES[view.getUint8(5)];
  if (compression === undefined) throw corrupt(name, `unknown compression code ${view.getUint8(5)}`);
  const filter = view.getUint8(6);
  if (filter !== FILTER_NONE && filter !== FILTER_SHUFFLE)
    throw corrupt(name, `unknown filter code ${filter}`);
  const rows = view.getUint32(8, true);
  const cols = view.getUint32(12, true);
  const length = view.getUint32(16, true);
  if (SHARD_HEADER_BYTES + length !== bytes.byteLength) {
    throw corrupt(
      name,
      `header says ${length} payload bytes, found ${bytes.byteLength - SHARD_HEADER_BYTES}`,
    );
  }
  return {
    rows,
    cols,
    compression,
    filter,
    crc: view.getUint32(20, true),
    payload: bytes.subarray(SHARD_HEADER_BYTES),
  };
}

function toShard(header: Header, decompressed: Uint8Array, name: string): Shard {
  const expected = header.rows * header.cols * 4;
  if (decompressed.byteLength !== expected) {
    throw corrupt(
      name,
      `${decompressed.byteLength} data bytes, expected ${header.rows}×${header.cols}×4 = ${expected}`,
    );
  }
  const raw = header.filter === FILTER_SHUFFLE ? unshuffleBytes(decompressed) : decompressed;
  if (zlib.crc32(raw) >>> 0 !== header.crc) throw corrupt(name, 'checksum mismatch');
  let data: Float32Array;
  if (raw !== decompressed) {
    data = new Float32Array(raw.buffer, raw.byteOffset, header.rows * header.cols); // fresh, aligned
  } else {
    // Copy into a fresh, 4-byte-aligned buffer: zlib output and subarrays can sit at any offset.
    data = new Float32Array(header.rows * header.cols);
    new Uint8Array(data.buffer).set(raw);
  }
  return { rows: header.rows, cols: header.cols, data };
}

/**
 * Decodes {@link encodeShard}'s bytes.
 *
 * @param name - shown in errors (e.g. the object key).
 * @throws DatasetError "corrupt shard: …" for a short or foreign file, an unknown version or
 *   compression, a truncated or damaged payload, or a checksum mismatch.
 */
export function decodeShard(bytes: Uint8Array, name = 'shard'): Shard {
  const header = readHeader(bytes, name);
  let raw: Uint8Array;
  try {
    raw =
      header.compression === Compression.none
        ? header.payload
        : header.compression === Compression.deflate
          ? zlib.inflateSync(header.payload)
          : zlib.brotliDecompressSync(header.payload);
  } catch (error) {
    throw corrupt(name, `cannot ${header.compression}-decompress the payload`, error);
  }
  return toShard(header, raw, name);
}

/** {@link decodeShard} with decompression on the libuv thread pool. */
export async function decodeShardAsync(bytes: Uint8Array, name = 'shard'): Promise<Shard> {
  const header = readHeader(bytes, name);
  let raw: Uint8Array;
  try {
    raw =
      header.compression === Compression.none
        ? header.payload
        : header.compression === Compression.deflate
          ? await inflateAsync(header.payload)
          : await brotliDecompressAsync(header.payload);
  } catch (error) {
    throw corrupt(name, `cannot ${header.compression}-decompress the payload`, error);
  }
  return toShard(header, raw, name);
}
