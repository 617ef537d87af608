import type { LambdaMeasuredRate } from './lambda-calibration.js';
import { withRoundLatency } from './round-latency.js';

/** One AWS Batch GPU instance type the planner may pick (single instance, single GPU). */
export interface BatchInstanceSpec {
  readonly instanceType: string;
  readonly onDemandUsdPerHour: number;
  readonly spotUsdPerHour: number;
  /** GPU memory; data whose working set (decoded bytes × `memoryFactor`) fits is kept on the GPU. */
  readonly gpuMemoryMb: number;
  /** Gradient throughput with the data resident on the GPU, in rows·features·outputs per second. */
  readonly gpuRowFeaturesPerSecond: number;
}

/** A fixed machine for in-process runs (e.g. the CLI's laptop) instead of a Lambda invocation. */
export interface InProcessHost {
  readonly label: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly usdPerHour: number;
  readonly maxSeconds: number;
  /** The MLP kernel's calibrated rate here (one thread), multiply-adds per second; else `mlpWorkPerVcpuSecond`. */
  readonly mlpWorkPerSecond?: number;
}

/**
 * Prices and performance constants of the planner. Every field has a documented default in
 * {@link DEFAULT_COST_MODEL}; the bench overrides the throughput and latency ones with measured values.
 * Work is counted in "row·features·outputs" (one multiply-add of the forward pass plus one of the
 * gradient per row, feature and output block; outputs = K for softmax, 1 otherwise).
 */
export interface CostModel {
  readonly lambdaUsdPerGbSecond: number;
  readonly lambdaUsdPerRequest: number;
  readonly sqsStandardUsdPerMillion: number;
  readonly sqsFifoUsdPerMillion: number;
  readonly s3GetUsdPer1000: number;
  readonly s3PutUsdPer1000: number;
  /** Lambda memory that buys one vCPU (vCPU = memory / this, capped at `lambdaMaxVcpus`). */
  readonly lambdaMbPerVcpu: number;
  readonly lambdaMaxVcpus: number;
  /** Longest a single Lambda invocation may run. */
  readonly lambdaMaxSeconds: number;
  /** Cold start / first fan-out latency, counted once in wall time (not billed). */
  readonly lambdaStartSeconds: number;
  /** vCPUs one process can use: 1 for the default single-threaded typed-array kernel. */
  readonly threadsPerProcess: number;
  /** CPU gradient throughput per vCPU, rows·features·outputs per second. */
  readonly rowFeaturesPerVcpuSecond: number;
  /**
   * The MLP kernel's throughput (float64 back-propagation, one thread, so one vCPU whatever the
   * size), multiply-adds per second ({@link modelRowWork}'s unit).
   */
  readonly mlpWorkPerVcpuSecond: number;
  /** S3 read + decompress throughput of one Lambda invocation, compressed bytes per second. */
  readonly lambdaS3BytesPerSecond: number;
  /** Fraction of rounds whose worker finds its shard already cached in a warm container. */
  readonly shardCacheHitRate: number;
  /** Wall time of one round's coordination (SQS hops, S3 latencies, aggregator start), seconds. */
  readonly roundOverheadSeconds: number;
  /** Billed time of a worker outside compute and shard load (GET params, PUT result), seconds. */
  readonly workerIoSeconds: number;
  readonly aggregatorSecondsPerRound: number;
  /** Aggregator time per worker result (reading W results from S3 adds to every round). */
  readonly aggregatorSecondsPerWorker: number;
  readonly aggregatorMemoryMb: number;
  /** Memory a process needs = decoded float32 bytes × this + `runtimeBaselineMb`. */
  readonly memoryFactor: number;
  readonly runtimeBaselineMb: number;
  /** Batch queue → instance running → container started; billed (the instance is up). */
  readonly batchStartSeconds: number;
  /** S3 download + decompress throughput of a Batch instance, compressed bytes per second. */
  readonly batchS3BytesPerSecond: number;
  /** Throughput when the data does not fit on the GPU and is streamed in every round. */
  readonly streamRowFeaturesPerSecond: number;
  readonly batchInstances: readonly BatchInstanceSpec[];
  /** When set, in-process runs on this machine instead of one Lambda invocation. */
  readonly inProcessHost?: InProcessHost;
  /**
   * Gradient rates measured on the work Lambdas, per memory size and kernel
   * (`lambda-calibration.ts`); a Lambda of a listed size is priced at its rate instead of the
   * published per-vCPU figure.
   */
  readonly lambdaMeasured?: readonly LambdaMeasuredRate[];
  /**
   * The coordination figures of a round of W workers, when they depend on W (on AWS, results ride
   * inline up to 10 workers and partitions are claimed above 8: `round-latency.ts`). Without it,
   * every W takes `roundOverheadSeconds`, `aggregatorSecondsPerWorker` and `workerIoSeconds`, and
   * a round makes 2W S3 GETs (state, result) and W + 2 PUTs (result, state, round record).
   */
  readonly coordination?: (workers: number) => RoundCoordination;
}

/** What a round of W workers costs in coordination, from {@link CostModel.coordination}. */
export interface RoundCoordination {
  readonly roundOverheadSeconds: number;
  readonly aggregatorSecondsPerWorker: number;
  readonly workerIoSeconds: number;
  /** S3 GET-class requests of a round (GET, HEAD), shard loads excluded. */
  readonly s3GetsPerRound: number;
  readonly s3PutsPerRound: number;
}

/** The coordination figures of a round of `workers` workers under `cost`. */
export function coordinationOf(cost: CostModel, workers: number): RoundCoordination {
  return (
    cost.coordination?.(workers) ?? {
      roundOverheadSeconds: cost.roundOverheadSeconds,
      aggregatorSecondsPerWorker: cost.aggregatorSecondsPerWorker,
      workerIoSeconds: cost.workerIoSeconds,
      s3GetsPerRound: 2 * workers,
      s3PutsPerRound: workers + 2,
    }
  );
}

/** The fields of a cost model that the per-round latency model ({@link withRoundLatency}) sets. */
export type RoundCoordinationFields =
  | 'roundOverheadSeconds'
  | 'aggregatorSecondsPerWorker'
  | 'workerIoSeconds'
  | 'coordination';

/**
 * Prices and throughputs: us-east-1 list prices (Lambda arm64, SQS, S3 standard, Batch on EC2)
 * and throughputs measured on the typed-array kernel (2.5e8 linear, 1e8 softmax
 * row·features·outputs/s on the dev machine, taken down to 1.5e8 for a Graviton vCPU). GPU
 * figures assume the gradient is bound by memory bandwidth (T4 320 GB/s, A10G 600 GB/s; two
 * passes over float32 X at ~50% efficiency).
 */
const PRICES_AND_THROUGHPUTS: Omit<CostModel, RoundCoordinationFields> = {
  lambdaUsdPerGbSecond: 0.0000133334,
  lambdaUsdPerRequest: 0.0000002,
  sqsStandardUsdPerMillion: 0.4,
  sqsFifoUsdPerMillion: 0.5,
  s3GetUsdPer1000: 0.0004,
  s3PutUsdPer1000: 0.005,
  lambdaMbPerVcpu: 1769,
  lambdaMaxVcpus: 6,
  lambdaMaxSeconds: 900,
  lambdaStartSeconds: 1,
  threadsPerProcess: 1,
  rowFeaturesPerVcpuSecond: 1.5e8,
  // bench/mlp.ts: 18 061 rows/s for a (100,) network on 64 inputs, 10 classes = 18 061 × 3 ×
  // (64·100 + 100·10) ≈ 4.0e8 multiply-adds/s on the dev machine, taken down as above (× 1.5/2.5).
  mlpWorkPerVcpuSecond: 2.4e8,
  lambdaS3BytesPerSecond: 90e6,
  shardCacheHitRate: 0,
  aggregatorSecondsPerRound: 0.05,
  aggregatorMemoryMb: 1024,
  memoryFactor: 2,
  runtimeBaselineMb: 256,
  batchStartSeconds: 180,
  batchS3BytesPerSecond: 300e6,
  streamRowFeaturesPerSecond: 2.5e8,
  batchInstances: [
    {
      instanceType: 'g4dn.xlarge',
      onDemandUsdPerHour: 0.526,
      spotUsdPerHour: 0.18,
      gpuMemoryMb: 16_384,
      gpuRowFeaturesPerSecond: 2e10,
    },
    {
      instanceType: 'g5.xlarge',
      onDemandUsdPerHour: 1.006,
      spotUsdPerHour: 0.4,
      gpuMemoryMb: 24_576,
      gpuRowFeaturesPerSecond: 3.5e10,
    },
  ],
};

/**
 * The planner's defaults: {@link PRICES_AND_THROUGHPUTS}, with the per-round coordination
 * figures of the AWS per-round latency model (`round-latency.ts`, sources in the README), per W,
 * with the work state inline: up to 8 workers 0.1143 s per round + 0.02 s per worker and 0.015 s
 * of a worker's own S3 calls (one HEAD); 9–10 workers add a claim PUT (0.1443 s, worker 0.045 s);
 * above 10 results are stored: 0.1893 s + 0.0075 s per worker, worker 0.075 s (HEAD, claim PUT,
 * result PUT).
 */
export const DEFAULT_COST_MODEL: CostModel = withRoundLatency(PRICES_AND_THROUGHPUTS);

/**
 * The default model with some fields replaced (e.g. throughputs measured by the bench). Replacing
 * a coordination figure (`roundOverheadSeconds`, `aggregatorSecondsPerWorker`, `workerIoSeconds`)
 * without a `coordination` of its own drops the default's per-W figures, so the given ones hold
 * for every W.
 */
export function withCostModel(overrides: Partial<CostModel> = {}): CostModel {
  const fixed = (['roundOverheadSeconds', 'aggregatorSecondsPerWorker', 'workerIoSeconds'] as const).some(
    (k) => k in overrides,
  );
  if (!fixed || 'coordination' in overrides) return { ...DEFAULT_COST_MODEL, ...overrides };
  const { coordination: _perW, ...rest } = DEFAULT_COST_MODEL;
  return { ...rest, ...overrides };
}
