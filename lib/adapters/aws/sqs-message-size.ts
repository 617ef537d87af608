/**
 * How SQS counts a message's size, and how a batch is cut to fit SQS's limits.
 */

/** SQS's classic message size limit, 256 KiB, counted in UTF-8 bytes with the attributes. */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;

/** SQS's limit on entries per `SendMessageBatch` call. */
export const SQS_MAX_BATCH_ENTRIES = 10;

/** A message attribute as the SDK takes it (only string attributes are used here). */
export interface StringAttribute {
  readonly DataType: 'String';
  readonly StringValue: string;
}

/**
 * The size SQS charges against its limit: the body's UTF-8 bytes plus, for each message
 * attribute, the bytes of its name, data type and value.
 *
 * @example
 * ```ts
 * messageBytes('héllo'); // 6: 'é' is two bytes in UTF-8
 * ```
 */
export function messageBytes(
  body: string,
  attributes: Readonly<Record<string, StringAttribute>> = {},
): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8');
    bytes += Buffer.byteLength(attribute.DataType, 'utf8');
    bytes += Buffer.byteLength(attribute.StringValue, 'utf8');
  }
  return bytes;
}

/**
 * Cuts items into consecutive chunks of at most `maxEntries` items whose summed sizes stay within
 * `maxBytes` (SQS limits a whole batch's payload as it limits one message). Order is kept.
 * An item bigger than `maxBytes` on its own gets a chunk of its own.
 */
export function chunkBySizeAndCount<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxEntries: number = SQS_MAX_BATCH_ENTRIES,
  maxBytes: number = SQS_MAX_MESSAGE_BYTES,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    const bytes = sizeOf(item);
    if (current.length > 0 && (current.length >= maxEntries || currentBytes + bytes > maxBytes)) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
