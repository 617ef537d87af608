import type { z } from 'zod';
import { ProtocolError } from '../errors.js';
import type { ObjectStore, PutOptions } from '../ports.js';

/** A parsed document with the etag it was read at (pass it as `ifMatch` to update it). */
export interface Versioned<T> {
  readonly doc: T;
  readonly etag: string;
}

const decoder = new TextDecoder();

/** Reads and validates a JSON document; `undefined` when absent, `ProtocolError` when malformed. */
export async function readDocument<S extends z.ZodType>(
  store: ObjectStore,
  key: string,
  schema: S,
): Promise<Versioned<z.infer<S>> | undefined> {
  const stored = await store.get(key);
  if (stored === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(stored.body));
  } catch (error) {
    throw new ProtocolError(`registry document "${key}" is not valid JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ProtocolError(
      `registry document "${key}" does not follow its schema (v: 1): ${parsed.error.message}`,
      { cause: parsed.error },
    );
  }
  return { doc: parsed.data, etag: stored.etag };
}

/** Writes a document as JSON under the given precondition (`PreconditionFailedError` when it fails). */
export async function writeDocument(
  store: ObjectStore,
  key: string,
  doc: unknown,
  condition: Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'>,
): Promise<string> {
  const { etag } = await store.put(key, JSON.stringify(doc), {
    ...condition,
    contentType: 'application/json',
  });
  return etag;
}

/** `ifMatch` the etag when the document was read, else create it (`ifNoneMatch: '*'`). */
export function casCondition(
  current: Versioned<unknown> | undefined,
): Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'> {
  return current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag };
}
