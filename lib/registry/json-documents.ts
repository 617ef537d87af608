import type { Versioned } from '../documents.js';
import type { ObjectStore, PutOptions } from '../ports.js';

export { readVersionedDocument as readDocument, type Versioned } from '../documents.js';

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
