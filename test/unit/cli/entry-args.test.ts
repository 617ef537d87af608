import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertJobId, assertPipelineName } from '../../../cli/commands/entry-args.js';
import { UsageError } from '../../../lib/errors.js';
import { removeTemp, runCli, tempDir } from '../../support/cli.js';

describe('Function: assertPipelineName / assertJobId', () => {
  it('accepts the names a stored pipeline or job can have', () => {
    expect(assertPipelineName('nightly')).toBe('nightly');
    expect(assertPipelineName(`a${'b'.repeat(63)}`)).toHaveLength(64);
    expect(assertPipelineName('A.b_c-1')).toBe('A.b_c-1');
    expect(assertJobId('abc')).toBe('abc');
    expect(assertJobId('job-2026-1')).toBe('job-2026-1');
  });

  it.each(['', '../evil', 'a/b', '.hidden', 'a b', 'données', `a${'b'.repeat(64)}`])(
    'refuses pipeline name %j with one line',
    (name) => {
      expect(() => assertPipelineName(name)).toThrow(UsageError);
      expect(() => assertPipelineName(name)).toThrow(/^pipeline name .* is not valid/);
    },
  );

  it.each(['', 'ab', 'Abc', 'a_b', '../x', '-abc', `a${'b'.repeat(81)}`])('refuses job id %j', (id) => {
    expect(() => assertJobId(id)).toThrow(UsageError);
    expect(() => assertJobId(id)).toThrow(/^job id .* is not valid/);
  });
});

/**
 * `pipelines show|run <name>`, `pipelines list` and `status <jobId>` answer bad and missing
 * names from the arguments and the store alone: exit 2, one line, the home not created for a bad
 * name and the local cloud (its queue database) never started.
 */
describe('CLI: pipelines and status refuse before starting the local cloud', () => {
  const dir = tempDir('shardtrain-entry-');
  afterAll(() => removeTemp(dir));

  it.each([
    [['pipelines', 'show', '../x'], /pipeline name "\.\.\/x" is not valid/],
    [['pipelines', 'run', 'a/b'], /pipeline name "a\/b" is not valid/],
    [['pipelines', 'run', ''], /pipeline name "" is not valid/],
    [['status', '../x'], /job id "\.\.\/x" is not valid/],
    [['status', 'Abc_1'], /job id "Abc_1" is not valid/],
  ])('%j: exit 2, one line, nothing created', async (args, message) => {
    const home = join(dir, `bad-${readdirSync(dir).length}`);
    const res = await runCli(['--home', home, ...args]);
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(message);
    expect(existsSync(home)).toBe(false);
  });

  it.each([
    [['pipelines', 'show', 'nope'], /no pipeline "nope"/],
    [['pipelines', 'run', 'nope'], /no pipeline "nope"/],
    [['status', 'no-such-job'], /no job "no-such-job"/],
  ])('%j on an empty home: exit 2 "not found" without the local cloud', async (args, message) => {
    const home = join(dir, `missing-${readdirSync(dir).length}`);
    const res = await runCli(['--home', home, ...args]);
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(message);
    expect(existsSync(join(home, 'queues.db'))).toBe(false);
  });

  it('lists no pipelines of an empty home without the local cloud', async () => {
    const home = join(dir, 'empty-list');
    const res = await runCli(['--home', home, 'pipelines', 'list', '--json']);
    expect(res.code).toBe(0);
    expect(res.json()).toEqual([]);
    expect(existsSync(join(home, 'queues.db'))).toBe(false);
  });
});

describe('CLI: pipelines create checks the definition before starting the local cloud', () => {
  const dir = tempDir('shardtrain-entry-create-');
  afterAll(() => removeTemp(dir));

  it('refuses an invalid pipeline name with exit 2 and no queue database', async () => {
    const home = join(dir, 'home');
    const res = await runCli([
      '--home',
      home,
      'pipelines',
      'create',
      '../evil',
      '--dataset',
      'd',
      '--target',
      'y',
      '--model',
      'linear',
      '--schedule',
      'rate(1 day)',
    ]);
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(/^shardtrain: pipeline: name: /);
    expect(existsSync(join(home, 'queues.db'))).toBe(false);
  });
});
