import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { ModelRegistry } from '../../../lib/registry/index.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';
import { manualClock, versionInput } from './fixtures.js';

describe('Class: ModelRegistry, issue 11', () => {
  describe('Method: createVersion / setAlias with non-finite numbers', () => {
    it.each([
      [{ kind: 'linear', features: ['x'], coefficients: { x: null }, intercept: 1 }],
      [{ kind: 'linear', features: ['x'], coefficients: { x: 1 }, intercept: null }],
      [{ kind: 'linear', features: ['x'], coefficients: { x: Number.NaN }, intercept: 1 }],
      [{ kind: 'linear', features: ['x'], coefficients: { x: 1 }, intercept: 1, params: [1, Infinity] }],
      [{ kind: 'softmax', features: ['x'], coefficients: { a: { x: null } }, intercept: { a: 0 } }],
    ])('refuses to store the artifact %j', async (artifact) => {
      const registry = new ModelRegistry({ store: new MemoryObjectStore() });
      await expect(registry.createVersion('m', versionInput(1, { artifact }))).rejects.toThrow(/non-finite/);
      expect(await registry.listVersions('m')).toEqual([]);
    });

    it('refuses to promote a stored version whose coefficients are null (written before this check)', async () => {
      // Prepare: a good version 1, then a version 2 document whose coefficient JSON wrote as null.
      const store = new MemoryObjectStore();
      const registry = new ModelRegistry({ store });
      const v1 = await registry.createVersion('m', versionInput(1));
      const bad = { ...v1, version: 2, artifact: { ...v1.artifact, coefficients: [null, 1] } };
      await store.put('registry/models/m/versions/000002.json', JSON.stringify(bad));
      const versions = await registry.listVersions('m');
      expect(versions).toContain(2);

      // Act + Assess
      await expect(registry.setAlias('m', 'champion', 2, { reason: 'x' })).rejects.toThrow(UsageError);
      await expect(registry.setAlias('m', 'champion', 2, { reason: 'x' })).rejects.toThrow(/non-finite/);
      expect(await registry.getAlias('m', 'champion')).toBeUndefined();
      expect((await registry.setAlias('m', 'champion', 1, { reason: 'ok' })).moved).toBe(true);
    });
  });

  describe('Method: aliasAt', () => {
    it('is undefined after deleteAlias, and the old version before the delete', async () => {
      // Prepare: champion → 1 at 10:00, deleted at 11:00.
      const clock = manualClock('2026-01-01T10:00:00.000Z');
      const registry = new ModelRegistry({ store: new MemoryObjectStore(), now: clock.now });
      await registry.createVersion('m', versionInput(1));
      await registry.setAlias('m', 'champion', 1, { reason: 'a' });
      clock.set('2026-01-01T11:00:00.000Z');
      await registry.deleteAlias('m', 'champion', { reason: 'b' });

      // Act + Assess
      expect(await registry.aliasAt('m', 'champion', new Date('2026-01-01T10:30:00.000Z'))).toBe(1);
      expect(await registry.aliasAt('m', 'champion', new Date('2026-01-01T11:30:00.000Z'))).toBeUndefined();
      expect(await registry.getAlias('m', 'champion')).toBeUndefined();
    });

    it('counts a move made exactly at the queried instant', async () => {
      // Prepare: champion → 1 at 10:00, → 2 at 11:00 exactly.
      const clock = manualClock('2026-01-01T10:00:00.000Z');
      const registry = new ModelRegistry({ store: new MemoryObjectStore(), now: clock.now });
      await registry.createVersion('m', versionInput(1));
      await registry.createVersion('m', versionInput(2));
      await registry.setAlias('m', 'champion', 1, { reason: 'a' });
      clock.set('2026-01-01T11:00:00.000Z');
      await registry.setAlias('m', 'champion', 2, { reason: 'b' });

      // Act + Assess: at 11:00:00.000 the move to 2 has happened; one millisecond before, not yet.
      expect(await registry.aliasAt('m', 'champion', new Date('2026-01-01T11:00:00.000Z'))).toBe(2);
      expect(await registry.aliasAt('m', 'champion', new Date('2026-01-01T10:59:59.999Z'))).toBe(1);
      expect(await registry.aliasAt('m', 'champion', new Date('2026-01-01T10:00:00.000Z'))).toBe(1);
      expect(await registry.aliasAt('m', 'champion', new Date('2026-01-01T09:59:59.999Z'))).toBeUndefined();
      const history = await registry.history('m', { at: new Date('2026-01-01T11:00:00.000Z') });
      expect(history.map((m) => m.to)).toEqual([1, 2]);
    });
  });
});
