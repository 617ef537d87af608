import type { Context, S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ReceivedMessage } from '../../ports.js';

const REGION = 'local';

/** The SQS event Lambda's event source mapping would deliver for these messages. */
export function sqsEvent(queueName: string, messages: readonly ReceivedMessage[]): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt.getTime()),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
          ...(m.groupId !== undefined ? { MessageGroupId: m.groupId } : {}),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${REGION}:000000000000:${queueName}`,
        awsRegion: REGION,
      }),
    ),
  };
}

/** The S3 ObjectCreated notification for one object. */
export function s3PutEvent(bucket: string, key: string, size: number, etag: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'datasets',
          bucket: { name: bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${bucket}` },
          // S3 URL-encodes keys in notifications, spaces as '+'.
          object: {
            key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'),
            size,
            eTag: etag,
            sequencer: '0',
          },
        },
      },
    ],
  };
}

/** A Lambda context good enough for handlers that only read the request id and remaining time. */
export function lambdaContext(functionName: string, timeoutMs = 900_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
