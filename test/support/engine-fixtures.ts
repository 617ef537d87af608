import { type DatasetManifest, preprocessCsv } from '../../lib/data/index.js';
import { keys } from '../../lib/engine/keys.js';
import type { ModelArtifact } from '../../lib/engine/serving/model-artifact.js';
import type { EngineDeps, FinishedJob, Outbox } from '../../lib/engine/training/coordinator.js';
import { runInProcess } from '../../lib/engine/training/in-process-runner.js';
import { type JobSpec, jobSpecSchema } from '../../lib/engine/training/job-spec.js';
import { JobCache, latestState } from '../../lib/engine/training/job-store.js';
import type { ResultMessage, WorkMessage } from '../../lib/engine/training/protocol.js';
import { blobsProblem, seedExample, toCsv } from '../../lib/examples/generators.js';
import { type TrainState, TypedArrayKernel } from '../../lib/optim/index.js';
import type { ObjectStore } from '../../lib/ports.js';
import { SimObjectStore } from '../../lib/simulation/sim-object-store.js';
import { type SimulationOptions, type SimulationReport, simulate } from './simulation/simulator.js';
import { readJson } from './stored-json.js';

/** A dataset in a store, as a job needs it. */
export interface StoredDataset {
  readonly manifest: DatasetManifest;
  readonly manifestKey: string;
}

async function storeCsv(store: ObjectStore, dataset: string, csv: string): Promise<StoredDataset> {
  const manifest = await preprocessCsv({
    source: (async function* () {
      yield Buffer.from(csv);
    })(),
    file: `${dataset}.csv`,
    dataset,
    store,
  });
  return { manifest, manifestKey: keys.manifest(dataset, manifest.version) };
}

/** The worked example y = 2x + ε, 100 rows (columns x, y). */
export function seedDataset(store: ObjectStore): Promise<StoredDataset> {
  return storeCsv(store, 'seed', toCsv(seedExample()));
}

/** Two Gaussian blobs in 3 dimensions, 400 rows (columns f1..f3, label "neg"/"pos"). */
export function blobsDataset(store: ObjectStore): Promise<StoredDataset> {
  const table = blobsProblem({
    rows: 400,
    centres: [
      [-1, 0, 1],
      [1, 0.5, -1],
    ],
    spread: 1.2,
    labels: ['neg', 'pos'],
  });
  return storeCsv(store, 'blobs', toCsv(table));
}

/** A job spec on the seed example (linear y ~ x); `over` replaces fields, `options` is merged. */
export function seedSpec(
  jobId: string,
  version: string,
  options: JobSpec['options'] = {},
  over: Partial<JobSpec> = {},
): JobSpec {
  return jobSpecSchema.parse({
    v: 1,
    jobId,
    createdAt: '2024-01-01T00:00:00.000Z',
    modelName: 'seed-model',
    dataset: { name: 'seed', version },
    target: 'y',
    features: ['x'],
    model: 'linear',
    workers: 4,
    options: { solver: 'gd', epochs: 20, ...options },
    ...over,
  });
}

/** A logistic job spec on {@link blobsDataset}. */
export function blobsSpec(
  jobId: string,
  version: string,
  options: JobSpec['options'] = {},
  workers = 4,
): JobSpec {
  return jobSpecSchema.parse({
    v: 1,
    jobId,
    createdAt: '2024-01-01T00:00:00.000Z',
    modelName: 'blobs-model',
    dataset: { name: 'blobs', version },
    target: 'label',
    features: ['f1', 'f2', 'f3'],
    model: 'logistic',
    workers,
    options: { solver: 'gd', epochs: 20, ...options },
  });
}

/** An outbox that only records what it was asked to send. */
export function recordingOutbox(): Outbox & { work: WorkMessage[]; results: ResultMessage[] } {
  const work: WorkMessage[] = [];
  const results: ResultMessage[] = [];
  return {
    work,
    results,
    async sendWork(messages) {
      work.push(...messages);
    },
    async sendResult(message) {
      results.push(message);
    },
  };
}

/**
 * The seed job the coordinator's unit tests drive by hand: {@link seedDataset} in a fresh
 * {@link SimObjectStore}, a {@link recordingOutbox}, engine deps with a cache of their own that
 * note each finished job in `finished`, and a 2-epoch batch-GD {@link seedSpec} (4 partitions of
 * 25 rows, so rounds 0 and 1 are applied and state 2 is the final one). States stay in the store
 * (`inlineStateMaxBytes` 0: messages carry bare ids) unless `over` says otherwise; `over` replaces
 * any of the deps.
 */
export async function seedJob(jobId: string, over: Partial<EngineDeps> = {}) {
  const store = new SimObjectStore();
  const data = await seedDataset(store);
  const outbox = recordingOutbox();
  const finished: FinishedJob[] = [];
  const deps: EngineDeps = {
    store,
    outbox,
    kernel: new TypedArrayKernel(),
    backend: 'test',
    cache: new JobCache(),
    inlineStateMaxBytes: 0,
    onFinish: async (job) => {
      finished.push(job);
    },
    ...over,
  };
  const spec = seedSpec(jobId, data.manifest.version, { epochs: 2 });
  return { store, data, outbox, deps, spec, finished };
}

/** A v1 work message for `shard` of `round`. */
export const workMessage = (jobId: string, round: number, shard: number): WorkMessage => ({
  v: 1,
  type: 'work',
  jobId,
  round,
  shard,
});

/** A v1 result notification for `shard` of `round`. */
export const resultMessage = (jobId: string, round: number, shard: number): ResultMessage => ({
  v: 1,
  type: 'result',
  jobId,
  round,
  shard,
});

/** Indexes where two parameter vectors differ bit for bit (Object.is per element); [] when identical. */
export function bitDifferences(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!Object.is(a[i], b[i])) out.push(i);
  return out;
}

/** A dataset maker: {@link seedDataset} or {@link blobsDataset}. */
export type DatasetMaker = (store: ObjectStore) => Promise<StoredDataset>;

/** The final state and model of `spec` run by `runInProcess` in a fresh store. */
export async function referenceRun(
  spec: JobSpec,
  dataset: DatasetMaker,
): Promise<{ state: TrainState; model: ModelArtifact }> {
  const store = new SimObjectStore();
  const data = await dataset(store);
  const { state, artifact } = await runInProcess(
    { store, kernel: new TypedArrayKernel(), backend: 'simulated' },
    spec,
    data.manifest,
    data.manifestKey,
  );
  return { state, model: artifact };
}

/** Runs `spec` in the simulator; returns the report, the store, and the final state and model in it. */
export async function simulatedRun(
  spec: JobSpec,
  dataset: DatasetMaker,
  options: Omit<SimulationOptions, 'store' | 'jobs'>,
): Promise<{
  report: SimulationReport;
  store: SimObjectStore;
  state: TrainState | undefined;
  model: ModelArtifact | undefined;
}> {
  const store = new SimObjectStore();
  const data = await dataset(store);
  const report = await simulate({ ...options, store, jobs: [{ spec, ...data }] });
  const state = await latestState(store, spec.jobId);
  const model = await readJson<ModelArtifact>(store, keys.job.model(spec.jobId));
  return { report, store, state, model };
}
