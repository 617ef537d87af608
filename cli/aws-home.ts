import { EventBridgeEventSink, S3ObjectStore } from '../lib/adapters/aws/index.js';
import type { CliConfig } from '../lib/app/index.js';
import { ModelRegistry } from '../lib/registry/index.js';
import type { Home } from './home.js';

/**
 * The deployed stack as the CLI's store (`SHARDTRAIN_CLOUD=aws`): the bucket, the registry in
 * it and the event bus, named by the stack outputs in BUCKET_NAME and EVENT_BUS_NAME (the same
 * variables the Lambda functions read; the CLI's config parsing checked them). Credentials and
 * region come from the usual AWS config.
 */
export function openAwsHome(aws: NonNullable<CliConfig['aws']>): Home {
  const { bucket } = aws;
  const store = new S3ObjectStore({ bucket });
  const events = new EventBridgeEventSink(
    aws.eventBusName !== undefined ? { eventBusName: aws.eventBusName } : {},
  );
  return {
    root: `s3://${bucket}`,
    store,
    events,
    links: store,
    registry: new ModelRegistry({ store, events }),
  };
}
