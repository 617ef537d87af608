import type { ModelRegistry, ModelVersion } from '../registry/index.js';
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
  const versions = await registry.listVersions(spec.modelName).catch(() => [] as number[]);
  for (const v of versions.slice(-20).reverse()) {
    const existing = await registry.getVersion(spec.modelName, v);
    if (existing.lineage.jobId === spec.jobId) return existing;
  }
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
