import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Top-level key prefixes of the data bucket. Must agree with `lib/engine/keys.ts` (a unit
 * test checks it); the CDK cannot import `lib/` (layer rule), so they are repeated here.
 */
export const BUCKET_PREFIXES = {
  /** Raw CSV uploads; an object created here triggers preprocessing. */
  datasets: 'datasets/',
  /** Shards, manifests and upload status written by preprocessing. */
  processed: 'processed/',
  /** Job spec, per-round state, fan-out markers, final model. */
  jobs: 'jobs/',
  /** Per-round worker results: expired by the lifecycle rule. */
  scratch: 'scratch/',
  /** Model registry (versions, aliases, events). */
  registry: 'registry/',
  /** Pipeline definitions, gate decisions and drift reports. */
  pipelines: 'pipelines/',
  /** Gradient rates measured on the work Lambdas, one small record per job (the AWS planner reads them). */
  calibration: 'calibration/',
} as const;

/** Which uploads start preprocessing: CSV files. */
export const DATASET_UPLOAD_FILTER = { prefix: BUCKET_PREFIXES.datasets, suffix: '.csv' } as const;
/**
 * …and Parquet files (issue 9), and the `_SUCCESS` marker that finalises a partitioned version
 * (`datasets/<name>/<label>/_SUCCESS`, after its `part-*` files, which match the first two). S3
 * takes one suffix per notification, so each has its own; the suffixes must not overlap (S3
 * refuses overlapping configurations for one event type).
 */
export const DATASET_UPLOAD_FILTERS = [
  DATASET_UPLOAD_FILTER,
  { prefix: BUCKET_PREFIXES.datasets, suffix: '.parquet' },
  { prefix: BUCKET_PREFIXES.datasets, suffix: '/_SUCCESS' },
] as const;

export interface DataBucketProps {
  /** Days after which objects under `scratch/` (worker results) expire. @default 7 */
  readonly scratchExpiryDays?: number;
  /** Days after which a replaced or deleted object version is removed. @default 30 */
  readonly noncurrentVersionExpiryDays?: number;
  /** Days after which an unfinished multipart upload is aborted. @default 2 */
  readonly abortIncompleteUploadDays?: number;
  /** Days server access logs are kept. @default 90 */
  readonly accessLogExpiryDays?: number;
  /** @default RemovalPolicy.RETAIN (datasets and models outlive the stack) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one bucket holding datasets, shards, training state and models: S3-managed encryption,
 * TLS only, no public access, versioned, scratch data expired, access logs to a second bucket.
 *
 * S3-managed (SSE-S3) rather than KMS: no key policy to keep in sync across the two stacks and
 * the Batch job, and no per-request KMS cost on the many small per-round objects.
 */
export class DataBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: DataBucketProps = {}) {
    super(scope, id);
    const scratchExpiryDays = props.scratchExpiryDays ?? 7;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!Number.isInteger(scratchExpiryDays) || scratchExpiryDays < 1) {
      throw new Error(
        `DataBucket: scratchExpiryDays must be a whole number of days >= 1, got ${scratchExpiryDays}.`,
      );
    }

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // log delivery supports SSE-S3 only
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // No explicit objectOwnership: CDK picks what its log-delivery mode (bucket policy or ACL) needs.
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogExpiryDays ?? 90) },
      ],
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket itself; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy,
      lifecycleRules: [
        {
          // S3 lifecycle filters match a key prefix only (no wildcards), hence the `scratch/` tree.
          id: 'expire-scratch',
          prefix: BUCKET_PREFIXES.scratch,
          expiration: Duration.days(scratchExpiryDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpiryDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteUploadDays ?? 2),
        },
      ],
    });
  }
}
