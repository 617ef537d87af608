import { z } from 'zod';
import { readDocument } from '../../lib/documents.js';
import type { ObjectStore } from '../../lib/ports.js';

/** A stored JSON document as the test expects it to be (tests compare it whole; no schema). */
export async function readJson<T = unknown>(store: ObjectStore, key: string): Promise<T | undefined> {
  return (await readDocument(store, key, z.unknown())) as T | undefined;
}
