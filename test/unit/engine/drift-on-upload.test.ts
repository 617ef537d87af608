import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestUpload } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import { onDatasetReady } from '../../../lib/engine/pipelines/drift-on-upload.js';
import { savePipeline } from '../../../lib/engine/pipelines/pipeline-store.js';
import { runPipeline } from '../../../lib/engine/pipelines/run-pipeline.js';
import type { Pipeline } from '../../../lib/engine/pipelines/schema.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';
import { pipelineDeps, seedChampion, testPipeline } from '../../support/pipeline-fixtures.js';

// The run itself (a job on the queues) is runPipeline's business, tested with it; here only
// whether and why it is asked for.
vi.mock('../../../lib/engine/pipelines/run-pipeline.js', () => ({
  runPipeline: vi.fn(async () => ({ kind: 'started', jobId: 'job-1' })),
}));

const AT = new Date('2026-12-02T12:00:00.000Z');

const pipeline = (over: Partial<Pipeline> = {}) => testPipeline(AT, over);

/** 200 rows with x = shift + i/100 and z constant, y = x (optionally in reverse order). */
const csv = (shift: number, reverse = false) => {
  const rows = Array.from({ length: 200 }, (_, i) => `${shift + i / 100},1,${shift + i / 100}`);
  return `x,z,y\n${(reverse ? rows.reverse() : rows).join('\n')}\n`;
};

async function setup(...pipelines: Pipeline[]) {
  const store = new MemoryObjectStore();
  const { deps, registry, events } = pipelineDeps(store, AT);
  for (const p of pipelines) await savePipeline(deps, p);
  const upload = async (file: string, shift: number, reverse = false) => {
    await store.put(`datasets/d/${file}`, csv(shift, reverse));
    const r = await ingestUpload(store, `datasets/d/${file}`);
    if (r.state !== 'ready') throw new Error('not ready');
    return r.version;
  };
  const champion = (datasetVersion: string, features = ['x', 'gone']) =>
    seedChampion(registry, datasetVersion, { features });
  const record = async (name: string, version: string) => {
    const o = await store.get(keys.pipeline.drift(name, version));
    return o === undefined
      ? undefined
      : (JSON.parse(new TextDecoder().decode(o.body)) as Record<string, unknown>);
  };
  return { store, events, deps, upload, champion, record };
}

describe('Function: onDatasetReady', () => {
  beforeEach(() => {
    vi.mocked(runPipeline).mockClear();
  });

  it('without a champion: no drift check; a pipeline that trains on upload starts a run', async () => {
    const { deps, upload, record, events } = await setup(
      pipeline(),
      pipeline({ name: 'q', trainOnUpload: true }),
      pipeline({ name: 'other', dataset: 'e' }),
    );
    const v1 = await upload('v1.csv', 0);
    const effects = await onDatasetReady(deps, 'd', v1);
    expect(effects).toEqual([{ pipeline: 'p' }, { pipeline: 'q', started: 'job-1' }]);
    expect(await record('p', v1)).toEqual({
      v: 1,
      pipeline: 'p',
      dataset: 'd',
      version: v1,
      at: AT.toISOString(),
    });
    expect(await record('q', v1)).toEqual({
      v: 1,
      pipeline: 'q',
      dataset: 'd',
      version: v1,
      at: AT.toISOString(),
      startedJob: 'job-1',
    });
    expect(await record('other', v1)).toBeUndefined();
    expect(vi.mocked(runPipeline).mock.calls.map((c) => [c[1], c[2]])).toEqual([['q', { reason: 'upload' }]]);
    expect(events).toEqual([]);
  });

  it('a version the champion was trained on is neither checked nor recorded', async () => {
    const { deps, upload, record, champion } = await setup(pipeline({ trainOnUpload: true }));
    const v1 = await upload('v1.csv', 0);
    await champion(v1);
    expect(await onDatasetReady(deps, 'd', v1)).toEqual([{ pipeline: 'p' }]);
    expect(await record('p', v1)).toBeUndefined();
    expect(runPipeline).not.toHaveBeenCalled();
  });

  it('shifted data: drift on the champion’s features, an event, and a retrain when asked for', async () => {
    const { deps, upload, record, champion, events } = await setup(
      pipeline(),
      pipeline({ name: 'r', retrainOnDrift: true }),
    );
    const v1 = await upload('v1.csv', 0);
    await champion(v1);
    // x moved from [0, 2) to [5, 7): none of the new values is in the champion's range.
    const v2 = await upload('v2.csv', 5);
    const effects = await onDatasetReady(deps, 'd', v2);
    expect(effects.map((e) => [e.pipeline, e.drift?.drifted, e.started])).toEqual([
      ['p', true, undefined],
      ['r', true, 'job-1'],
    ]);
    // Only x: z is not a feature of the champion, and "gone" is not a column of the data.
    expect(effects[0]!.drift!.features.map((f) => f.feature)).toEqual(['x']);
    expect(effects[0]!.drift!.maxPsi).toBeGreaterThan(0.2);
    expect(vi.mocked(runPipeline).mock.calls.map((c) => [c[1], c[2]])).toEqual([['r', { reason: 'drift' }]]);
    const drifted = events.filter((e) => e.type === 'DriftDetected');
    expect(drifted).toHaveLength(2);
    expect(drifted[0]).toEqual({
      type: 'DriftDetected',
      time: AT.toISOString(),
      detail: {
        pipeline: 'p',
        dataset: 'd',
        version: v2,
        maxPsi: effects[0]!.drift!.maxPsi,
        features: effects[0]!.drift!.features,
      },
    });
    const stored = await record('r', v2);
    expect(stored).toMatchObject({
      v: 1,
      pipeline: 'r',
      dataset: 'd',
      version: v2,
      reference: v1,
      startedJob: 'job-1',
    });
    expect((stored!.report as { drifted: boolean }).drifted).toBe(true);
    expect(await record('p', v2)).not.toHaveProperty('startedJob');
  });

  it('the same distribution, or a threshold it does not reach, is no drift: no event, no retrain', async () => {
    const { deps, upload, champion, events, record } = await setup(
      pipeline({ retrainOnDrift: true, driftThreshold: 1e9 }),
      pipeline({ name: 'same', retrainOnDrift: true, trainOnUpload: false }),
    );
    const v1 = await upload('v1.csv', 0);
    await champion(v1);
    const shifted = await upload('v2.csv', 5);
    const [p] = await onDatasetReady(deps, 'd', shifted);
    expect(p!.drift?.drifted).toBe(false);
    expect(p!.drift!.maxPsi).toBeGreaterThan(0.2);
    expect(p).not.toHaveProperty('started');
    expect(
      events.filter((e) => e.type === 'DriftDetected' && (e.detail as { pipeline: string }).pipeline === 'p'),
    ).toEqual([]);
    // the same values in another order (another version): PSI 0 for pipeline "same"
    const again = await upload('v3.csv', 0, true);
    expect(again).not.toBe(v1);
    vi.mocked(runPipeline).mockClear();
    const effects = await onDatasetReady(deps, 'd', again);
    const same = effects.find((e) => e.pipeline === 'same')!;
    expect(same.drift).toMatchObject({ drifted: false, maxPsi: 0 });
    expect(await record('same', again)).toMatchObject({ reference: v1, report: { drifted: false } });
    expect(runPipeline).not.toHaveBeenCalled();
  });
});
