import { describe, expect, it } from 'vitest';
import { ingestUpload } from '../../../lib/engine/datasets/uploads.js';
import { keys } from '../../../lib/engine/keys.js';
import {
  driftRecordSchema,
  listPipelines,
  loadPipeline,
  type Pipeline,
  type PipelineDeps,
  pipelineDecisionSchema,
  pipelineRuns,
  pipelineSchema,
  runPipeline,
  savePipeline,
} from '../../../lib/engine/pipelines/index.js';
import { nowIso } from '../../../lib/engine/pipelines/schema.js';
import { NotFoundError } from '../../../lib/errors.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';
import { pipelineDeps, seedChampion, testPipeline } from '../../support/pipeline-fixtures.js';

const AT = new Date('2026-12-02T12:34:56.789Z');

const pipeline = (over: Partial<Pipeline> = {}) => testPipeline(AT, { workers: 2, ...over });

async function setup(p: Pipeline = pipeline()) {
  const store = new MemoryObjectStore();
  const { deps, registry, events, outbox } = pipelineDeps(store, AT);
  await savePipeline(deps, p);
  await store.put(
    'datasets/d/f.csv',
    `x,y\n${Array.from({ length: 40 }, (_, i) => `${i},${2 * i + 1}`).join('\n')}\n`,
  );
  const r = await ingestUpload(store, 'datasets/d/f.csv');
  if (r.state !== 'ready') throw new Error('not ready');
  const champion = (datasetVersion: string) => seedChampion(registry, datasetVersion, { features: ['x'] });
  return { store, deps, events, outbox, version: r.version, champion };
}

describe('Function: runPipeline', () => {
  it('skips the newest version when the champion was trained on it, recording why and what asked', async () => {
    const { store, deps, version, champion, events, outbox } = await setup();
    await champion(version);
    const reason = `data unchanged: champion m@1 was trained on d@${version}, the newest version`;
    expect(await runPipeline(deps, 'p', { reason: 'schedule' })).toEqual({ kind: 'skipped', reason });
    const at = AT.toISOString();
    const stored = await store.get(keys.pipeline.skip('p', at));
    expect(JSON.parse(new TextDecoder().decode(stored!.body))).toEqual({
      v: 1,
      kind: 'skipped',
      pipeline: 'p',
      at,
      reason,
      trigger: 'schedule',
    });
    expect(events).toEqual([]);
    expect(outbox.work).toEqual([]);
    // without a reason, no trigger
    await runPipeline(deps, 'p');
    expect((await pipelineRuns(deps, 'p')).map((d) => d.kind === 'skipped' && d.trigger)).toEqual([
      undefined,
    ]);
  });

  it('starts a job on the newest version when forced, or when the champion saw other data', async () => {
    for (const [force, championOn] of [
      [true, 'same'],
      [false, 'other'],
    ] as const) {
      const { deps, version, champion, events, outbox } = await setup(pipeline({ placement: 'lambda' }));
      await champion(championOn === 'same' ? version : 'an-older-version');
      const run = await runPipeline(deps, 'p', { force, reason: 'drift' });
      expect(run.kind).toBe('started');
      if (run.kind !== 'started') return;
      expect(run.jobId).toMatch(/^p-/);
      expect(run.placement).toMatchObject({ requested: 'lambda', placement: 'lambda' });
      expect(run).not.toHaveProperty('launchId');
      expect(events).toEqual([
        {
          type: 'PipelineRunStarted',
          time: AT.toISOString(),
          detail: { pipeline: 'p', jobId: run.jobId, dataset: 'd', version, trigger: 'drift' },
        },
      ]);
      // the job fanned out on the queues: one work message per worker
      expect(outbox.work.map((w) => w.jobId)).toEqual([run.jobId, run.jobId]);
    }
  });

  it('starts the first job without a trigger when none is given', async () => {
    const { deps, events } = await setup();
    const run = await runPipeline(deps, 'p');
    expect(run.kind).toBe('started');
    expect(events[0]!.detail).not.toHaveProperty('trigger');
  });
});

describe('Pipeline store', () => {
  it('lists definitions only, and runs oldest first', async () => {
    const { store, deps } = await setup();
    await savePipeline(deps, pipeline({ name: 'q' }));
    await store.put(keys.pipeline.drift('p', 'v1'), '{}');
    expect((await listPipelines(deps)).map((p) => p.name)).toEqual(['p', 'q']);
    const run = (jobId: string, at: string) =>
      store.put(
        keys.pipeline.run('p', jobId),
        JSON.stringify({ v: 1, kind: 'skipped', pipeline: 'p', at, reason: jobId }),
      );
    await run('a', '2026-12-03T00:00:00.000Z');
    await run('b', '2026-12-01T00:00:00.000Z');
    await run('c', '2026-12-02T00:00:00.000Z');
    expect((await pipelineRuns(deps, 'p')).map((d) => d.reason)).toEqual(['b', 'c', 'a']);
  });

  it('names a missing pipeline, and refuses to save an invalid one', async () => {
    const { deps } = await setup();
    await expect(loadPipeline(deps, 'nope')).rejects.toThrow(
      new NotFoundError('no pipeline "nope" (see: shardtrain pipelines list)'),
    );
    await expect(savePipeline(deps, pipeline({ name: '-bad' }))).rejects.toThrow();
    expect((await listPipelines(deps)).map((p) => p.name)).toEqual(['p']);
  });
});

describe('Schema: pipelineSchema', () => {
  const minimal = {
    v: 1,
    name: 'p',
    dataset: 'd',
    target: 'y',
    model: 'linear',
    modelName: 'p',
    schedule: 'cron(0 3 * * ? *)',
    createdAt: 'now',
  };

  it('fills the defaults', () => {
    expect(pipelineSchema.parse(minimal)).toEqual({
      ...minimal,
      options: {},
      workers: 1,
      holdoutFraction: 0.2,
      gate: { margin: 0, mode: 'absolute' },
      trainOnUpload: false,
      retrainOnDrift: false,
      driftThreshold: 0.2,
    });
    expect(pipelineSchema.parse({ ...minimal, gate: {} }).gate).toEqual({ margin: 0, mode: 'absolute' });
  });

  it.each([
    ['a name starting with a dot', { name: '.p' }],
    ['a name of 65 characters', { name: 'p'.repeat(65) }],
    ['a name with a slash', { name: 'a/b' }],
    ['a schedule that is neither cron nor rate', { schedule: 'every day' }],
    ['a schedule with text after it', { schedule: 'rate(1 day) now' }],
    ['an empty rate', { schedule: 'rate()' }],
    ['holdout below 5 %', { holdoutFraction: 0.04 }],
    ['holdout above 50 %', { holdoutFraction: 0.51 }],
    ['no workers', { workers: 0 }],
    ['a negative margin', { gate: { margin: -0.1 } }],
    ['a zero drift threshold', { driftThreshold: 0 }],
  ])('refuses %s', (_what, over) => {
    expect(pipelineSchema.safeParse({ ...minimal, ...over }).success).toBe(false);
  });

  it('accepts the bounds', () => {
    for (const over of [
      { name: `a${'b'.repeat(63)}` },
      { name: 'A0._-' },
      { schedule: 'rate(1 day)' },
      { holdoutFraction: 0.05 },
      { holdoutFraction: 0.5 },
      { gate: { margin: 0, mode: 'relative' } },
    ])
      expect(pipelineSchema.safeParse({ ...minimal, ...over }).success).toBe(true);
  });

  it('reads decisions whose metrics were not finite (stored as null), and drift records', () => {
    const gate = {
      v: 1,
      kind: 'gate',
      pipeline: 'p',
      at: 'a',
      jobId: 'j',
      challenger: 2,
      champion: null,
      promote: false,
      reason: 'r',
      metric: 'rmse',
      challengerMetrics: { rmse: null },
      championMetrics: null,
    };
    expect(pipelineDecisionSchema.safeParse(gate).success).toBe(true);
    expect(pipelineDecisionSchema.safeParse({ ...gate, challenger: 1.5 }).success).toBe(false);
    expect(
      driftRecordSchema.safeParse({ v: 1, pipeline: 'p', dataset: 'd', version: 'v', at: 'a', extra: 1 })
        .success,
    ).toBe(true);
    expect(
      driftRecordSchema.safeParse({ v: 1, pipeline: 'p', dataset: 'd', version: 'v', at: 'a', report: {} })
        .success,
    ).toBe(false);
  });

  it('nowIso reads the deps’ clock', () => {
    expect(nowIso({ now: () => AT } as PipelineDeps)).toBe(AT.toISOString());
    expect(nowIso({} as PipelineDeps)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
