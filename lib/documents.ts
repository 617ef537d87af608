import { z } from 'zod';
import { SchemaError, type ShardtrainError, schemaError } from './errors.js';
import type { ObjectStore } from './ports.js';

/**
 * THE reader of stored JSON documents (job specs, plans, states, pipeline decisions, registry
 * versions...): every read is validated by a zod schema, and a document that is not JSON or not
 * of its schema is a {@link SchemaError} whose subject is the key, with the field path.
 */

/** A parsed document with the etag it was read at (pass it as `ifMatch` to update it). */
export interface Versioned<T> {
  readonly doc: T;
  readonly etag: string;
}

const decoder = new TextDecoder();

/** Parses stored bytes as the document at `key`; a `SchemaError` about `key` when they are not. */
export function parseDocument<S extends z.ZodType>(key: string, bytes: Uint8Array, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new SchemaError(key, '', 'not valid JSON', { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw schemaError(parsed.error, key);
  return parsed.data;
}

/** Reads and validates the document at `key` with its etag; `undefined` when there is none. */
export async function readVersionedDocument<S extends z.ZodType>(
  store: ObjectStore,
  key: string,
  schema: S,
): Promise<Versioned<z.output<S>> | undefined> {
  const stored = await store.get(key);
  if (stored === undefined) return undefined;
  return { doc: parseDocument(key, stored.body, schema), etag: stored.etag };
}

/** Reads and validates the document at `key`; `undefined` when there is none. */
export async function readDocument<S extends z.ZodType>(
  store: ObjectStore,
  key: string,
  schema: S,
): Promise<z.output<S> | undefined> {
  return (await readVersionedDocument(store, key, schema))?.doc;
}

/** Reads and validates the document at `key`; throws `missing()` when there is none. */
export async function requireDocument<S extends z.ZodType>(
  store: ObjectStore,
  key: string,
  schema: S,
  missing: () => ShardtrainError,
): Promise<z.output<S>> {
  const doc = await readDocument(store, key, schema);
  if (doc === undefined) throw missing();
  return doc;
}

/**
 * A schema for a document whose type is declared elsewhere (an interface of lib/optim, say):
 * `shape` checks the fields readers rely on, and the value is returned exactly as stored (no
 * copy, no field dropped or reordered), typed as `T`. The one place such a type is asserted.
 */
export function storedAs<T>(shape: z.ZodType): z.ZodType<T> {
  return z.unknown().superRefine((value, ctx) => {
    const parsed = shape.safeParse(value);
    if (parsed.success) return;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }) as unknown as z.ZodType<T>;
}
