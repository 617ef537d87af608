import { registryKeys } from '../registry/keys.js';

/**
 * Where everything lives in the object store: the one place for every stored object's key, so
 * the handlers, the CLI, the report and the CDK lifecycle rule (which expires `scratch/`) agree.
 * The registry's layout is defined by `lib/registry/keys.ts` (the registry takes a prefix and
 * may not import the engine); `keys.registry` is that layout under the default prefix.
 */
const pad = (n: number, width = 6): string => String(n).padStart(width, '0');

export const keys = {
  /** Raw uploads; an object created here triggers preprocessing. */
  upload: (dataset: string, file: string) => `datasets/${dataset}/${file}`,
  uploadsPrefix: 'datasets/',
  processedPrefix: 'processed',
  manifest: (dataset: string, version: string) => `processed/${dataset}/${version}/manifest.json`,
  /** One record per upload (processing, ready or failed with the error). */
  uploadStatus: (dataset: string, uploadId: string) => `processed/${dataset}/uploads/${uploadId}.json`,
  uploadStatusPrefix: (dataset: string) => `processed/${dataset}/uploads/`,
  /** Written once an upload is ready and what it set off (drift check, pipeline start) is done. */
  uploadSettled: (dataset: string, uploadId: string) => `processed/${dataset}/uploads/${uploadId}.settled`,
  /**
   * Partitioned versions (`datasets/<name>/<label>/part-*` + `_SUCCESS`): each part's own
   * manifest or failure, the part list the marker fixed, and the version's outcome.
   */
  partition: {
    prefix: (dataset: string, label: string) => `processed/${dataset}/_parts/${label}/`,
    partManifest: (dataset: string, label: string, part: string) =>
      `processed/${dataset}/_parts/${label}/${part}.manifest.json`,
    partFailure: (dataset: string, label: string, part: string) =>
      `processed/${dataset}/_parts/${label}/${part}.failed.json`,
    expected: (dataset: string, label: string) => `processed/${dataset}/_parts/${label}/_expected.json`,
    outcome: (dataset: string, label: string) => `processed/${dataset}/_parts/${label}/_outcome.json`,
  },
  /** The last failure of a queue message, so a dead letter comes with its reason. */
  failure: (messageId: string) => `scratch/failures/${messageId}.json`,
  job: {
    /** Every stored object of a job outside `scratch/`. */
    prefix: (jobId: string) => `jobs/${jobId}/`,
    spec: (jobId: string) => `jobs/${jobId}/spec.json`,
    /** Config, transform and partitions fixed at job start (a pure function of spec + manifest). */
    plan: (jobId: string) => `jobs/${jobId}/plan.json`,
    /** The training state at the start of `round` (params to use for it). */
    state: (jobId: string, round: number) => `jobs/${jobId}/state/${pad(round)}.json`,
    statePrefix: (jobId: string) => `jobs/${jobId}/state/`,
    /** Marker: the work messages of `round` were sent. */
    fanout: (jobId: string, round: number) => `jobs/${jobId}/fanout/${pad(round)}`,
    fanoutPrefix: (jobId: string) => `jobs/${jobId}/fanout/`,
    /** Append-only record of applied round `round` (loss, ‖g‖, lr, timing): the job's history. */
    metrics: (jobId: string, round: number) => `jobs/${jobId}/metrics/${pad(round)}.json`,
    metricsPrefix: (jobId: string) => `jobs/${jobId}/metrics/`,
    model: (jobId: string) => `jobs/${jobId}/model.json`,
    registered: (jobId: string) => `jobs/${jobId}/registered.json`,
    failed: (jobId: string) => `jobs/${jobId}/failed.json`,
    /** The job's HTML report, written when it finishes (or on demand). */
    report: (jobId: string) => `jobs/${jobId}/report.html`,
    result: (jobId: string, round: number, shard: number) =>
      `scratch/jobs/${jobId}/results/${pad(round)}/${pad(shard, 4)}.json`,
    resultsPrefix: (jobId: string, round: number) => `scratch/jobs/${jobId}/results/${pad(round)}/`,
    /**
     * Partition claim: which work message (its slot, the body) computes `shard` in `round` when the
     * plan has `claims` (see `claims.ts`). Scratch, so the lifecycle rule expires it with the results.
     */
    claim: (jobId: string, round: number, shard: number) =>
      `scratch/jobs/${jobId}/claims/${pad(round)}/${pad(shard, 4)}`,
    claimsPrefix: (jobId: string, round: number) => `scratch/jobs/${jobId}/claims/${pad(round)}/`,
    jobClaimsPrefix: (jobId: string) => `scratch/jobs/${jobId}/claims/`,
    /** Every worker result and partition claim of a job (removed when it finishes). */
    scratchPrefix: (jobId: string) => `scratch/jobs/${jobId}/`,
  },
  jobsPrefix: 'jobs/',
  pipeline: {
    /** The saved definition (what to train, when, the gate). */
    definition: (name: string) => `pipelines/${name}/definition.json`,
    /** One decision per run: the gate's verdict for a job, or why a run was skipped. */
    run: (name: string, jobId: string) => `pipelines/${name}/runs/${jobId}.json`,
    runsPrefix: (name: string) => `pipelines/${name}/runs/`,
    skip: (name: string, at: string) => `pipelines/${name}/runs/skip-${at.replace(/[:.]/g, '')}.json`,
    /** What a new dataset version did to the pipeline (drift report, job started). */
    drift: (name: string, version: string) => `pipelines/${name}/drift/${version}.json`,
  },
  pipelinesPrefix: 'pipelines/',
  /**
   * Gradient rates measured on the work Lambdas (`lambda-calibration.ts`): one record per job,
   * memory size and kernel, written by the worker of shard 0 in round 1; read by the AWS planner.
   */
  calibration: {
    prefix: 'calibration/',
    lambdaPrefix: 'calibration/lambda/',
    lambda: (memoryMb: number, kernel: string, jobId: string) =>
      `calibration/lambda/${memoryMb}/${kernel}/${jobId}.json`,
  },
  /** The model registry's documents (versions, aliases, tags) under its default prefix. */
  registry: registryKeys(),
} as const;
