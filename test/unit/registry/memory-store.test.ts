import { describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../../lib/errors.js';
import { objectStoreConformance } from '../../support/conformance/object-store.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

objectStoreConformance('MemoryObjectStore (tests)', { create: () => new MemoryObjectStore() });

describe('Class: MemoryObjectStore', () => {
  describe('Method: put', () => {
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
