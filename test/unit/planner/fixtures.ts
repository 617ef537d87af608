import { withCostModel } from '../../../lib/planner/index.js';

/** Round numbers so the arithmetic below can be checked by hand. */
export const simple = withCostModel({
  lambdaUsdPerGbSecond: 1e-5,
  lambdaUsdPerRequest: 2e-7,
  sqsStandardUsdPerMillion: 0.4,
  sqsFifoUsdPerMillion: 0.5,
  s3GetUsdPer1000: 0.0004,
  s3PutUsdPer1000: 0.005,
  lambdaMbPerVcpu: 1024,
  lambdaMaxVcpus: 6,
  threadsPerProcess: 1,
  rowFeaturesPerVcpuSecond: 1e8,
  lambdaS3BytesPerSecond: 1e8,
  shardCacheHitRate: 0,
  roundOverheadSeconds: 0.1,
  workerIoSeconds: 0.05,
  aggregatorSecondsPerRound: 0.05,
  aggregatorSecondsPerWorker: 0.01,
  aggregatorMemoryMb: 1024,
  lambdaStartSeconds: 1,
  memoryFactor: 2,
  runtimeBaselineMb: 256,
  batchStartSeconds: 100,
  batchS3BytesPerSecond: 1e8,
  streamRowFeaturesPerSecond: 1e8,
  batchInstances: [
    {
      instanceType: 'gpu.test',
      onDemandUsdPerHour: 3.6,
      spotUsdPerHour: 0.36,
      gpuMemoryMb: 1024,
      gpuRowFeaturesPerSecond: 1e10,
    },
  ],
});
