import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/local/fs-object-store.js';
import { AliasConflictError, ModelRegistry } from '../../../lib/registry/index.js';
import { versionInput } from '../../unit/registry/fixtures.js';

describe('Class: ModelRegistry (on FsObjectStore)', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shardtrain-registry-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('Method: setAlias / createVersion', () => {
    it('keeps every version number distinct and every alias move under 20 concurrent writers', async () => {
      // Prepare: two registry instances on one directory, as two processes would be
      const registries = [
        new ModelRegistry({ store: new FsObjectStore({ root }) }),
        new ModelRegistry({ store: new FsObjectStore({ root }) }),
      ] as const;
      const pick = (i: number) => registries[i % 2 === 0 ? 0 : 1];

      // Act: 20 versions created concurrently, then 20 concurrent moves of "champion"
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => pick(i).createVersion('houses', versionInput(i + 1))),
      );
      const moves = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          pick(i).setAlias('houses', 'champion', i + 1, { reason: `writer ${i + 1}` }),
        ),
      );

      // Assess
      const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(created.map((v) => v.version).sort((a, b) => a - b)).toEqual(oneToTwenty);
      expect(await registries[0].listVersions('houses')).toEqual(oneToTwenty);
      expect(moves.every((m) => m.moved)).toBe(true);
      const history = await registries[1].history('houses', { alias: 'champion' });
      expect(history).toHaveLength(20);
      let current: number | null = null;
      for (const move of history) {
        expect(move.from).toBe(current);
        current = move.to;
      }
      expect(await registries[0].getAlias('houses', 'champion')).toBe(current);
    });

    it('lets exactly one of two optimistic promotions from the same champion win', async () => {
      // Prepare
      const registry = new ModelRegistry({ store: new FsObjectStore({ root }) });
      for (let i = 1; i <= 3; i += 1) await registry.createVersion('houses', versionInput(i));
      await registry.setAlias('houses', 'champion', 1, { reason: 'first' });

      // Act
      const results = await Promise.allSettled([
        registry.setAlias('houses', 'champion', 2, { reason: 'v2 beats v1', expectedVersion: 1 }),
        registry.setAlias('houses', 'champion', 3, { reason: 'v3 beats v1', expectedVersion: 1 }),
      ]);

      // Assess
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(AliasConflictError);
      expect(await registry.history('houses')).toHaveLength(2);
    });
  });
});
