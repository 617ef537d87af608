import { describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../../lib/errors.js';
import { MemoryObjectStore } from './memory-store.js';

describe('Class: MemoryObjectStore', () => {
  describe('Method: put', () => {
    it('put-if-absent fails when the key exists and leaves the object unchanged', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      await store.put('k', 'first', { ifNoneMatch: '*' });

      // Act
      const second = store.put('k', 'second', { ifNoneMatch: '*' });

      // Assess
      await expect(second).rejects.toBeInstanceOf(PreconditionFailedError);
      const got = await store.get('k');
      expect(new TextDecoder().decode(got!.body)).toBe('first');
    });

    it('ifMatch writes only over the etag it names, and never creates', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const { etag: first } = await store.put('k', 'a');
      const { etag: second } = await store.put('k', 'a');

      // Act + Assess
      expect(second).not.toBe(first);
      await expect(store.put('k', 'b', { ifMatch: first })).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(store.put('absent', 'b', { ifMatch: first })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      await expect(store.put('k', 'c', { ifMatch: second })).resolves.toHaveProperty('etag');
      expect(store.preconditionFailures).toBe(2);
    });
  });

  describe('Method: list', () => {
    it('lists keys under a prefix in ascending order', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      await Promise.all(['p/b', 'p/a', 'q/c'].map((key) => store.put(key, 'x')));

      // Act
      const keys = (await store.list('p/')).map((o) => o.key);

      // Assess
      expect(keys).toEqual(['p/a', 'p/b']);
    });
  });
});
