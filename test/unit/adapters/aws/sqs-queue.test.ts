/**
 * SqsQueue paths that local-aws-sqs cannot show or shows differently (see
 * test/integration/aws/sqs-queue.test.ts): per-entry batch failures, the exact request fields,
 * and the exact mapping of attributes to ReceivedMessage / QueueDepth.
 */
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../../../lib/adapters/aws/index.js';
import { InfrastructureError } from '../../../../lib/errors.js';

const client = new SQSClient({ region: 'us-east-1' });
const sqs = mockClient(client);
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/agg.fifo';

beforeEach(() => {
  sqs.reset();
});

describe('Class: SqsQueue (mocked SQS)', () => {
  describe('Method: constructor', () => {
    it('takes the name from the URL and FIFO from the .fifo suffix', () => {
      const queue = new SqsQueue({ queueUrl, client });
      expect(queue.name).toBe('agg.fifo');
      expect(queue.fifo).toBe(true);
      expect(new SqsQueue({ queueUrl: 'http://h/1/work', client }).fifo).toBe(false);
    });
  });

  describe('Method: sendBatch', () => {
    it('sends every chunk, then names the entries SQS rejected', async () => {
      // Prepare: 25 entries are chunks [0..9], [10..19], [20..24]; SQS rejects entry 12 (2nd chunk).
      sqs
        .on(SendMessageBatchCommand)
        .resolvesOnce({ Successful: [], Failed: [] })
        .resolvesOnce({
          Failed: [{ Id: '12', Code: 'InvalidParameterValue', Message: 'bad group', SenderFault: true }],
        })
        .resolvesOnce({ Failed: [] });
      const queue = new SqsQueue({ queueUrl, client });
      const entries = Array.from({ length: 25 }, (_, i) => ({
        body: `m${i}`,
        groupId: 'job',
        deduplicationId: `d${i}`,
      }));

      // Act
      const sending = queue.sendBatch(entries);

      // Assess
      await expect(sending).rejects.toBeInstanceOf(InfrastructureError);
      await expect(sending).rejects.toThrow(
        '1 of 25 entries failed: entry 12 (InvalidParameterValue: bad group)',
      );
      const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries ?? []);
      expect(calls.map((e) => e.length)).toEqual([10, 10, 5]);
      expect(calls[1]![2]).toEqual({
        Id: '12',
        MessageBody: 'm12',
        MessageGroupId: 'job',
        MessageDeduplicationId: 'd12',
        DelaySeconds: undefined,
      });
    });

    it('wraps a failed call in InfrastructureError with the cause', async () => {
      const rejection = new SQSServiceException({
        name: 'QueueDoesNotExist',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'no queue',
      });
      sqs.on(SendMessageCommand).rejects(rejection);
      const sending = new SqsQueue({ queueUrl, client }).send('x', { groupId: 'g' });
      await expect(sending).rejects.toBeInstanceOf(InfrastructureError);
      await expect(sending).rejects.toMatchObject({ cause: rejection });
    });
  });

  describe('Method: receive', () => {
    it('asks for the system attributes and maps them', async () => {
      // Prepare: SentTimestamp 1 700 000 000 000 ms = 2023-11-14T22:13:20.000Z.
      sqs.on(ReceiveMessageCommand).resolves({
        Messages: [
          {
            MessageId: 'm-1',
            ReceiptHandle: 'rh-1',
            Body: '{"v":1}',
            Attributes: {
              ApproximateReceiveCount: '3',
              SentTimestamp: '1700000000000',
              MessageGroupId: 'job-7',
            },
          },
        ],
      });
      const queue = new SqsQueue({ queueUrl, client });

      // Act
      const messages = await queue.receive({
        maxMessages: 5,
        visibilityTimeoutSeconds: 60,
        waitTimeSeconds: 20,
      });

      // Assess
      expect(messages).toEqual([
        {
          messageId: 'm-1',
          body: '{"v":1}',
          receiptHandle: 'rh-1',
          receiveCount: 3,
          groupId: 'job-7',
          sentAt: new Date('2023-11-14T22:13:20.000Z'),
        },
      ]);
      expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 5,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 20,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
      });
    });
  });

  describe('Method: depth', () => {
    it('maps the three approximate counts', async () => {
      sqs.on(GetQueueAttributesCommand).resolves({
        Attributes: {
          ApproximateNumberOfMessages: '7',
          ApproximateNumberOfMessagesNotVisible: '2',
          ApproximateNumberOfMessagesDelayed: '1',
        },
      });
      expect(await new SqsQueue({ queueUrl, client }).depth()).toEqual({
        visible: 7,
        inFlight: 2,
        delayed: 1,
      });
    });
  });
});
