import type { Rng } from '../examples/random.js';
import { PUBLISHED } from '../planner/published-figures.js';
import { AWS_ROUND_LATENCY } from '../planner/round-latency.js';

/**
 * A latency in seconds: a fixed value, or a log-normal fitted to a published median and 90th
 * percentile (σ = ln(p90 / p50) / z₀.₉, z₀.₉ = 1.2816; mean = p50·e^{σ²/2}).
 */
export type Distribution =
  | { readonly kind: 'fixed'; readonly seconds: number }
  | { readonly kind: 'lognormal'; readonly p50: number; readonly p90: number };

const Z90 = 1.2815515655446004;

/** The distribution's mean, seconds. */
export function meanOf(d: Distribution): number {
  if (d.kind === 'fixed') return d.seconds;
  const sigma = Math.log(d.p90 / d.p50) / Z90;
  return d.p50 * Math.exp((sigma * sigma) / 2);
}

/** One draw, seconds (a fixed distribution consumes no randomness). */
export function draw(d: Distribution, rng: Rng): number {
  if (d.kind === 'fixed') return d.seconds;
  const sigma = Math.log(d.p90 / d.p50) / Z90;
  return d.p50 * Math.exp(sigma * rng.normal());
}

/** Every latency the scale simulation draws, one distribution per kind of call. */
export interface LatencyModel {
  /** SQS standard → Lambda event source mapping → handler start (a work message's hop). */
  readonly sqsStandardHop: Distribution;
  /** SQS FIFO → Lambda event source mapping → handler start (a result notification's hop). */
  readonly sqsFifoHop: Distribution;
  /** One SQS API call (SendMessage / SendMessageBatch) as the sender waits for it. */
  readonly sqsSend: Distribution;
  readonly s3Get: Distribution;
  readonly s3Head: Distribution;
  readonly s3Put: Distribution;
  /** A new Lambda instance's first invocation (once per simulated instance). */
  readonly lambdaColdStart: Distribution;
  /** Every later invocation of a warm instance, beyond the event source mapping's hop. */
  readonly lambdaWarmStart: Distribution;
}

/**
 * The published figures as distributions (sources in README "Simulating scale" and in
 * `lib/planner/round-latency.ts` / `published-figures.ts`):
 * - SQS → Lambda: p50/p90 16.2/33.8 ms standard, 28.1/61.2 ms FIFO (Bite-Sized Serverless, 2022);
 * - S3: p50 15 ms GET/HEAD, 30 ms PUT (AWS S3 performance whitepaper: "tens of milliseconds");
 *   p90 = 2 × p50 is an assumption (no published p90);
 * - SQS API call: 10 ms (assumption, as the planner's);
 * - Lambda cold start: "from under 100 ms to over 1 second" (AWS Compute Blog, Operating Lambda):
 *   p50 0.3 s and p90 1 s are our reading of that range; warm start: 0, because the ESM hop is
 *   measured send → handler start on a warm function.
 */
export const AWS_LATENCY: LatencyModel = {
  sqsStandardHop: { kind: 'lognormal', p50: PUBLISHED.sqs.standardToLambdaP50Seconds, p90: 0.0338 },
  sqsFifoHop: { kind: 'lognormal', p50: PUBLISHED.sqs.fifoToLambdaP50Seconds, p90: 0.0612 },
  sqsSend: { kind: 'fixed', seconds: AWS_ROUND_LATENCY.sqsSendSeconds },
  s3Get: { kind: 'lognormal', p50: PUBLISHED.s3.getP50Seconds, p90: 2 * PUBLISHED.s3.getP50Seconds },
  s3Head: {
    kind: 'lognormal',
    p50: AWS_ROUND_LATENCY.s3HeadSeconds,
    p90: 2 * AWS_ROUND_LATENCY.s3HeadSeconds,
  },
  s3Put: { kind: 'lognormal', p50: PUBLISHED.s3.putP50Seconds, p90: 2 * PUBLISHED.s3.putP50Seconds },
  lambdaColdStart: { kind: 'lognormal', p50: 0.3, p90: PUBLISHED.lambda.coldStartSeconds },
  lambdaWarmStart: { kind: 'fixed', seconds: 0 },
};

/** `model` with every distribution replaced by its mean: a deterministic run (the tests' baseline). */
export function meanLatency(model: LatencyModel): LatencyModel {
  return Object.fromEntries(
    Object.entries(model).map(([k, d]) => [k, { kind: 'fixed', seconds: meanOf(d) }]),
  ) as unknown as LatencyModel;
}
