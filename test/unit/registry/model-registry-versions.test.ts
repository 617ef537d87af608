import { describe, expect, it } from 'vitest';
import {
  InfrastructureError,
  NotFoundError,
  PreconditionFailedError,
  UsageError,
} from '../../../lib/errors.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';
import { manualClock, RecordingSink, versionInput } from './fixtures.js';

const V1_KEY = 'registry/models/houses/versions/000001.json';

describe('Class: ModelRegistry', () => {
  describe('Method: createVersion', () => {
    it('numbers versions 1, 2, 3 per model and stores them at zero-padded keys', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const clock = manualClock('2024-03-01T12:00:00.000Z');
      const registry = new ModelRegistry({ store, now: clock.now });

      // Act
      const a = await registry.createVersion('houses', versionInput(1));
      const b = await registry.createVersion('houses', versionInput(2));
      const other = await registry.createVersion('churn', versionInput(3));
      const c = await registry.createVersion('houses', versionInput(4));

      // Assess
      expect([a.version, b.version, c.version, other.version]).toEqual([1, 2, 3, 1]);
      expect(store.keys()).toEqual([
        'registry/models/churn/versions/000001.json',
        V1_KEY,
        'registry/models/houses/versions/000002.json',
        'registry/models/houses/versions/000003.json',
      ]);
      expect(a).toMatchObject({ v: 1, name: 'houses', createdAt: '2024-03-01T12:00:00.000Z', tags: {} });
      expect(await registry.getVersion('houses', 2)).toEqual(b);
    });

    it('keeps versions immutable: a second put-if-absent of the same number fails', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store });
      const original = await registry.createVersion('houses', versionInput(1));

      // Act
      const overwrite = store.put(V1_KEY, JSON.stringify({ ...original, metrics: { train: { rmse: 0 } } }), {
        ifNoneMatch: '*',
      });

      // Assess
      await expect(overwrite).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await registry.getVersion('houses', 1)).toEqual(original);
    });

    it('takes the next number when its first choice was taken (stale listing), never overwriting', async () => {
      // Prepare: version 1 exists, but the listing the registry sees is stale and empty
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store });
      const first = await registry.createVersion('houses', versionInput(1));
      let staleOnce = true;
      const staleStore = overrideStore(store, {
        list: async (prefix) => {
          if (staleOnce) {
            staleOnce = false;
            return [];
          }
          return store.list(prefix);
        },
      });
      const staleRegistry = new ModelRegistry({ store: staleStore });

      // Act
      const second = await staleRegistry.createVersion('houses', versionInput(2));

      // Assess
      expect(second.version).toBe(2);
      expect(store.preconditionFailures).toBe(1);
      expect(await registry.getVersion('houses', 1)).toEqual(first);
    });

    it('gives 20 concurrent writers 20 distinct consecutive numbers', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store });

      // Act
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => registry.createVersion('houses', versionInput(i + 1))),
      );

      // Assess: numbers 1..20, each stored document is its writer's own (rmse i+1)
      const numbers = created.map((v) => v.version).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await registry.listVersions('houses')).toEqual(numbers);
      for (const v of created) {
        expect((await registry.getVersion('houses', v.version)).metrics.train.rmse).toBe(
          v.metrics.train.rmse,
        );
      }
      expect(store.preconditionFailures).toBeGreaterThan(0);
    });

    it('rejects invalid input before writing anything', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store });

      // Act
      const nan = registry.createVersion('houses', versionInput(Number.NaN));
      const badName = registry.createVersion('a/b', versionInput(1));

      // Assess
      await expect(nan).rejects.toBeInstanceOf(UsageError);
      await expect(badName).rejects.toBeInstanceOf(UsageError);
      expect(store.keys()).toEqual([]);
    });

    it('publishes ModelVersionCreated with name, version and dataset lineage', async () => {
      // Prepare
      const events = new RecordingSink();
      const clock = manualClock('2024-03-01T12:00:00.000Z');
      const registry = new ModelRegistry({ store: new MemoryObjectStore(), events, now: clock.now });

      // Act
      await registry.createVersion('houses', versionInput(1));

      // Assess
      expect(events.events).toEqual([
        {
          type: 'ModelVersionCreated',
          time: '2024-03-01T12:00:00.000Z',
          detail: { name: 'houses', version: 1, dataset: 'houses', datasetVersion: 'sha256-abc123' },
        },
      ]);
    });

    it('says the version was stored when publishing its event fails', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const events = {
        publish: async () => {
          throw new Error('EventBridge down');
        },
      };
      const registry = new ModelRegistry({ store, events });

      // Act
      const result = registry.createVersion('houses', versionInput(1));

      // Assess
      await expect(result).rejects.toThrow(/version 1 of "houses" was stored, but publishing/);
      await expect(result).rejects.toBeInstanceOf(InfrastructureError);
      expect(store.keys()).toEqual([V1_KEY]);
    });
  });

  describe('Method: getVersion / latestVersion / listVersions / listModels', () => {
    it('reads what was written and reports absence', async () => {
      // Prepare
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1));
      await registry.createVersion('houses', versionInput(2));
      await registry.createVersion('churn', versionInput(3));

      // Act + Assess
      expect(await registry.listModels()).toEqual(['churn', 'houses']);
      expect(await registry.listVersions('houses')).toEqual([1, 2]);
      expect(await registry.listVersions('nothing')).toEqual([]);
      expect((await registry.latestVersion('houses'))?.version).toBe(2);
      expect(await registry.latestVersion('nothing')).toBeUndefined();
      await expect(registry.getVersion('houses', 3)).rejects.toBeInstanceOf(NotFoundError);
      await expect(registry.getVersion('houses', 0)).rejects.toBeInstanceOf(UsageError);
    });
  });

  describe('Method: setVersionTag / deleteVersionTag / getTags', () => {
    it('edits tags in tags.json while the version document stays as created', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store });
      await registry.createVersion('houses', versionInput(1, { tags: { team: 'pricing' } }));

      // Act
      await registry.setVersionTag('houses', 1, 'reviewed', 'yes');
      const afterDelete = await registry.deleteVersionTag('houses', 1, 'team');

      // Assess
      expect(afterDelete).toEqual({ reviewed: 'yes' });
      expect(await registry.getTags('houses', 1)).toEqual({ reviewed: 'yes' });
      expect((await registry.getVersion('houses', 1)).tags).toEqual({ team: 'pricing' });
      expect(store.keys()).toContain('registry/models/houses/tags.json');
    });

    it('keeps both tags when two writers tag concurrently', async () => {
      // Prepare
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1));

      // Act
      await Promise.all([
        registry.setVersionTag('houses', 1, 'a', '1'),
        registry.setVersionTag('houses', 1, 'b', '2'),
        registry.setVersionTag('houses', 1, 'c', '3'),
      ]);

      // Assess
      expect(await registry.getTags('houses', 1)).toEqual({ a: '1', b: '2', c: '3' });
    });
  });
});
