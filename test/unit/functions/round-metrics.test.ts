import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordRound } from '../../../functions/shared/round-metrics.js';
import { keys } from '../../../lib/engine/keys.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

/** The EMF lines written to stdout during `run` (Powertools writes one JSON line per publish). */
async function emfLines(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const record = (round: number, roundMs: number | null) => ({
  jobId: 'j1',
  round,
  epoch: 0,
  loss: 0.25,
  gradNorm: 1.5,
  lr: 0.1,
  epochLoss: null,
  stop: null,
  roundMs,
  at: '2026-12-02T00:00:00.000Z',
  atMs: 0,
});

describe('Function: recordRound (CloudWatch EMF of a round record)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes loss, gradient norm, learning rate and round time under the namespace', async () => {
    const store = new MemoryObjectStore();
    await store.put(keys.job.metrics('j1', 3), JSON.stringify(record(3, 42)));
    const out = await emfLines(() => recordRound(store, 'j1', 3, 'ns-a'));
    expect(out).toHaveLength(1);
    const emf = out[0]!;
    expect(emf).toMatchObject({ Loss: 0.25, GradientNorm: 1.5, LearningRate: 0.1, RoundTime: 42 });
    expect(emf.jobId).toBe('j1');
    expect(emf.service).toBe('shardtrain');
    expect(emf.round).toBe('3');
    const directive = (
      emf._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] }
    ).CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('ns-a');
    expect(Object.fromEntries(directive.Metrics.map((m) => [m.Name, m.Unit]))).toEqual({
      Loss: 'None',
      GradientNorm: 'None',
      LearningRate: 'None',
      RoundTime: 'Milliseconds',
    });
  });

  it('leaves RoundTime out when the round time is unknown, and publishes each namespace under its own name', async () => {
    const store = new MemoryObjectStore();
    await store.put(keys.job.metrics('j1', 0), JSON.stringify(record(0, null)));
    const first = await emfLines(() => recordRound(store, 'j1', 0, 'ns-b'));
    const second = await emfLines(() => recordRound(store, 'j1', 0, 'ns-c'));
    for (const [out, ns] of [
      [first, 'ns-b'],
      [second, 'ns-c'],
    ] as const) {
      expect(out).toHaveLength(1);
      expect(out[0]).not.toHaveProperty('RoundTime');
      const directive = (out[0]!._aws as { CloudWatchMetrics: { Namespace: string }[] })
        .CloudWatchMetrics[0]!;
      expect(directive.Namespace).toBe(ns);
    }
  });

  it('publishes nothing without a namespace (locally) or without a stored record', async () => {
    const store = new MemoryObjectStore();
    await store.put(keys.job.metrics('j1', 1), JSON.stringify(record(1, 5)));
    expect(await emfLines(() => recordRound(store, 'j1', 1, undefined))).toEqual([]);
    expect(await emfLines(() => recordRound(store, 'j1', 2, 'ns-a'))).toEqual([]);
  });
});
