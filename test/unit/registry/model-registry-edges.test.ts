import { describe, expect, it } from 'vitest';
import {
  InfrastructureError,
  NotFoundError,
  PreconditionFailedError,
  UsageError,
} from '../../../lib/errors.js';
import type { ObjectInfo } from '../../../lib/ports.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';
import { manualClock, versionInput } from './fixtures.js';

/**
 * Edges of ModelRegistry that the mutation run (npm run mutate) found untested: version-number
 * probing, documents stored under the wrong key, stray keys in listings, unsorted listings,
 * absent alias and tag documents, tag key bounds, and the messages and causes of its errors.
 */
const MODELS = 'registry/models/';
const versionKey = (name: string, v: number) =>
  `${MODELS}${name}/versions/${String(v).padStart(6, '0')}.json`;

describe('Class: ModelRegistry (edges)', () => {
  describe('Method: createVersion', () => {
    it('stores a description only when one is given', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      const withText = await registry.createVersion('houses', versionInput(1, { description: 'first try' }));
      const without = await registry.createVersion('houses', versionInput(2));
      expect(withText.description).toBe('first try');
      expect((await registry.getVersion('houses', 1)).description).toBe('first try');
      expect('description' in without).toBe(false);
      expect('description' in (await registry.getVersion('houses', 2))).toBe(false);
    });

    it('refuses a version that breaks the schema with a UsageError naming the model, caused by the schema error', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      const bad = versionInput(1);
      const input = { ...bad, lineage: { ...bad.lineage, dataset: '' } };
      const error = await registry.createVersion('houses', input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/^model version for "houses" is not valid: /);
      expect((error as Error).cause).toBeDefined();
    });

    it('claims the next number when the listed-latest one was taken meanwhile (listing lags the writes)', async () => {
      const base = new MemoryObjectStore();
      const writer = new ModelRegistry({ store: base });
      await writer.createVersion('houses', versionInput(1));
      await writer.createVersion('houses', versionInput(2));
      // A reader whose listing does not see the two versions yet: it probes 1 and 2, both taken.
      const lagging = overrideStore(base, { list: async () => [] });
      const registry = new ModelRegistry({ store: lagging });
      const created = await registry.createVersion('houses', versionInput(3));
      expect(created.version).toBe(3);
      expect(base.preconditionFailures).toBe(2);
      expect((await writer.getVersion('houses', 1)).metrics.train.rmse).toBe(1);
    });

    it('passes a store failure through instead of probing on', async () => {
      const base = new MemoryObjectStore();
      const boom = new InfrastructureError('disk full');
      let puts = 0;
      const store = overrideStore(base, {
        put: async () => {
          puts += 1;
          throw boom;
        },
      });
      const registry = new ModelRegistry({ store });
      await expect(registry.createVersion('houses', versionInput(1))).rejects.toBe(boom);
      expect(puts).toBe(1);
    });

    it('gives up after exactly 10 000 taken numbers with an InfrastructureError', async () => {
      const base = new MemoryObjectStore();
      let puts = 0;
      const store = overrideStore(base, {
        put: async (key) => {
          puts += 1;
          throw new PreconditionFailedError(key);
        },
      });
      const registry = new ModelRegistry({ store });
      const error = await registry.createVersion('houses', versionInput(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as Error).message).toBe(
        'could not claim a version number for "houses" after 10000 tries',
      );
      expect(puts).toBe(10_000);
    });

    it('says which event failed to publish after the version was stored, with the cause kept', async () => {
      const cause = new Error('bus down');
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({
        store,
        events: {
          publish: async () => {
            throw cause;
          },
        },
      });
      const error = await registry.createVersion('houses', versionInput(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as Error).message).toBe(
        'version 1 of "houses" was stored, but publishing the ModelVersionCreated event failed',
      );
      expect((error as Error).cause).toBe(cause);
      expect(store.keys()).toEqual([versionKey('houses', 1)]);
    });
  });

  describe('Method: getVersion', () => {
    it('names the model and version that are missing', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await expect(registry.getVersion('houses', 7)).rejects.toThrow(
        new NotFoundError('model "houses" has no version 7'),
      );
    });

    it.each([
      ['another model', { name: 'churn', version: 2 }, 'holds churn v2'],
      ['another version', { name: 'houses', version: 3 }, 'holds houses v3'],
    ])('refuses a document that holds %s than its key says', async (_what, held, message) => {
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store, now: manualClock('2024-03-01T00:00:00.000Z').now });
      const v1 = await registry.createVersion('houses', versionInput(1));
      await store.put(versionKey('houses', 2), JSON.stringify({ ...v1, ...held }));
      const error = await registry.getVersion('houses', 2).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as Error).message).toBe(`registry document "${versionKey('houses', 2)}" ${message}`);
    });
  });

  describe('Method: listVersions / listModels', () => {
    /** A store whose listing comes back in the given order of keys (S3-compatible stores need not sort). */
    const shuffled = (base: MemoryObjectStore, order: (keys: ObjectInfo[]) => ObjectInfo[]) =>
      overrideStore(base, { list: async (prefix) => order(await base.list(prefix)) });

    it.each([
      ['reversed', (k: ObjectInfo[]) => [...k].reverse()],
      ['rotated', (k: ObjectInfo[]) => [...k.slice(1), k[0]!]],
      ['middle first', (k: ObjectInfo[]) => [k[2]!, k[0]!, k[3]!, k[1]!, ...k.slice(4)]],
    ])(
      'lists version numbers ascending whatever the store order (%s), skipping other keys',
      async (_n, order) => {
        const base = new MemoryObjectStore();
        const writer = new ModelRegistry({ store: base });
        for (const rmse of [1, 2, 3, 4]) await writer.createVersion('houses', versionInput(rmse));
        await base.put(`${MODELS}houses/versions/README.txt`, 'not a version');
        const registry = new ModelRegistry({ store: shuffled(base, order) });
        expect(await registry.listVersions('houses')).toEqual([1, 2, 3, 4]);
        // The newest version is the largest number, not the last listed.
        expect((await registry.latestVersion('houses'))?.version).toBe(4);
      },
    );

    it('lists the names of models with a version, sorted, ignoring stray and nested keys', async () => {
      const base = new MemoryObjectStore();
      const writer = new ModelRegistry({ store: base });
      for (const name of ['beta', 'alpha', 'gamma']) await writer.createVersion(name, versionInput(1));
      await writer.setAlias('alpha', 'champion', 1, { reason: 'first' });
      await base.put(`${MODELS}delta/aliases.json`, '{}');
      await base.put(`${MODELS}outer/inner/versions/000001.json`, '{}');
      await base.put(`${MODELS}epsilon/versions/000001.json.bak`, '{}');
      const registry = new ModelRegistry({ store: shuffled(base, (k) => [...k].reverse()) });
      expect(await registry.listModels()).toEqual(['alpha', 'beta', 'gamma']);
    });
  });

  describe('Method: resolve / rollback messages', () => {
    it('names the missing alias and the reference being resolved', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1));
      await expect(registry.resolve('houses@champion')).rejects.toThrow(
        new NotFoundError('model "houses" has no alias "champion" (resolving "houses@champion")'),
      );
      await expect(registry.resolve('churn')).rejects.toThrow(
        new NotFoundError('model "churn" has no versions'),
      );
    });

    it('explains why an alias cannot be rolled back', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1));
      await expect(registry.rollback('houses', 'champion', { reason: 'r' })).rejects.toThrow(
        new NotFoundError('alias "champion" of model "houses" has never been set'),
      );
      await registry.setAlias('houses', 'champion', 1, { reason: 'first' });
      await expect(registry.rollback('houses', 'champion', { reason: 'r' })).rejects.toThrow(
        new UsageError(
          'alias "champion" of model "houses" had no version before its last move; use deleteAlias to remove it',
        ),
      );
    });
  });

  describe('Methods on a model without an alias or tag document', () => {
    it('answers no aliases, an empty history and the creation tags', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1, { tags: { team: 'pricing' } }));
      expect(await registry.aliasesAt('houses', new Date('2030-01-01T00:00:00Z'))).toStrictEqual({});
      expect(await registry.aliasAt('houses', 'champion', new Date('2030-01-01T00:00:00Z'))).toBeUndefined();
      expect(await registry.history('houses')).toEqual([]);
      expect(await registry.history('houses', { alias: 'champion' })).toEqual([]);
      expect(await registry.getTags('houses', 1)).toEqual({ team: 'pricing' });
    });
  });

  describe('Method: setVersionTag', () => {
    it('accepts tag keys of 1 to 250 characters and refuses the empty and the 251-character key', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1));
      const k250 = 'k'.repeat(250);
      expect(await registry.setVersionTag('houses', 1, 'a', '1')).toEqual({ a: '1' });
      expect(await registry.setVersionTag('houses', 1, k250, '2')).toEqual({ a: '1', [k250]: '2' });
      await expect(registry.setVersionTag('houses', 1, '', 'x')).rejects.toThrow(
        new UsageError('tag key "" must have 1-250 characters'),
      );
      await expect(registry.setVersionTag('houses', 1, 'k'.repeat(251), 'x')).rejects.toThrow(UsageError);
      expect(await registry.getTags('houses', 1)).toEqual({ a: '1', [k250]: '2' });
    });
  });

  describe('Method: setAlias', () => {
    it('records no actor key when none is given, and the actor when one is', async () => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await registry.createVersion('houses', versionInput(1));
      await registry.createVersion('houses', versionInput(2));
      const first = await registry.setAlias('houses', 'champion', 1, { reason: 'first' });
      const second = await registry.setAlias('houses', 'champion', 2, { reason: 'better', actor: 'ci' });
      const [a, b] = await registry.history('houses');
      expect(first.moved && 'actor' in first.move).toBe(false);
      expect('actor' in a!).toBe(false);
      expect(second.moved && second.move.actor).toBe('ci');
      expect(b!.actor).toBe('ci');
    });

    it('says the alias moved when its event could not be published', async () => {
      const store = new MemoryObjectStore();
      const plain = new ModelRegistry({ store });
      await plain.createVersion('houses', versionInput(1));
      const registry = new ModelRegistry({
        store,
        events: {
          publish: async () => {
            throw new Error('bus down');
          },
        },
      });
      await expect(registry.setAlias('houses', 'champion', 1, { reason: 'r' })).rejects.toThrow(
        new InfrastructureError(
          'alias "champion" of "houses" was moved, but publishing the AliasMoved event failed',
        ),
      );
      expect(await plain.getAlias('houses', 'champion')).toBe(1);
    });
  });
});
