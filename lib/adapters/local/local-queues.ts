import { join } from 'node:path';
import { LOCAL_QUEUE_NAMES } from './queue-names.js';
import type { SqliteQueue } from './sqlite-queue.js';
import { SqliteQueueBroker } from './sqlite-queue-broker.js';

export { LOCAL_QUEUE_NAMES };

export interface LocalQueues {
  readonly broker: SqliteQueueBroker;
  readonly work: SqliteQueue;
  readonly workDlq: SqliteQueue;
  readonly aggregate: SqliteQueue;
  readonly aggregateDlq: SqliteQueue;
  readonly events: SqliteQueue;
  readonly eventsDlq: SqliteQueue;
}

/** Settings of the local queues, mirroring the deployed ones (visibility ≥ handler time, 5 receives). */
export interface LocalQueueSettings {
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
}

/** Opens (creating if needed) the local cloud's queues in `<home>/queues.db`. */
export function openLocalQueues(home: string, settings: LocalQueueSettings = {}): LocalQueues {
  // Sends from this process (any thread) wake long polls at once; the poll only finds messages
  // sent by other processes and messages whose visibility timeout ran out, where 50 ms is soon
  // enough, and it is what an idle local cloud spends its CPU on.
  // One connection per thread and home: the local cloud's consumers and its handlers' outboxes.
  const broker = new SqliteQueueBroker({
    path: join(home, 'queues.db'),
    pollIntervalMs: 50,
    shareConnection: true,
  });
  const visibilityTimeoutSeconds = settings.visibilityTimeoutSeconds ?? 30;
  const maxReceiveCount = settings.maxReceiveCount ?? 5;
  const n = LOCAL_QUEUE_NAMES;
  const workDlq = broker.createQueue({ name: n.workDlq, messageRetentionSeconds: 1_209_600 });
  const aggregateDlq = broker.createQueue({
    name: n.aggregateDlq,
    fifo: true,
    messageRetentionSeconds: 1_209_600,
  });
  const eventsDlq = broker.createQueue({ name: n.eventsDlq, messageRetentionSeconds: 1_209_600 });
  const common = { visibilityTimeoutSeconds, maxReceiveCount };
  // A home opened before with other settings (a test's short visibility timeout) is updated,
  // as SetQueueAttributes would, rather than refused.
  for (const name of [n.work, n.aggregate, n.events]) {
    if (broker.listQueues().includes(name)) broker.setQueueAttributes(name, common);
  }
  return {
    broker,
    workDlq,
    aggregateDlq,
    eventsDlq,
    work: broker.createQueue({ name: n.work, deadLetterQueue: n.workDlq, ...common }),
    aggregate: broker.createQueue({
      name: n.aggregate,
      fifo: true,
      deadLetterQueue: n.aggregateDlq,
      ...common,
    }),
    events: broker.createQueue({ name: n.events, deadLetterQueue: n.eventsDlq, ...common }),
  };
}
