import { PreconditionFailedError } from './errors.js';
import type { ObjectBody, ObjectStore } from './ports.js';

/**
 * What a put-if-absent found: `'written'` by this call; `'present'`, an object another write put
 * there; `'maybe-own'`, an object there when the store had retried the write or cannot say
 * whether it did, so it may be this call's own first attempt whose answer was lost.
 */
export type PutIfAbsentOutcome = 'written' | 'present' | 'maybe-own';

/**
 * Put-if-absent on top of a conditional `put` (`ifNoneMatch: '*'`): true when this call wrote
 * the object, false when one was there already. Shared by every `ObjectStore` adapter.
 */
export async function putIfAbsentVia(
  store: Pick<ObjectStore, 'put'>,
  key: string,
  body: ObjectBody,
): Promise<boolean> {
  return (await putIfAbsentOutcome(store, key, body)) === 'written';
}

/**
 * {@link putIfAbsentVia} that also tells a lost race from a write that may have been this call's
 * own (see {@link PutIfAbsentOutcome}), from the store's `PreconditionFailedError.retried`.
 */
export async function putIfAbsentOutcome(
  store: Pick<ObjectStore, 'put'>,
  key: string,
  body: ObjectBody,
): Promise<PutIfAbsentOutcome> {
  try {
    await store.put(key, body, { ifNoneMatch: '*' });
    return 'written';
  } catch (error) {
    if (error instanceof PreconditionFailedError) return error.retried === false ? 'present' : 'maybe-own';
    throw error;
  }
}
