import { beforeEach, describe, expect, it } from 'vitest';
import { readDocument, requireDocument } from '../../../lib/documents.js';
import { keys } from '../../../lib/engine/keys.js';
import { jobPlanDocument, readJobSpec } from '../../../lib/engine/training/job-store.js';
import { NotFoundError, ProtocolError, SchemaError } from '../../../lib/errors.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

describe('Feature: one validating reader for stored documents', () => {
  let store: MemoryObjectStore;
  beforeEach(() => {
    store = new MemoryObjectStore();
  });

  it('names the key and the field path of the first problem', async () => {
    // Arrange: a plan whose second partition has a string where a row count belongs
    const plan = {
      v: 1,
      jobId: 'j-1',
      manifestKey: 'm',
      config: {},
      transform: {},
      target: { kind: 'regression', mean: 0, std: 1 },
      partitions: [
        { start: 0, end: 5, rows: 5 },
        { start: 5, end: 9, rows: 'four' },
      ],
    };
    await store.put(keys.job.plan('j-1'), JSON.stringify(plan));

    // Act
    const error = await readDocument(store, keys.job.plan('j-1'), jobPlanDocument).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SchemaError);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as SchemaError).subject).toBe('jobs/j-1/plan.json');
    expect((error as SchemaError).path).toBe('partitions.1.rows');
    expect((error as Error).message).toMatch(/^jobs\/j-1\/plan\.json: partitions\.1\.rows: /);
  });

  it('reports bytes that are not JSON with the key and no path', async () => {
    await store.put(keys.job.plan('j-2'), '{"v": 1,');

    const error = await readDocument(store, keys.job.plan('j-2'), jobPlanDocument).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).path).toBe(''); // no field: the bytes themselves
    expect((error as Error).message).toBe('jobs/j-2/plan.json: not valid JSON');
  });

  it('returns a document of a declared type exactly as stored (no field dropped or reordered)', async () => {
    const plan = {
      extra: [1, 2],
      v: 1,
      jobId: 'j-3',
      manifestKey: 'm',
      config: { a: 1 },
      transform: {},
      target: { kind: 'classification', classValues: [0, 1], classLabels: ['a', 'b'] },
      partitions: [],
    };
    await store.put(keys.job.plan('j-3'), JSON.stringify(plan));

    const read = await readDocument(store, keys.job.plan('j-3'), jobPlanDocument);

    expect(JSON.stringify(read)).toBe(JSON.stringify(plan));
  });

  it('is undefined for an absent key, and the caller’s error when it must exist', async () => {
    expect(await readDocument(store, 'nothing.json', jobPlanDocument)).toBeUndefined();
    await expect(
      requireDocument(store, 'nothing.json', jobPlanDocument, () => new NotFoundError('gone')),
    ).rejects.toThrow(NotFoundError);
    await expect(readJobSpec(store, 'j-9')).rejects.toThrow('no job "j-9" (see: shardtrain jobs)');
  });
});
