import { EventBridgeEventSink, S3ObjectStore } from '../lib/adapters/aws/index.js';
import { UsageError } from '../lib/errors.js';
import { ModelRegistry } from '../lib/registry/index.js';
import type { Home } from './home.js';

/**
 * The deployed stack as the CLI's store (`SHARDTRAIN_CLOUD=aws`): the bucket, the registry in
 * it and the event bus, named by the stack outputs in BUCKET_NAME and EVENT_BUS_NAME (the same
 * variables the Lambda functions read). Credentials and region come from the usual AWS config.
 */
export function openAwsHome(env: NodeJS.ProcessEnv = process.env): Home {
  const bucket = env.BUCKET_NAME;
  if (bucket === undefined || bucket === '') {
    throw new UsageError('SHARDTRAIN_CLOUD=aws needs BUCKET_NAME (the stack output BucketName)');
  }
  const store = new S3ObjectStore({ bucket });
  const events = new EventBridgeEventSink(env.EVENT_BUS_NAME ? { eventBusName: env.EVENT_BUS_NAME } : {});
  return {
    root: `s3://${bucket}`,
    store,
    events,
    links: store,
    registry: new ModelRegistry({ store, events }),
  };
}
