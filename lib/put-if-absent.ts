import { PreconditionFailedError } from './errors.js';
import type { ObjectBody, ObjectStore } from './ports.js';

/**
 * Put-if-absent on top of a conditional `put` (`ifNoneMatch: '*'`): true when this call wrote
 * the object, false when one was there already. Shared by every `ObjectStore` adapter.
 */
export async function putIfAbsentVia(
  store: Pick<ObjectStore, 'put'>,
  key: string,
  body: ObjectBody,
): Promise<boolean> {
  try {
    await store.put(key, body, { ifNoneMatch: '*' });
    return true;
  } catch (error) {
    if (error instanceof PreconditionFailedError) return false;
    throw error;
  }
}
