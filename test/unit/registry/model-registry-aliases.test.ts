import { describe, expect, it } from 'vitest';
import {
  InfrastructureError,
  NotFoundError,
  PreconditionFailedError,
  UsageError,
} from '../../../lib/errors.js';
import { AliasConflictError, type AliasMove, ModelRegistry } from '../../../lib/registry/index.js';
import { MemoryObjectStore, overrideStore } from '../../support/memory-object-store.js';
import { manualClock, RecordingSink, versionInput } from './fixtures.js';

const ALIASES_KEY = 'registry/models/houses/aliases.json';

async function registryWithVersions(
  count: number,
  options: { events?: RecordingSink; now?: () => Date } = {},
) {
  const store = new MemoryObjectStore();
  const registry = new ModelRegistry({ store, ...options });
  for (let i = 1; i <= count; i += 1) await registry.createVersion('houses', versionInput(i));
  return { store, registry };
}

/** Every move starts where the previous move of the same alias ended: nothing was lost or overwritten. */
function expectUnbrokenChain(history: readonly AliasMove[], alias: string): void {
  let current: number | null = null;
  for (const move of history.filter((m) => m.alias === alias)) {
    expect(move.from).toBe(current);
    current = move.to;
  }
}

describe('Class: ModelRegistry', () => {
  describe('Method: setAlias', () => {
    it('points an alias at a version and records the move', async () => {
      // Prepare
      const clock = manualClock('2024-03-01T12:00:00.000Z');
      const { registry } = await registryWithVersions(2, { now: clock.now });

      // Act
      const first = await registry.setAlias('houses', 'champion', 1, { reason: 'first model', actor: 'ci' });
      const second = await registry.setAlias('houses', 'champion', 2, { reason: 'better rmse' });

      // Assess
      expect(first).toEqual({
        moved: true,
        move: {
          alias: 'champion',
          from: null,
          to: 1,
          at: '2024-03-01T12:00:00.000Z',
          reason: 'first model',
          actor: 'ci',
        },
      });
      expect(second).toMatchObject({ moved: true, move: { from: 1, to: 2 } });
      expect(await registry.getAlias('houses', 'champion')).toBe(2);
      expect(await registry.getAliases('houses')).toEqual({ champion: 2 });
    });

    it('is a no-op without event when the alias already points there', async () => {
      // Prepare
      const events = new RecordingSink();
      const { registry } = await registryWithVersions(1, { events });
      await registry.setAlias('houses', 'champion', 1, { reason: 'first' });

      // Act
      const again = await registry.setAlias('houses', 'champion', 1, {
        reason: 'redelivered',
        expectedVersion: null,
      });

      // Assess
      expect(again).toEqual({ moved: false, version: 1 });
      expect(await registry.history('houses')).toHaveLength(1);
      expect(events.events.filter((e) => e.type === 'AliasMoved')).toHaveLength(1);
    });

    it('refuses unknown versions and invalid or reserved alias names', async () => {
      // Prepare
      const { registry } = await registryWithVersions(1);

      // Act + Assess
      await expect(registry.setAlias('houses', 'champion', 9, { reason: 'x' })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(registry.setAlias('houses', 'Champion', 1, { reason: 'x' })).rejects.toBeInstanceOf(
        UsageError,
      );
      await expect(registry.setAlias('houses', '1st', 1, { reason: 'x' })).rejects.toBeInstanceOf(UsageError);
      await expect(registry.setAlias('houses', 'latest', 1, { reason: 'x' })).rejects.toBeInstanceOf(
        UsageError,
      );
      await expect(
        registry.setAlias('houses', `a${'b'.repeat(63)}`, 1, { reason: 'x' }),
      ).rejects.toBeInstanceOf(UsageError);
    });

    it('retries with a fresh read when another writer changes aliases.json between its read and write', async () => {
      // Prepare
      const { store, registry } = await registryWithVersions(2);
      await registry.setAlias('houses', 'champion', 1, { reason: 'first' });
      const other = new ModelRegistry({ store });
      store.onceAfterGet(ALIASES_KEY, async () => {
        await other.setAlias('houses', 'challenger', 2, { reason: 'concurrent writer' });
      });
      const failuresBefore = store.preconditionFailures;

      // Act
      await registry.setAlias('houses', 'champion', 2, { reason: 'promote' });

      // Assess: the first write lost its ifMatch; the retry kept the other writer's move
      expect(store.preconditionFailures - failuresBefore).toBe(1);
      expect(await registry.getAliases('houses')).toEqual({ champion: 2, challenger: 2 });
      const history = await registry.history('houses');
      expect(history.map((m) => [m.alias, m.from, m.to])).toEqual([
        ['champion', null, 1],
        ['challenger', null, 2],
        ['champion', 1, 2],
      ]);
    });

    it('fails an optimistic promotion when another writer moved the alias first', async () => {
      // Prepare
      const { store, registry } = await registryWithVersions(3);
      await registry.setAlias('houses', 'champion', 1, { reason: 'first' });
      const other = new ModelRegistry({ store });
      store.onceAfterGet(ALIASES_KEY, async () => {
        await other.setAlias('houses', 'champion', 3, { reason: 'someone else promoted' });
      });

      // Act
      const promotion = registry.setAlias('houses', 'champion', 2, { reason: 'beat v1', expectedVersion: 1 });

      // Assess: the retry re-read the document and saw champion at 3, not 1
      await expect(promotion).rejects.toBeInstanceOf(AliasConflictError);
      await expect(promotion).rejects.toMatchObject({ expected: 1, actual: 3 });
      expect(await registry.getAlias('houses', 'champion')).toBe(3);
    });

    it('gives up after the retry bound with a clear error, backing off with doubling delays', async () => {
      // Prepare: every conditional write to aliases.json loses
      const base = new MemoryObjectStore();
      const setup = new ModelRegistry({ store: base });
      await setup.createVersion('houses', versionInput(1));
      const store = overrideStore(base, {
        put: async (key, body, options) => {
          if (key === ALIASES_KEY) throw new PreconditionFailedError(key);
          return base.put(key, body, options);
        },
      });
      const sleeps: number[] = [];
      const registry = new ModelRegistry({
        store,
        retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 25 },
        random: () => 1,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });

      // Act
      const result = registry.setAlias('houses', 'champion', 1, { reason: 'x' });

      // Assess: 4 attempts, 3 backoffs of 1·min(25, 10·2^n) for n = 0, 1, 2 → 10, 20, 25
      await expect(result).rejects.toBeInstanceOf(InfrastructureError);
      await expect(result).rejects.toThrow(/gave up updating ".*aliases\.json" after 4 attempts/);
      expect(sleeps).toEqual([10, 20, 25]);
    });

    it('loses no history entry when 20 writers move one alias at once', async () => {
      // Prepare
      const { registry } = await registryWithVersions(20);

      // Act
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          registry.setAlias('houses', 'champion', i + 1, { reason: `writer ${i + 1}` }),
        ),
      );

      // Assess
      expect(results.every((r) => r.moved)).toBe(true);
      const history = await registry.history('houses');
      expect(history).toHaveLength(20);
      expect(history.map((m) => m.to).sort((a, b) => a! - b!)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expectUnbrokenChain(history, 'champion');
      expect(await registry.getAlias('houses', 'champion')).toBe(history[19]!.to);
    });

    it('keeps versions and alias history consistent under a mix of 20 concurrent writes', async () => {
      // Prepare
      const { registry } = await registryWithVersions(10);

      // Act: 10 new versions and 10 alias moves (two aliases) race on the same store
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? registry.createVersion('houses', versionInput(100 + i))
            : registry.setAlias('houses', i % 4 === 1 ? 'champion' : 'challenger', Math.ceil(i / 2), {
                reason: `move ${i}`,
              }),
        ),
      );

      // Assess
      expect(await registry.listVersions('houses')).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const history = await registry.history('houses');
      expect(history).toHaveLength(10);
      expectUnbrokenChain(history, 'champion');
      expectUnbrokenChain(history, 'challenger');
    });
  });

  describe('Method: deleteAlias', () => {
    it('removes the alias and records a move to null', async () => {
      // Prepare
      const events = new RecordingSink();
      const { registry } = await registryWithVersions(1, { events });
      await registry.setAlias('houses', 'challenger', 1, { reason: 'trial' });

      // Act
      const deleted = await registry.deleteAlias('houses', 'challenger', { reason: 'trial over' });
      const again = await registry.deleteAlias('houses', 'challenger', { reason: 'trial over' });

      // Assess
      expect(deleted).toMatchObject({ moved: true, move: { from: 1, to: null, reason: 'trial over' } });
      expect(again).toEqual({ moved: false, version: null });
      expect(await registry.getAlias('houses', 'challenger')).toBeUndefined();
      expect(events.events.at(-1)).toMatchObject({
        type: 'AliasMoved',
        detail: { name: 'houses', alias: 'challenger', from: 1, to: null, reason: 'trial over' },
      });
    });
  });

  describe('Method: aliasAt / history', () => {
    it('answers which version was champion at three instants', async () => {
      // Prepare: champion → 1 on Jan 1, → 2 on Jan 2, → 3 on Jan 3 (10:00 UTC each)
      const clock = manualClock('2024-01-01T00:00:00.000Z');
      const { registry } = await registryWithVersions(3, { now: clock.now });
      for (const [day, version] of [
        ['01', 1],
        ['02', 2],
        ['03', 3],
      ] as const) {
        clock.set(`2024-01-${day}T10:00:00.000Z`);
        await registry.setAlias('houses', 'champion', version, { reason: `day ${day}` });
      }

      // Act
      const before = await registry.aliasAt('houses', 'champion', new Date('2024-01-01T09:59:59.999Z'));
      const dayOne = await registry.aliasAt('houses', 'champion', new Date('2024-01-01T18:00:00.000Z'));
      const exactlyDayTwo = await registry.aliasAt(
        'houses',
        'champion',
        new Date('2024-01-02T10:00:00.000Z'),
      );
      const later = await registry.aliasAt('houses', 'champion', new Date('2024-02-01T00:00:00.000Z'));
      const untilDayTwo = await registry.history('houses', {
        alias: 'champion',
        at: new Date('2024-01-02T12:00:00Z'),
      });

      // Assess
      expect([before, dayOne, exactlyDayTwo, later]).toEqual([undefined, 1, 2, 3]);
      expect(untilDayTwo.map((m) => m.to)).toEqual([1, 2]);
      expect(await registry.history('houses', { alias: 'challenger' })).toEqual([]);
    });

    it('stamps a move from a lagging clock with the previous time so history stays ordered', async () => {
      // Prepare
      const clock = manualClock('2024-01-02T00:00:00.000Z');
      const { registry } = await registryWithVersions(2, { now: clock.now });
      await registry.setAlias('houses', 'champion', 1, { reason: 'a' });
      clock.set('2024-01-01T00:00:00.000Z');

      // Act
      await registry.setAlias('houses', 'champion', 2, { reason: 'b' });

      // Assess
      expect((await registry.history('houses')).map((m) => m.at)).toEqual([
        '2024-01-02T00:00:00.000Z',
        '2024-01-02T00:00:00.000Z',
      ]);
    });
  });

  describe('Method: rollback', () => {
    it('moves the alias back to where it was before its last move, as a recorded move', async () => {
      // Prepare
      const events = new RecordingSink();
      const { registry } = await registryWithVersions(3, { events });
      for (const v of [1, 2, 3]) await registry.setAlias('houses', 'champion', v, { reason: `v${v}` });

      // Act
      const back = await registry.rollback('houses', 'champion', {
        reason: 'v3 misbehaves',
        actor: 'oncall',
      });

      // Assess
      expect(back).toMatchObject({
        moved: true,
        move: { from: 3, to: 2, reason: 'v3 misbehaves', actor: 'oncall' },
      });
      expect(await registry.getAlias('houses', 'champion')).toBe(2);
      expect((await registry.history('houses')).map((m) => m.to)).toEqual([1, 2, 3, 2]);
      expect(events.events.at(-1)).toMatchObject({ type: 'AliasMoved', detail: { from: 3, to: 2 } });
    });

    it('toggles when repeated, restores a deleted alias, and refuses when there is nothing to go back to', async () => {
      // Prepare
      const { registry } = await registryWithVersions(2);
      await registry.setAlias('houses', 'champion', 1, { reason: 'a' });
      await registry.setAlias('houses', 'champion', 2, { reason: 'b' });
      await registry.setAlias('houses', 'challenger', 2, { reason: 'c' });

      // Act
      await registry.rollback('houses', 'champion', { reason: 'undo' });
      const toggled = await registry.rollback('houses', 'champion', { reason: 'undo the undo' });
      await registry.deleteAlias('houses', 'champion', { reason: 'pause serving' });
      const restored = await registry.rollback('houses', 'champion', { reason: 'resume' });

      // Assess
      expect(toggled).toMatchObject({ move: { from: 1, to: 2 } });
      expect(restored).toMatchObject({ move: { from: null, to: 2 } });
      await expect(registry.rollback('houses', 'challenger', { reason: 'x' })).rejects.toBeInstanceOf(
        UsageError,
      );
      await expect(registry.rollback('houses', 'staging', { reason: 'x' })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });
  });

  describe('Method: resolve', () => {
    it('resolves name, name@latest, name@<version> and name@<alias>', async () => {
      // Prepare
      const { registry } = await registryWithVersions(3);
      await registry.setAlias('houses', 'champion', 2, { reason: 'x' });

      // Act + Assess
      expect((await registry.resolve('houses')).version).toBe(3);
      expect((await registry.resolve('houses@latest')).version).toBe(3);
      expect((await registry.resolve('houses@1')).version).toBe(1);
      expect((await registry.resolve('houses@champion')).version).toBe(2);
    });

    it('reports absent targets as NotFoundError and malformed references as UsageError', async () => {
      // Prepare
      const { registry } = await registryWithVersions(1);

      // Act + Assess
      await expect(registry.resolve('houses@challenger')).rejects.toBeInstanceOf(NotFoundError);
      await expect(registry.resolve('houses@7')).rejects.toBeInstanceOf(NotFoundError);
      await expect(registry.resolve('churn')).rejects.toBeInstanceOf(NotFoundError);
      for (const bad of ['houses@0', 'houses@Champion', 'houses@', 'a/b@1', '@champion', 'houses@1@2']) {
        await expect(registry.resolve(bad), bad).rejects.toBeInstanceOf(UsageError);
      }
    });
  });
});
