import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTemp, runCli, tempDir } from '../support/cli.js';
import { FUZZ_RUNS, fuzz } from './fuzz-support.js';

/**
 * The CLI's argument parser and entry validation on generated argument lists, against one empty
 * home: every run exits 0 or with one line (exit 2, or 1 for the environment), never
 * "unexpected error" and never a stack trace. Files offered are missing, a folder or a gzip
 * file, so no generated command gets as far as training (the per-case budget would catch it).
 */
describe('Fuzz: CLI arguments', () => {
  const dir = tempDir('shardtrain-fuzz-');
  const home = join(dir, 'home');
  const values = [
    join(dir, 'missing.csv'),
    join(dir, 'folder'),
    join(dir, 'data.csv.gz'),
    join(dir, 'no', 'out.csv'),
  ];
  beforeAll(() => {
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'data.csv.gz'), gzipSync(Buffer.from('x,y\n1,2\n')));
  });
  afterAll(() => removeTemp(dir));

  const commands = [
    ['upload'],
    ['train'],
    ['resume'],
    ['evaluate'],
    ['predict'],
    ['models', 'list'],
    ['models', 'show'],
    ['models', 'history'],
    ['models', 'promote'],
    ['models', 'rollback'],
    ['pipelines', 'create'],
    ['pipelines', 'list'],
    ['pipelines', 'show'],
    ['pipelines', 'run'],
    ['status'],
    ['datasets'],
    ['jobs'],
    ['plan'],
    ['dlq'],
    ['dlq', 'redrive'],
    ['nosuch'],
  ];
  // Left out: `demo` trains. (`pipelines list|show|run` and `status` check their names and
  // the store before starting the local cloud, so in this empty home none starts it.)
  const flags = [
    '--dataset',
    '--data',
    '--target',
    '--model',
    '--algorithm',
    '--batch-size',
    '--lr',
    '--optimizer',
    '--schedule',
    '--decay-steps',
    '--decay-rate',
    '--epochs',
    '--tol',
    '--l2',
    '--workers',
    '--seed',
    '--runner',
    '--sync',
    '--local-steps',
    '--features',
    '--pca',
    '--holdout',
    '--name',
    '--json',
    '--out',
    '--alias',
    '--at',
    '--reason',
    '--model-name',
    '--metric',
    '--margin',
    '--margin-mode',
    '--drift-threshold',
    '--classes',
    '--rounds',
    '--deadline',
    '--max-workers',
    '--queue',
    '--force',
    '--help',
    '-h',
    '--',
  ];
  const value = () =>
    fc.oneof(
      fc.constantFrom(
        'linear',
        'logistic',
        'softmax',
        'batch',
        'adam',
        'x',
        'y',
        'x,x',
        'y,x',
        '__proto__',
        'champion',
        'm@1',
        'm@champion',
        '../evil',
        'a/b',
        '',
        ' ',
        '0',
        '1',
        '-1',
        '1e308',
        '1e20',
        '1025',
        'NaN',
        '0x10',
        '2026-01-01T00:00:00Z',
        'not-a-date',
        '/etc/passwd',
        '/',
      ),
      fc.constantFrom(...values),
      fc.string({ maxLength: 20 }),
      fc.double().map(String),
    );
  const argv = fc
    .tuple(
      fc.constantFrom(...commands),
      fc.array(fc.oneof(fc.constantFrom(...flags), value()), { maxLength: 10 }),
    )
    .map(([cmd, rest]) => [...cmd, ...rest].filter((a) => a !== 'demo'));

  it(`parses or refuses ${FUZZ_RUNS} generated argument lists with one line`, async () => {
    const report = await fuzz(
      'cli-args',
      argv,
      async (args) => {
        const res = await runCli(['--home', home, ...args]);
        const all = [...res.err, ...res.out].join('\n');
        expect(all).not.toMatch(/unexpected error/);
        expect(all).not.toMatch(/^\s+at\s/m);
        expect([0, 1, 2]).toContain(res.code);
        const errors = res.err.filter((l) => l.startsWith('shardtrain:'));
        if (res.code !== 0) {
          expect(errors).toHaveLength(1);
          expect(errors[0]!.length).toBeLessThanOrEqual(312);
        }
      },
      FUZZ_RUNS,
      30_000,
    );
    expect(report.failures).toBe(0);
  }, 3_600_000);
});
