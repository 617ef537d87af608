/**
 * Local AWS protocol servers for integration tests: s3rver (S3 REST API), local-aws-sqs (SQS
 * query + JSON protocols) and a minimal EventBridge `PutEvents` peer, each on a free loopback
 * port; the first two come with SDK v3 clients already pointed at them. Every server has its own
 * temp directory / state, so test files can run in parallel. {@link startLocalAws} starts all three
 * and points this process's SDK at them, for tests of handlers that build their own clients.
 *
 * @example
 * ```ts
 * const s3 = await startS3rver();
 * const store = new S3ObjectStore({ bucket: s3.bucket, client: s3.client });
 * afterAll(() => s3.stop());
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

/** The subset of s3rver's (untyped, CommonJS) API used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

/** s3rver only accepts signed requests made with these credentials. */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const FAKE_CREDENTIALS = { accessKeyId: 'fake', secretAccessKey: 'fake' } as const;
const REGION = 'us-east-1';

/** A running s3rver with one bucket and a client for it. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly client: S3Client;
  /** A bucket that exists when the server starts. */
  readonly bucket: string;
  /** Closes the server, destroys the client and removes the data directory. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver on a free loopback port with a fresh data directory and one bucket.
 *
 * The client disables the SDK's default request/response checksums (`WHEN_REQUIRED`): s3rver
 * predates flexible checksums and does not understand `aws-chunked` trailing-checksum bodies.
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<LocalS3> {
  const bucket = options.bucket ?? 'shardtrain-test';
  const directory = await mkdtemp(join(tmpdir(), 'shardtrain-s3rver-'));
  const S3rver = require('s3rver') as S3rverConstructor;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    bucket,
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Options for {@link LocalSqs.createQueue}. */
export interface CreateQueueOptions {
  /** Makes a FIFO queue; `.fifo` is appended to the name when missing. */
  readonly fifo?: boolean;
  readonly visibilityTimeout?: number;
  /** Dead-letter redrive: after `maxReceiveCount` receives the message moves to the DLQ. */
  readonly redrive?: {
    /** The DLQ's ARN, or its URL (the ARN is then looked up). */
    readonly dlq: string;
    readonly maxReceiveCount: number;
  };
}

/** A created queue: URL (for `SqsQueue`) and ARN (for another queue's redrive policy). */
export interface LocalQueue {
  readonly url: string;
  readonly arn: string;
  readonly name: string;
}

/** A running local-aws-sqs server and a client for it. */
export interface LocalSqs {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly client: SQSClient;
  createQueue(name: string, options?: CreateQueueOptions): Promise<LocalQueue>;
  /** Closes the server and destroys the client. */
  stop(): Promise<void>;
}

/** Starts local-aws-sqs (in memory) on a free loopback port. */
export async function startLocalSqs(): Promise<LocalSqs> {
  const server: Server = await createSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    region: REGION,
    // Tests recreate queues with the same name in fresh servers only; no 60 s wait needed.
    emulateQueueCreationLifecycle: false,
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({ endpoint, region: REGION, credentials: FAKE_CREDENTIALS });

  async function arnOf(url: string): Promise<string> {
    const out = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = out.Attributes?.QueueArn;
    if (arn === undefined) throw new Error(`local SQS returned no QueueArn for ${url}`);
    return arn;
  }

  return {
    endpoint,
    client,
    async createQueue(name, options = {}) {
      const queueName = options.fifo && !name.endsWith('.fifo') ? `${name}.fifo` : name;
      const attributes: Record<string, string> = {};
      if (options.fifo) attributes.FifoQueue = 'true';
      if (options.visibilityTimeout !== undefined) {
        attributes.VisibilityTimeout = String(options.visibilityTimeout);
      }
      if (options.redrive !== undefined) {
        const dlq = options.redrive.dlq;
        const deadLetterTargetArn = dlq.startsWith('arn:') ? dlq : await arnOf(dlq);
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn,
          maxReceiveCount: options.redrive.maxReceiveCount,
        });
      }
      const out = await client.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
      if (out.QueueUrl === undefined) throw new Error(`local SQS returned no QueueUrl for ${queueName}`);
      return { url: out.QueueUrl, arn: await arnOf(out.QueueUrl), name: queueName };
    },
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** One entry of a `PutEvents` request, as the SDK serialises it (JSON 1.1, PascalCase). */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  /** The event's detail, a JSON string. */
  readonly Detail?: string;
  readonly EventBusName?: string;
  /** Epoch seconds. */
  readonly Time?: number;
}

/** A running EventBridge stand-in that accepts `PutEvents` and records the entries. */
export interface LocalEventBridge {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every entry accepted so far, in arrival order. */
  readonly entries: readonly PutEventsEntry[];
  /** Closes the server. */
  stop(): Promise<void>;
}

/**
 * Starts a loopback HTTP server that speaks the one EventBridge operation shardtrain uses:
 * `PutEvents` over the JSON 1.1 protocol (`X-Amz-Target: AWSEvents.PutEvents`). It accepts every
 * entry (`FailedEntryCount: 0`) and records it; any other target answers 400
 * `UnknownOperationException`. There is no EventBridge emulator in the dependencies, and this is
 * the real wire protocol, so an `EventBridgeClient` with `endpoint` (or
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`) set to {@link LocalEventBridge.endpoint} works unchanged.
 * Signatures are not checked.
 */
export async function startLocalEventBridge(): Promise<LocalEventBridge> {
  const entries: PutEventsEntry[] = [];
  let nextId = 1;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        reply(400, {
          __type: 'UnknownOperationException',
          message: `${String(req.headers['x-amz-target'])}`,
        });
        return;
      }
      let request: { Entries?: PutEventsEntry[] };
      try {
        request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEventsEntry[] };
      } catch {
        reply(400, { __type: 'SerializationException', message: 'request body is not JSON' });
        return;
      }
      const accepted = request.Entries ?? [];
      entries.push(...accepted);
      reply(200, { FailedEntryCount: 0, Entries: accepted.map(() => ({ EventId: String(nextId++) })) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    entries,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** The three servers of {@link startLocalAws}, with this process's SDK pointed at them. */
export interface LocalAws {
  readonly s3: LocalS3;
  readonly sqs: LocalSqs;
  readonly bus: LocalEventBridge;
  /** Puts `process.env` back as it was and stops the servers. */
  stop(): Promise<void>;
}

/**
 * Settings that would steer the SDK or the handlers' configuration away from the local servers
 * (a developer's profile, a global endpoint, another home or cloud, fault injection, metrics
 * switches); cleared so the tests do not depend on the shell they run in.
 */
const FOREIGN_ENV = [
  'SHARDTRAIN_CLOUD',
  'SHARDTRAIN_HOME',
  'SHARDTRAIN_FAULTS',
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_METRICS_NAMESPACE',
] as const;

/**
 * Starts s3rver, local-aws-sqs and the PutEvents peer, and points every SDK client this process
 * builds without options (`new S3Client({})`, as the handlers do) at them through the SDK's
 * standard environment settings: `AWS_ENDPOINT_URL_<SERVICE>`, region, s3rver's credentials
 * (the other two accept any), checksums `WHEN_REQUIRED` (s3rver predates flexible checksums), and
 * no shared config or credentials files (the run must not depend on the developer's ~/.aws).
 * Queues and the handlers' own settings (`BUCKET_NAME`, …) are the caller's; set them before
 * importing a handler module that reads them at import. Call `stop` in `afterAll`.
 */
export async function startLocalAws(): Promise<LocalAws> {
  const [s3, sqs, bus] = await Promise.all([startS3rver(), startLocalSqs(), startLocalEventBridge()]);
  const saved = { ...process.env };
  for (const name of FOREIGN_ENV) delete process.env[name];
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_CONFIG_FILE: join(tmpdir(), 'shardtrain-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'shardtrain-no-aws-credentials'),
  });
  return {
    s3,
    sqs,
    bus,
    async stop() {
      process.env = saved;
      await Promise.all([s3.stop(), sqs.stop(), bus.stop()]);
    },
  };
}
