import type { EventSink, ShardtrainEvent } from '../../../lib/ports.js';
import type { NewModelVersion } from '../../../lib/registry/index.js';

/** An EventSink that keeps what it was given. */
export class RecordingSink implements EventSink {
  public readonly events: ShardtrainEvent[] = [];

  public async publish(event: ShardtrainEvent): Promise<void> {
    this.events.push(event);
  }
}

/** A clock the test moves by hand. */
export function manualClock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set: (iso) => {
      current = new Date(iso);
    },
  };
}

/** A valid version input; `rmse` distinguishes versions in assertions. */
export function versionInput(rmse = 1, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    artifact: { kind: 'linear', features: ['x1', 'x2'], coefficients: [0.5, -1.25], intercept: 3 },
    metrics: { train: { rmse }, holdout: { rmse: rmse * 1.1 } },
    lineage: {
      dataset: 'houses',
      datasetVersion: 'sha256-abc123',
      jobId: 'job-1',
      jobSpec: { optimizer: 'adam', epochs: 5 },
      backend: 'cpu',
      packageVersion: '0.1.0',
      wallTimeMs: 1234,
    },
    ...overrides,
  };
}
