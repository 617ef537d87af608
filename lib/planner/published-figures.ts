/**
 * The published prices, limits and latencies the planner prices jobs with, each with its source
 * (us-east-1, list prices as published in 2025–2026; arm64 Lambda, which the stack deploys).
 * `DEFAULT_COST_MODEL` carries the same figures; `test/unit/planner/placement.test.ts` holds the two
 * together so a price changed in one place is changed in both. Figures that are assumptions,
 * not published numbers, say so.
 */
export const PUBLISHED = {
  lambda: {
    /** https://aws.amazon.com/lambda/pricing/ — Arm price, first 7.5 billion GB-s per month. */
    usdPerGbSecondArm: 0.0000133334,
    /** https://aws.amazon.com/lambda/pricing/ — $0.20 per 1M requests. */
    usdPerRequest: 0.0000002,
    /**
     * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html — "at 1,769 MB, a
     * function has the equivalent of one vCPU"; CPU is allocated in proportion to memory, up to
     * 6 vCPUs at the 10,240 MB maximum.
     */
    mbPerVcpu: 1769,
    maxVcpus: 6,
    maxMemoryMb: 10_240,
    /** https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html — 900 s timeout. */
    maxSeconds: 900,
    /**
     * https://aws.amazon.com/blogs/compute/operating-lambda-performance-optimization-part-1/ —
     * cold starts "vary from under 100 ms to over 1 second" and occur in under 1 % of invocations
     * of a steadily used function; the planner counts one (1 s, the upper end) per job.
     */
    coldStartSeconds: 1,
  },
  sqs: {
    /** https://aws.amazon.com/sqs/pricing/ — standard queue, per million requests (after the free tier). */
    standardUsdPerMillion: 0.4,
    /** https://aws.amazon.com/sqs/pricing/ — FIFO queue, per million requests. */
    fifoUsdPerMillion: 0.5,
    /**
     * Bite-Sized Serverless, "Serverless Messaging: Latency Compared" (eu-west-1, 2022),
     * https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/ — send to
     * handler start through the Lambda event source mapping, p50.
     */
    standardToLambdaP50Seconds: 0.0162,
    fifoToLambdaP50Seconds: 0.0281,
  },
  s3: {
    /** https://aws.amazon.com/s3/pricing/ — S3 Standard, PUT/COPY/POST/LIST per 1,000 requests. */
    putUsdPer1000: 0.005,
    /** https://aws.amazon.com/s3/pricing/ — S3 Standard, GET/SELECT per 1,000 requests. */
    getUsdPer1000: 0.0004,
    /**
     * AWS whitepaper "Optimizing Amazon S3 Performance", timeouts and retries for latency-sensitive
     * applications: small requests have "median latencies often in the tens of milliseconds" —
     * taken as 15 ms for GET/HEAD and 30 ms for PUT.
     */
    getP50Seconds: 0.015,
    putP50Seconds: 0.03,
  },
  batch: {
    /** https://aws.amazon.com/batch/pricing/ — "no additional charge for AWS Batch": the EC2 hours. */
    serviceUsd: 0,
    /** https://aws.amazon.com/ec2/pricing/on-demand/ — Linux, us-east-1. */
    onDemandUsdPerHour: { 'g4dn.xlarge': 0.526, 'g5.xlarge': 1.006 },
    /**
     * https://aws.amazon.com/ec2/spot/pricing/ — Spot prices move with supply; these are the
     * planner's figures (about 35–40 % of on-demand), not a quote.
     */
    spotUsdPerHour: { 'g4dn.xlarge': 0.18, 'g5.xlarge': 0.4 },
    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html —
     * a Spot interruption comes with a two-minute notice: the GPU job checkpoints well inside it.
     */
    spotNoticeSeconds: 120,
    /**
     * Assumption (no published figure): submit → RUNNABLE → an instance launched from zero
     * (about a minute), the ECS GPU AMI booted and the ~4 GB CUDA image pulled — 180 s.
     */
    startSeconds: 180,
  },
} as const;

/**
 * Lambda vCPUs at a memory size: min(memory / 1769 MB, 6) (the proportional allocation above).
 *
 * @example
 * lambdaVcpusAt(3538); // 2
 */
export function lambdaVcpusAt(memoryMb: number): number {
  return Math.min(memoryMb / PUBLISHED.lambda.mbPerVcpu, PUBLISHED.lambda.maxVcpus);
}
