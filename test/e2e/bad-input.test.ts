import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedExample, toCsv } from '../../lib/examples/generators.js';
import {
  type CliResult,
  ensureBuilt,
  removeTemp,
  runCli,
  spawnCli,
  tempDir,
  writeCsv,
} from '../support/cli.js';

/** A stack frame line as V8 prints it. */
const STACK_FRAME = /^\s+at\s/m;

/** The CLI contract for bad input: exit 2, exactly one line on stderr naming the problem, no stack. */
function expectOneLineError(res: CliResult, ...mustMention: (string | RegExp)[]): string {
  expect(res.code).toBe(2);
  const errors = res.err.filter((l) => l.startsWith('shardtrain:'));
  expect(errors).toHaveLength(1);
  const line = errors[0]!;
  expect(line).not.toContain('\n');
  expect(res.err.join('\n')).not.toMatch(STACK_FRAME);
  expect(res.out.join('\n')).not.toMatch(STACK_FRAME);
  for (const m of mustMention) expect(line).toMatch(m);
  return line;
}

describe('Command: train', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterEach(() => removeTemp(dir));

  const train = (file: string, ...extra: string[]) =>
    runCli([
      '--home',
      home,
      'train',
      '--data',
      file,
      '--target',
      'y',
      '--model',
      'linear',
      '--runner',
      'inprocess',
      ...extra,
    ]);

  describe('Method: bad data', () => {
    it('names file and line for a ragged row', async () => {
      // Prepare: line 1 is the header, line 3 has one cell where the header has two.
      const file = writeCsv(dir, 'ragged.csv', 'x,y\n1,2\n3\n4,5\n');

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'ragged.csv', /line 3\b/);
    });

    it('names file, line and column for a non-numeric cell', async () => {
      // Prepare: line 4, column y holds "abc".
      const file = writeCsv(dir, 'nonnum.csv', 'x,y\n1,2\n2,4\n3,abc\n');

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'nonnum.csv', /line 4\b/, /"?y"?/, /abc/);
    });

    it.each([
      ['NaN', 'x,y\n1,2\nNaN,4\n', 'x'],
      ['Infinity', 'x,y\n1,2\n2,Infinity\n', 'y'],
      ['-Inf', 'x,y\n1,2\n2,-Inf\n', 'y'],
    ])('rejects a %s cell, naming file, line and column', async (_name, csv, column) => {
      // Prepare: the bad cell is on line 3 in every file.
      const file = writeCsv(dir, 'nonfinite.csv', csv);

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'nonfinite.csv', /line 3\b/, new RegExp(`column "?${column}"?`));
    });

    it('rejects an empty file', async () => {
      // Prepare
      const file = writeCsv(dir, 'empty.csv', '');

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'empty.csv', /empty/);
    });

    it('rejects a file with a header and no rows', async () => {
      // Prepare
      const file = writeCsv(dir, 'header.csv', 'x,y\n');

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'header.csv', /no data rows|header only/);
    });

    it('lists the available columns when the target is missing', async () => {
      // Prepare
      const file = writeCsv(dir, 'seed.csv', seedExample());

      // Act
      const res = await runCli([
        '--home',
        home,
        'train',
        '--data',
        file,
        '--target',
        'price',
        '--model',
        'linear',
        '--runner',
        'inprocess',
      ]);

      // Assess
      expectOneLineError(res, 'price', /"x"/, /"y"/);
    });

    it('rejects duplicate column names', async () => {
      // Prepare
      const file = writeCsv(dir, 'dup.csv', 'x,x,y\n1,2,3\n');

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'dup.csv', /duplicate/, /"?x"?/);
    });

    it('rejects a class column with one class for logistic regression', async () => {
      // Prepare
      const file = writeCsv(dir, 'oneclass.csv', 'f,label\n1,a\n2,a\n3,a\n');

      // Act
      const res = await runCli([
        '--home',
        home,
        'train',
        '--data',
        file,
        '--target',
        'label',
        '--model',
        'logistic',
        '--runner',
        'inprocess',
      ]);

      // Assess
      expectOneLineError(res, 'oneclass.csv', /one class/, /label/);
    });

    it('rejects a missing file', async () => {
      // Prepare
      const file = join(dir, 'nope.csv');

      // Act
      const res = await train(file);

      // Assess
      expectOneLineError(res, 'nope.csv', /no such file/);
    });
  });

  describe('Method: bad arguments', () => {
    it('rejects an unknown --model value, listing the choices', async () => {
      // Prepare
      const file = writeCsv(dir, 'seed.csv', seedExample());

      // Act
      const res = await runCli([
        '--home',
        home,
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'quadratic',
      ]);

      // Assess
      expectOneLineError(res, /--model/, /quadratic/, /linear/);
    });

    it('rejects --lr -1', async () => {
      // Prepare
      const file = writeCsv(dir, 'seed.csv', seedExample());

      // Act
      const res = await train(file, '--lr', '-1');

      // Assess
      expectOneLineError(res, /--lr/, /-1/);
    });
  });
});

describe('Command: upload', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Method: a rejected upload', () => {
    it('changes nothing already stored: v1 stays ready, the bad file is failed, training uses v1', async () => {
      // Prepare: the good and the bad file share a name, so they land on the same upload key.
      const home = join(dir, 'home');
      mkdirSync(join(dir, 'good'));
      mkdirSync(join(dir, 'bad'));
      const good = writeCsv(join(dir, 'good'), 'data.csv', seedExample());
      const bad = writeCsv(join(dir, 'bad'), 'data.csv', 'x,y\n1,2\n3\n');
      const v1 = await runCli(['--home', home, 'upload', good, '--dataset', 'houses', '--json']);
      const v1Record = v1.json<{ state: string; version: string }>();

      // Act
      const rejected = await runCli(['--home', home, 'upload', bad, '--dataset', 'houses', '--json']);
      const listed = await runCli(['--home', home, 'datasets', '--json']);
      const trained = await runCli([
        '--home',
        home,
        'train',
        '--dataset',
        'houses',
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
        '--json',
      ]);

      // Assess
      expect(v1.code).toBe(0);
      expect(v1Record.state).toBe('ready');
      const line = expectOneLineError(rejected, 'data.csv', /line 3\b/);
      // Through the default local runner the handler's log must not add lines to the CLI's stderr.
      expect(rejected.err).toEqual([line]);
      const uploads = listed.json<{ state: string; version?: string; error?: string }[]>();
      expect(uploads).toHaveLength(2);
      expect(uploads.filter((u) => u.state === 'ready')).toEqual([
        expect.objectContaining({ version: v1Record.version }),
      ]);
      const failed = uploads.filter((u) => u.state === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.error).toMatch(/data\.csv line 3/);
      expect(trained.code).toBe(0);
      const jobs = (await runCli(['--home', home, 'jobs', '--json'])).json<{ dataset: string }[]>();
      expect(jobs).toEqual([expect.objectContaining({ dataset: `houses@${v1Record.version}` })]);
    });
  });
});

describe('Process: bin/shardtrain.js', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 180_000);
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeTemp(dir));

  describe('Method: bad input', () => {
    it.each([
      ['auto, the default: parsed in this process', []],
      ['the local cloud: the preprocess handler refuses it', ['--placement', 'lambda']],
    ])('exits 2 with one stderr line and no stack trace (%s)', async (_where, placement) => {
      // Prepare
      const file = writeCsv(dir, 'ragged.csv', 'x,y\n1,2\n3\n');

      // Act
      const { code, stdout, stderr } = await spawnCli([
        '--home',
        join(dir, 'home'),
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        ...placement,
      ]).done;

      // Assess
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^shardtrain: .*ragged\.csv line 3/);
    });

    it('exits 2 for a bad argument value', async () => {
      // Prepare
      const file = writeCsv(dir, 'seed.csv', toCsv(seedExample()));

      // Act
      const { code, stderr } = await spawnCli([
        '--home',
        join(dir, 'home'),
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--lr',
        '-1',
      ]).done;

      // Assess
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/--lr/);
    });

    it('adds the stack trace with --debug', async () => {
      // Prepare
      const file = writeCsv(dir, 'ragged.csv', 'x,y\n1,2\n3\n');

      // Act
      const { code, stderr } = await spawnCli([
        '--home',
        join(dir, 'home'),
        '--debug',
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
      ]).done;

      // Assess
      expect(code).toBe(2);
      expect(stderr).toMatch(/^shardtrain: .*ragged\.csv line 3/);
      expect(stderr).toMatch(STACK_FRAME);
    });
  });
});
