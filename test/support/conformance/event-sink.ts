import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventSink, ShardtrainEvent } from '../../../lib/ports.js';

/** How to get a fresh sink of one adapter and read back what reached its backend. */
export interface EventSinkSubject {
  create(): Promise<EventSink> | EventSink;
  /** The events the backend received, oldest first, as the port's events. */
  published(sink: EventSink): Promise<ShardtrainEvent[]>;
  cleanUp?(): Promise<void> | void;
}

/**
 * The EventSink port's contract: every published event reaches the backend once, in publish
 * order, with its type, time and detail unchanged (nested values and non-ASCII text included).
 */
export function eventSinkConformance(name: string, subject: EventSinkSubject): void {
  describe(`EventSink conformance: ${name}`, () => {
    let sink: EventSink;
    beforeEach(async () => {
      sink = await subject.create();
    });
    afterEach(async () => {
      await subject.cleanUp?.();
    });

    it('delivers each event once, in order, unchanged', async () => {
      const events: ShardtrainEvent[] = [
        {
          type: 'ModelVersionCreated',
          time: '2025-01-01T00:00:00.000Z',
          detail: { name: 'churn', version: 3 },
        },
        {
          type: 'AliasMoved',
          time: '2025-01-01T00:00:01.000Z',
          detail: {
            name: 'churn',
            alias: 'champion',
            from: null,
            to: 3,
            reason: 'beat v2 on auc — 0.91 ≥ 0.88',
          },
        },
        {
          type: 'DriftDetected',
          time: '2025-01-01T00:00:02.000Z',
          detail: { pipeline: 'nightly', features: [{ feature: 'x', psi: 0.25 }] },
        },
      ];

      for (const e of events) await sink.publish(e);

      expect(await subject.published(sink)).toEqual(events);
    });
  });
}
