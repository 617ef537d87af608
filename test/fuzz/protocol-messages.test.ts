import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { handleResult, handleWork } from '../../lib/engine/training/coordinator.js';
import { parseMessage, resultMessageSchema, workMessageSchema } from '../../lib/engine/training/protocol.js';
import { selectBackend } from '../../lib/optim/index.js';
import { MemoryObjectStore } from '../support/memory-object-store.js';
import { expectFamilyError, FUZZ_RUNS, fuzz } from './fuzz-support.js';

/**
 * Queue message bodies as the worker and aggregator receive them: arbitrary JSON, near-valid
 * messages with wrong field values, and raw strings. Parsing accepts exactly the schema or
 * throws a ProtocolError; an accepted message for a job that does not exist is refused with one
 * of the project's errors (never a TypeError from a missing document).
 */
describe('Fuzz: protocol messages', () => {
  const field = fc.oneof(
    fc.anything(),
    fc.integer({ min: -2, max: 5 }),
    fc.constantFrom('job-abc', '../x', '__proto__', '', 'a'.repeat(100)),
  );
  const nearValid = fc
    .record(
      {
        v: fc.oneof(fc.constant(1), field),
        type: fc.oneof(fc.constantFrom('work', 'result'), field),
        jobId: fc.oneof(fc.constantFrom('job-abc-1', 'nosuch-job'), field),
        round: fc.oneof(fc.nat(10), field),
        shard: fc.oneof(fc.nat(3), field),
      },
      { requiredKeys: [] },
    )
    .map((m) => JSON.stringify(m));
  const body = fc.oneof(
    nearValid,
    fc.json(),
    fc.string({ maxLength: 100 }),
    fc.constantFrom('null', '[]', '{"v":2}', '{"__proto__":{"v":1}}'),
  );

  it(`parses or refuses ${FUZZ_RUNS} generated message bodies`, async () => {
    const { kernel } = await selectBackend();
    const store = new MemoryObjectStore();
    const deps = {
      store,
      kernel,
      backend: 'typed-array',
      outbox: { sendWork: async () => {}, sendResult: async () => {} },
    };
    const report = await fuzz('protocol-messages', body, async (text) => {
      for (const [schema, handle] of [
        [workMessageSchema, handleWork],
        [resultMessageSchema, handleResult],
      ] as const) {
        let message: { jobId: string; round: number; shard: number };
        try {
          message = parseMessage(schema as z.ZodType<typeof message>, text);
        } catch (error) {
          expectFamilyError(error);
          expect((error as Error).name).toBe('ProtocolError');
          continue;
        }
        expect(message.jobId.length).toBeGreaterThan(0);
        expect(Number.isInteger(message.round) && message.round >= 0).toBe(true);
        // No such job in the store: refused with the family's error.
        const outcome = await (handle as (d: typeof deps, m: unknown) => Promise<unknown>)(
          deps,
          message,
        ).catch((e: unknown) => e);
        expectFamilyError(outcome);
      }
      expect(store.puts).toEqual([]);
    });
    expect(report.failures).toBe(0);
  }, 3_600_000);
});
