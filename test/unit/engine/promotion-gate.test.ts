import { describe, expect, it } from 'vitest';
import { preprocessCsv } from '../../../lib/data/index.js';
import { isHoldoutRow } from '../../../lib/engine/datasets/holdout.js';
import { keys } from '../../../lib/engine/keys.js';
import { onPipelineJobFinished, type Pipeline, savePipeline } from '../../../lib/engine/pipelines/index.js';
import type { ModelArtifact } from '../../../lib/engine/serving/model-artifact.js';
import type { FinishedJob } from '../../../lib/engine/training/coordinator.js';
import { HOLDOUT_SEED } from '../../../lib/engine/training/job-plan.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';
import { pipelineDeps, registerModel, testPipeline } from '../../support/pipeline-fixtures.js';

// Eight rows in four shards: y = 2x + 1 + e, e = (0, 1, 0, −1, 0, 0, 2, 0).
const X = [1, 2, 3, 4, 5, 6, 7, 8];
const Y = [3, 6, 7, 8, 11, 13, 17, 17];
const CSV = `x,y\n${X.map((x, i) => `${x},${Y[i]}`).join('\n')}\n`;
const AT = new Date('2026-12-02T12:00:00.000Z');

const linear = (intercept: number, slope: number): ModelArtifact => ({
  v: 1,
  kind: 'linear',
  target: 'y',
  features: ['x'],
  coefficients: { x: slope },
  intercept,
  params: [intercept, slope],
  transform: {},
  metrics: {},
  backend: 'typed-array',
  steps: 1,
});

/** rmse and r2 on the rows held out at fraction ½, from their definitions. */
function holdout(m: ModelArtifact) {
  const at = X.map((_, i) => i).filter((i) => isHoldoutRow(i, 0.5, HOLDOUT_SEED));
  const yHat = (i: number) => (m.intercept as number) + (m.coefficients as Record<string, number>).x! * X[i]!;
  const sse = at.reduce((s, i) => s + (Y[i]! - yHat(i)) ** 2, 0);
  const mean = at.reduce((s, i) => s + Y[i]!, 0) / at.length;
  const sst = at.reduce((s, i) => s + (Y[i]! - mean) ** 2, 0);
  return { rmse: Math.sqrt(sse / at.length), r2: 1 - sse / sst };
}

const pipeline = (over: Partial<Pipeline> = {}) => testPipeline(AT, { holdoutFraction: 0.5, ...over });

async function setup(p: Pipeline = pipeline()) {
  const store = new MemoryObjectStore();
  const manifest = await preprocessCsv({
    source: csvSource(CSV),
    file: 'd.csv',
    dataset: 'd',
    store,
    shardRows: 2,
  });
  const { deps, registry, events } = pipelineDeps(store, AT);
  await savePipeline(deps, p);
  const register = (artifact: ModelArtifact) => registerModel(registry, manifest.version, artifact);
  const job = (jobId: string, artifact: ModelArtifact, inPipeline = true) =>
    ({
      spec: { jobId, pipeline: inPipeline ? 'p' : undefined },
      ctx: { manifest },
      artifact,
    }) as unknown as FinishedJob;
  return { store, registry, events, deps, register, job };
}

describe('Function: onPipelineJobFinished', () => {
  it('does nothing for a job outside a pipeline', async () => {
    const { deps, register, job, events } = await setup();
    const v = await register(linear(1, 2));
    expect(await onPipelineJobFinished(deps, job('j', linear(1, 2), false), v)).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('promotes the first model, records the decision and publishes it', async () => {
    const { deps, register, job, events, registry, store } = await setup();
    const v = await register(linear(1, 2));
    const record = await onPipelineJobFinished(deps, job('j1', linear(1, 2)), v);
    expect(record).toMatchObject({
      v: 1,
      kind: 'gate',
      pipeline: 'p',
      at: AT.toISOString(),
      jobId: 'j1',
      challenger: 1,
      champion: null,
      promote: true,
      metric: 'rmse',
      championMetrics: null,
    });
    expect(record?.kind === 'gate' && record.challengerMetrics.rmse).toBeCloseTo(
      holdout(linear(1, 2)).rmse,
      6,
    );
    expect(await registry.getAliases('m')).toEqual({ champion: 1, challenger: 1 });
    expect(
      JSON.parse(new TextDecoder().decode((await store.get(keys.pipeline.run('p', 'j1')))!.body)),
    ).toEqual(record);
    expect(events).toEqual([{ type: 'PromotionDecided', time: AT.toISOString(), detail: { ...record } }]);
    const history = await registry.history('m', { alias: 'champion' });
    expect(history.map((h) => h.reason)).toEqual([`pipeline p: ${record!.reason}`]);
    expect((await registry.history('m', { alias: 'challenger' })).map((h) => h.reason)).toEqual([
      'pipeline p job j1',
    ]);
  });

  it('keeps a better champion, scoring both on the same held-out rows', async () => {
    const { deps, register, job, registry } = await setup();
    const champion = linear(1, 2);
    const worse = linear(4, 1);
    await registry.setAlias('m', 'champion', (await register(champion)).version, { reason: 'seed' });
    const v = await register(worse);
    const record = await onPipelineJobFinished(deps, job('j2', worse), v);
    expect(record).toMatchObject({ challenger: 2, champion: 1, promote: false, metric: 'rmse' });
    if (record?.kind !== 'gate') throw new Error('no gate');
    expect(record.challengerMetrics.rmse).toBeCloseTo(holdout(worse).rmse, 6);
    expect(record.championMetrics!.rmse).toBeCloseTo(holdout(champion).rmse, 6);
    expect(holdout(worse).rmse).toBeGreaterThan(holdout(champion).rmse);
    expect(await registry.getAliases('m')).toEqual({ champion: 1, challenger: 2 });
  });

  it('reads a named gate metric the right way up (r2: higher is better)', async () => {
    const { deps, register, job, registry } = await setup(
      pipeline({ gate: { metric: 'r2', margin: 0, mode: 'absolute' } }),
    );
    const champion = linear(4, 1);
    const better = linear(1, 2);
    await registry.setAlias('m', 'champion', (await register(champion)).version, { reason: 'seed' });
    const record = await onPipelineJobFinished(deps, job('j3', better), await register(better));
    expect(holdout(better).r2).toBeGreaterThan(holdout(champion).r2);
    expect(record).toMatchObject({ metric: 'r2', promote: true, champion: 1, challenger: 2 });
    expect(record?.reason).toMatch(/higher is better/);
    expect(await registry.getAlias('m', 'champion')).toBe(2);
  });

  it('reads mse lower-is-better, and a margin it does not reach keeps the champion', async () => {
    const { deps, register, job, registry } = await setup(
      pipeline({ gate: { metric: 'mse', margin: 1e6, mode: 'absolute' } }),
    );
    await registry.setAlias('m', 'champion', (await register(linear(4, 1))).version, { reason: 'seed' });
    const record = await onPipelineJobFinished(deps, job('j4', linear(1, 2)), await register(linear(1, 2)));
    expect(record).toMatchObject({ metric: 'mse', promote: false });
    expect(record?.reason).toMatch(/lower is better/);
    expect(await registry.getAlias('m', 'champion')).toBe(1);
  });

  it('answers the recorded decision again without a second move or event', async () => {
    const { deps, register, job, events, registry } = await setup();
    const v = await register(linear(1, 2));
    const first = await onPipelineJobFinished(deps, job('j1', linear(1, 2)), v);
    const again = await onPipelineJobFinished(deps, job('j1', linear(1, 2)), v);
    expect(again).toEqual(first);
    expect(events).toHaveLength(1);
    expect(await registry.history('m', { alias: 'challenger' })).toHaveLength(1);
  });

  it('after a crash between the alias move and the record: compares with the previous champion, promotes once', async () => {
    const { deps, register, job, registry } = await setup();
    await registry.setAlias('m', 'champion', (await register(linear(4, 1))).version, { reason: 'seed' });
    const v = await register(linear(1, 2));
    // The crashed run had moved champion to 2 already.
    await registry.setAlias('m', 'champion', 2, { reason: 'crashed run', expectedVersion: 1 });
    const record = await onPipelineJobFinished(deps, job('j5', linear(1, 2)), v);
    expect(record).toMatchObject({ challenger: 2, champion: 1, promote: true });
    if (record?.kind !== 'gate') throw new Error('no gate');
    expect(record.championMetrics!.rmse).toBeCloseTo(holdout(linear(4, 1)).rmse, 6);
    expect((await registry.history('m', { alias: 'champion' })).map((h) => h.to)).toEqual([1, 2]);
  });
});
