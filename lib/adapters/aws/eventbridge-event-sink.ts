import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { InfrastructureError } from '../../errors.js';
import type { EventSink, ShardtrainEvent } from '../../ports.js';
import { infrastructureError } from './aws-error.js';

/** Options of {@link EventBridgeEventSink}. */
export interface EventBridgeEventSinkOptions {
  /** Name or ARN of the event bus. @default 'default' */
  readonly eventBusName?: string;
  /** The events' `source`, which rules match on. @default 'shardtrain' */
  readonly source?: string;
  /** @default new EventBridgeClient({}) */
  readonly client?: EventBridgeClient;
}

/**
 * {@link EventSink} on Amazon EventBridge: one `PutEvents` entry per event, with
 * `source: 'shardtrain'`, `detail-type` = the event's `type`, `time` = the event's `time`.
 * PutEvents answers 200 even when an entry is rejected, so `FailedEntryCount` is checked.
 *
 * @example
 * ```ts
 * const sink = new EventBridgeEventSink({ eventBusName: 'shardtrain' });
 * await sink.publish({ type: 'AliasMoved', time: new Date().toISOString(), detail: { alias: 'champion', version: 7 } });
 * ```
 */
export class EventBridgeEventSink implements EventSink {
  private readonly eventBusName: string | undefined;
  private readonly source: string;
  private readonly client: EventBridgeClient;

  public constructor(options: EventBridgeEventSinkOptions = {}) {
    this.eventBusName = options.eventBusName;
    this.source = options.source ?? 'shardtrain';
    this.client = options.client ?? new EventBridgeClient({});
  }

  public async publish(event: ShardtrainEvent): Promise<void> {
    const time = new Date(event.time);
    let out: PutEventsCommandOutput;
    try {
      out = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: this.source,
              DetailType: event.type,
              Detail: JSON.stringify(event.detail),
              Time: Number.isNaN(time.getTime()) ? undefined : time,
              EventBusName: this.eventBusName,
            },
          ],
        }),
      );
    } catch (error) {
      throw infrastructureError(`EventBridge PutEvents (${event.type})`, error);
    }
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.find((e) => e.ErrorCode !== undefined) ?? out.Entries?.[0];
      throw new InfrastructureError(
        `EventBridge PutEvents rejected event ${event.type} on bus ${this.eventBusName ?? 'default'}: ` +
          `${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? 'no message'}`,
      );
    }
  }
}
