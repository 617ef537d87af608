/** EventBridgeEventSink against a mocked EventBridgeClient (no EventBridge emulator here). */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeEventSink } from '../../../../lib/adapters/aws/index.js';
import { InfrastructureError } from '../../../../lib/errors.js';
import { eventSinkConformance } from '../../../support/conformance/event-sink.js';

const client = new EventBridgeClient({ region: 'us-east-1' });
const events = mockClient(client);

beforeEach(() => {
  events.reset();
});

const event = {
  type: 'AliasMoved',
  time: '2024-05-06T07:08:09.000Z',
  detail: { model: 'churn', alias: 'champion', from: 3, to: 4 },
} as const;

// What EventBridge received, read back from the mocked client's PutEvents calls.
eventSinkConformance('EventBridgeEventSink (mocked client)', {
  create() {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    return new EventBridgeEventSink({ eventBusName: 'shardtrain-bus', client });
  },
  async published() {
    return events.commandCalls(PutEventsCommand).flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((entry) => ({
        type: entry.DetailType!,
        time: entry.Time!.toISOString(),
        detail: JSON.parse(entry.Detail!) as Record<string, unknown>,
      })),
    );
  },
});

describe('Class: EventBridgeEventSink', () => {
  describe('Method: publish', () => {
    it('puts one entry with source shardtrain, the type as detail-type and the bus name', async () => {
      // Prepare
      events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

      // Act
      await new EventBridgeEventSink({ eventBusName: 'shardtrain-bus', client }).publish(event);

      // Assess
      expect(events.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
        Entries: [
          {
            Source: 'shardtrain',
            DetailType: 'AliasMoved',
            Detail: '{"model":"churn","alias":"champion","from":3,"to":4}',
            Time: new Date('2024-05-06T07:08:09.000Z'),
            EventBusName: 'shardtrain-bus',
          },
        ],
      });
    });

    it('throws InfrastructureError when PutEvents reports a failed entry', async () => {
      // Prepare: PutEvents answers HTTP 200 with FailedEntryCount 1.
      events.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      });

      // Act
      const publishing = new EventBridgeEventSink({ client }).publish(event);

      // Assess
      await expect(publishing).rejects.toBeInstanceOf(InfrastructureError);
      await expect(publishing).rejects.toThrow(
        'rejected event AliasMoved on bus default: InternalFailure: try again',
      );
    });

    it('wraps an API failure in InfrastructureError', async () => {
      events.on(PutEventsCommand).rejects(new Error('socket hang up'));
      await expect(new EventBridgeEventSink({ client }).publish(event)).rejects.toBeInstanceOf(
        InfrastructureError,
      );
    });
  });
});
