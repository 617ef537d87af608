import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEventSink } from '../../../lib/adapters/local/index.js';
import type { LocalRuntimeConfig } from '../../../lib/app/config.js';
import { type Runtime, runtimeFor } from '../../../lib/app/index.js';
import { keys } from '../../../lib/engine/keys.js';
import {
  type DriftRecord,
  onDatasetReady,
  type Pipeline,
  type PipelineDecision,
  pipelineRuns,
  savePipeline,
} from '../../../lib/engine/pipelines/index.js';
import { seedExample, toCsv } from '../../../lib/examples/generators.js';
import { removeTemp, tempDir } from '../../support/cli.js';
import { localHandlers } from '../../support/local-handlers.js';
import { readJson } from '../../support/stored-json.js';

const pipeline = (over: Partial<Pipeline>): Pipeline => ({
  v: 1,
  name: 'p',
  dataset: 'd',
  target: 'y',
  model: 'linear',
  modelName: 'p-model',
  options: { epochs: 5 },
  workers: 2,
  holdoutFraction: 0.2,
  schedule: 'rate(1 day)',
  gate: { margin: 0, mode: 'absolute' },
  trainOnUpload: true,
  retrainOnDrift: false,
  driftThreshold: 0.2,
  createdAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

/** 2,000 rows of y = 2x + ε with x uniform on [shift, shift + 2] (seedExample moved along x). */
const data = (seed: number, shift = 0) => {
  const t = seedExample({ seed, rows: 2000 });
  return toCsv({ ...t, rows: t.rows.map(([x, y]) => [Number(x) + shift, Number(y) + 2 * shift]) });
};

/**
 * Pipelines through the handlers of a local home: a ready upload sets off the drift check and
 * training, the promotion gate runs when the job is registered, and each step leaves its record.
 */
describe('Pipelines: upload → drift check → training → promotion gate', () => {
  let dir: string;
  let config: LocalRuntimeConfig;
  let runtime: Runtime;
  let h: ReturnType<typeof localHandlers>;
  const versions: string[] = [];
  beforeAll(async () => {
    dir = tempDir();
    config = { cloud: 'local', home: `${dir}/home`, backend: {} };
    runtime = await runtimeFor(config);
    h = localHandlers(config);
  });
  afterAll(() => {
    runtime.close();
    removeTemp(dir);
  });

  const upload = async (file: string, csv: string) => {
    const key = `datasets/d/${file}`;
    await runtime.store.put(key, csv);
    const [record] = await h.preprocess(key);
    if (record?.state !== 'ready') throw new Error(`${file} not ready`);
    versions.push(record.version);
    return record.version;
  };
  const drift = (version: string) => readJson<DriftRecord>(runtime.store, keys.pipeline.drift('p', version));
  const gates = async () =>
    (await pipelineRuns(runtime.pipelines(), 'p')).filter(
      (d): d is Extract<PipelineDecision, { kind: 'gate' }> => d.kind === 'gate',
    );

  // One test: each step needs the ones before it, and the mutation run runs a mutant's covering
  // tests alone.
  it('a pipeline through four uploads: first model, same data, drift recorded, drift retrained', async () => {
    await savePipeline(runtime.pipelines(), pipeline({}));
    // A pipeline on another dataset: uploads of "d" never concern it.
    await savePipeline(runtime.pipelines(), pipeline({ name: 'other', dataset: 'e', modelName: 'o-model' }));

    // The first upload trains without a drift check, and the gate promotes the first model.
    const v1 = await upload('v1.csv', data(1));
    const first = await drift(v1);
    // No champion: nothing to compare with, no reference, and a job started because of the upload.
    expect(first).toMatchObject({ v: 1, pipeline: 'p', dataset: 'd', version: v1 });
    expect(first).not.toHaveProperty('reference');
    expect(first).not.toHaveProperty('report');
    expect(first?.startedJob).toMatch(/^p-linear-/);
    expect(await runtime.store.list('pipelines/other/drift/')).toEqual([]);
    expect(await h.drain(runtime)).toBeGreaterThan(0);
    const [gate1] = await gates();
    expect(gate1).toMatchObject({
      kind: 'gate',
      jobId: first!.startedJob,
      challenger: 1,
      champion: null,
      promote: true,
      metric: 'rmse',
      championMetrics: null,
    });
    expect(gate1!.reason).toMatch(/^promote: no champion yet/);
    expect(await runtime.registry.getAliases('p-model')).toEqual({ champion: 1, challenger: 1 });

    // An upload from the same distribution is checked against the champion (no drift) and its model gated.
    const v2 = await upload('v2.csv', data(2));
    const second = await drift(v2);
    expect(second?.reference).toBe(versions[0]);
    expect(second?.report?.drifted).toBe(false);
    expect(second?.startedJob).toMatch(/^p-linear-/);
    await h.drain(runtime);
    const gate = (await gates()).find((g) => g.jobId === second!.startedJob)!;
    expect(gate).toMatchObject({ challenger: 2, champion: 1, metric: 'rmse' });
    // Both scored on v2's holdout rows: the champion is whichever has the lower rmse (margin 0).
    const better = gate.challengerMetrics.rmse! < gate.championMetrics!.rmse!;
    expect(gate.promote).toBe(better);
    expect(await runtime.registry.getAliases('p-model')).toEqual({ champion: better ? 2 : 1, challenger: 2 });
    const events = await (runtime.events as FileEventSink).readEvents();
    expect(events.filter((e) => e.type === 'DriftDetected')).toEqual([]);
    expect(events.filter((e) => e.type === 'PromotionDecided')).toHaveLength(2);

    // A shifted upload is drift; a pipeline that retrains on drift starts a job, one that does not only records it.
    await savePipeline(runtime.pipelines(), pipeline({ trainOnUpload: false, retrainOnDrift: false }));
    // x moved from [0, 2] to [5, 7]: no value of the new data falls in the champion's range.
    const v3 = await upload('v3.csv', data(3, 5));
    const recorded = await drift(v3);
    expect(recorded?.report?.drifted).toBe(true);
    expect(recorded).not.toHaveProperty('startedJob');
    const events3 = await (runtime.events as FileEventSink).readEvents();
    const detected = events3.filter((e) => e.type === 'DriftDetected');
    expect(detected).toHaveLength(1);
    expect(detected[0]!.detail).toMatchObject({
      pipeline: 'p',
      dataset: 'd',
      version: v3,
      features: [expect.objectContaining({ feature: 'x', drifted: true })],
    });
    expect((detected[0]!.detail as { maxPsi: number }).maxPsi).toBeGreaterThan(0.2);

    await savePipeline(runtime.pipelines(), pipeline({ trainOnUpload: false, retrainOnDrift: true }));
    const v4 = await upload('v4.csv', data(4, 5));
    const started = await drift(v4);
    expect(started?.report?.drifted).toBe(true);
    expect(started?.startedJob).toMatch(/^p-linear-/);
    const runEvents = (await (runtime.events as FileEventSink).readEvents()).filter(
      (e) => e.type === 'PipelineRunStarted',
    );
    expect(runEvents.at(-1)!.detail).toMatchObject({ pipeline: 'p', version: v4, trigger: 'drift' });
    await h.drain(runtime);

    // A version the champion was trained on is neither checked nor trained on again.
    const champion = await runtime.registry.resolve('p-model@champion');
    const before = await runtime.store.list('pipelines/p/drift/');
    const effects = await onDatasetReady(runtime.pipelines(), 'd', champion.lineage.datasetVersion);
    expect(effects).toEqual([{ pipeline: 'p' }]);
    expect(await runtime.store.list('pipelines/p/drift/')).toEqual(before);

    // Three jobs ran (v1, v2, v4), and each has exactly one gate decision.
    expect((await gates()).map((g) => g.challenger).sort()).toEqual([1, 2, 3]);
  });
});
