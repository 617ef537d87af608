import type { ModelRegistry, ModelVersion } from '../../registry/index.js';
import type { FinishedJob } from './coordinator.js';

/** Package version and git commit recorded in lineage; filled in by the host. */
export interface BuildInfo {
  readonly packageVersion: string;
  readonly gitCommit?: string;
}

const finite = (m: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));

/**
 * Registers a finished job's model as a new version of `spec.modelName`, exactly once per job:
 * a version whose lineage names this job already is returned instead of creating another (the
 * aggregator may finish a job twice after a crash).
 */
export async function registerJobModel(
  registry: ModelRegistry,
  job: FinishedJob,
  build: BuildInfo,
  extra: { holdout?: Record<string, number>; now?: () => Date } = {},
): Promise<ModelVersion> {
  const { spec } = job;
  const existing = await findJobVersion(registry, spec.modelName, spec.jobId);
  if (existing !== undefined) return existing;
  const now = (extra.now ?? (() => new Date()))();
  return registry.createVersion(spec.modelName, {
    artifact: job.artifact as unknown as Record<string, unknown>,
    metrics: {
      train: finite(job.artifact.metrics),
      ...(extra.holdout !== undefined ? { holdout: finite(extra.holdout) } : {}),
    },
    lineage: {
      dataset: spec.dataset.name,
      datasetVersion: spec.dataset.version,
      jobId: spec.jobId,
      jobSpec: spec as unknown as Record<string, unknown>,
      backend: job.artifact.backend,
      packageVersion: build.packageVersion,
      ...(build.gitCommit !== undefined ? { gitCommit: build.gitCommit } : {}),
      wallTimeMs: Math.max(0, now.getTime() - Date.parse(spec.createdAt)),
    },
    tags: { model: spec.model, target: spec.target },
  });
}

/**
 * The version of `name` whose lineage names `jobId`, searching the newest 50 (a job registers
 * right after it finishes, so its version is among the latest).
 */
export async function findJobVersion(
  registry: ModelRegistry,
  name: string,
  jobId: string,
): Promise<ModelVersion | undefined> {
  const versions = await registry.listVersions(name).catch(() => [] as number[]);
  for (const v of versions.slice(-50).reverse()) {
    const version = await registry.getVersion(name, v);
    if (version.lineage.jobId === jobId) return version;
  }
  return undefined;
}
