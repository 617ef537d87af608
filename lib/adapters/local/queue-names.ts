/** Queue names of the local cloud; the CDK stack creates the same four (plus S3 notifications). */
export const LOCAL_QUEUE_NAMES = {
  work: 'work',
  workDlq: 'work-dlq',
  aggregate: 'aggregate.fifo',
  aggregateDlq: 'aggregate-dlq.fifo',
  events: 's3-events',
  eventsDlq: 's3-events-dlq',
} as const;
