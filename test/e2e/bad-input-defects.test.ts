import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openHome } from '../../cli/home.js';
import {
  type CliResult,
  ensureBuilt,
  removeTemp,
  runCli,
  spawnCli,
  tempDir,
  writeCsv,
} from '../support/cli.js';
import { readJson } from '../support/stored-json.js';

/**
 * The defects of issue 11, each reproduced through the CLI on a fresh home: every bad input
 * ends with exit 2 and one line (at most 300 characters) before any upload, job or version
 * exists, and nothing non-finite is registered.
 */

const STACK_FRAME = /^\s+at\s/m;

function expectOneLineError(res: CliResult, ...mustMention: (string | RegExp)[]): string {
  expect(res.code, res.err.join('\n')).toBe(2);
  const errors = res.err.filter((l) => l.startsWith('shardtrain:'));
  expect(errors).toHaveLength(1);
  const line = errors[0]!;
  expect(line).not.toContain('\n');
  expect(line.length).toBeLessThanOrEqual(300 + 'shardtrain: '.length);
  expect(line).not.toMatch(/unexpected error/);
  expect(res.err.join('\n')).not.toMatch(STACK_FRAME);
  for (const m of mustMention) expect(line).toMatch(m);
  return line;
}

/** y = 2x + 1 on x = 1..n: enough rows for a fit, exact enough to check slopes. */
function lineCsv(n = 40, header = 'x,y'): string {
  const rows = [header];
  for (let i = 1; i <= n; i++) rows.push(`${i},${2 * i + 1}`);
  return `${rows.join('\n')}\n`;
}

describe('Issue 11: bad input ends fast with one line', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterEach(() => removeTemp(dir));

  const cli = (...argv: string[]) => runCli(['--home', home, ...argv]);
  const storeKeys = async (prefix: string) => (await openHome(home).store.list(prefix)).map((i) => i.key);

  describe('Defect 1: uploads that never ended', () => {
    it.each([
      ['a binary file', 'bin.csv', Buffer.from([0x00, 0x01, 0x02, 0xff, 0x10, 0x00, 0x7f]), /binary|NUL/],
      ['a gzip file', 'data.csv.gz', gzipSync(Buffer.from(lineCsv())), /gzip/],
      ['a latin-1 header', 'latin.csv', Buffer.from('caf\xe9,y\n1,2\n2,3\n', 'latin1'), /UTF-8/],
      ['a semicolon-delimited file', 'semi.csv', Buffer.from('x;y\n1;2\n2;3\n'), /semicolons/],
    ])('refuses %s by name before uploading it', async (_what, name, bytes, reason) => {
      // Prepare
      const file = join(dir, name);
      writeFileSync(file, bytes);

      // Act
      const res = await cli('upload', file, '--dataset', 'd');

      // Assess: refused, and nothing was written under datasets/ or processed/.
      expectOneLineError(res, name, reason);
      expect(await storeKeys('datasets/')).toEqual([]);
    });

    it('fails a CSV with a 1e308 cell with the line and column, and keeps no raw object', async () => {
      // Prepare: 1e308 is a finite double but not a float32 (shards are float32).
      const file = writeCsv(dir, 'huge.csv', 'x,y\n1,2\n1e308,3\n2,5\n');

      // Act
      const res = await cli('upload', file, '--dataset', 'huge');

      // Assess
      expectOneLineError(res, 'huge.csv', /line 3\b/, /"x"/, /out of range/);
      expect(await storeKeys('datasets/')).toEqual([]);
      const records = await storeKeys('processed/huge/uploads/');
      expect(records).toHaveLength(1);
    });

    it.each([['a b'], ['données'], ['.hidden'], ['a/b'], ['x'.repeat(300)], ['']])(
      'refuses the dataset name %j before uploading',
      async (name) => {
        // Prepare
        const file = writeCsv(dir, 'ok.csv', lineCsv());

        // Act
        const res = await cli('upload', file, '--dataset', name);

        // Assess
        expectOneLineError(res, /dataset name/);
        expect(await storeKeys('datasets/')).toEqual([]);
      },
    );
  });

  describe('Defect 3: validation before the work', () => {
    it.each([
      [['--name', '../evil'], /model name/],
      [['--name', ''], /model name/],
      [['--features', 'y'], /target/],
      [['--features', 'x,x'], /twice/],
      [['--features', 'x,,y'], /empty column name/],
      [['--workers', '1025'], /--workers/],
      [['--seed', '1e20'], /--seed/],
      [['--workers', '0x10'], /--workers/],
    ])('refuses train %j before uploading or starting a job', async (extra, reason) => {
      // Prepare
      const file = writeCsv(dir, 'line.csv', lineCsv());

      // Act
      const res = await cli('train', '--data', file, '--target', 'y', '--model', 'linear', ...extra);

      // Assess
      expectOneLineError(res, reason);
      expect(await storeKeys('datasets/')).toEqual([]);
      expect(await storeKeys('jobs/')).toEqual([]);
    });
  });

  describe('Defect 4: a diverged model is not registered', () => {
    it('stops with "diverged" and the step size, and registers nothing', async () => {
      // Prepare
      const file = writeCsv(dir, 'line.csv', lineCsv());

      // Act
      const res = await cli(
        ...['train', '--data', file, '--target', 'y', '--model', 'linear'],
        ...['--runner', 'inprocess', '--lr', '1e308', '--optimizer', 'plain'],
      );

      // Assess
      expectOneLineError(res, /diverged/, /1e\+308/);
      const models = await cli('models', 'list', '--json');
      expect(models.code).toBe(0);
      expect(JSON.stringify(models.json())).not.toContain('"line"');
      const failed = (await storeKeys('jobs/')).filter((k) => k.endsWith('/failed.json'));
      expect(failed).toHaveLength(1);
      const record = await readJson<{ reason: string; lr: number }>(openHome(home).store, failed[0]!);
      expect(record?.reason).toBe('diverged');
      expect(record?.lr).toBe(1e308);
    });
  });

  describe('Defect 5: feature names are data', () => {
    it('trains and predicts with columns named __proto__, constructor and toString', async () => {
      // Prepare: y = 2·__proto__ − 1·constructor + 0.5·toString + 3, exactly, on a grid.
      const rows = ['__proto__,constructor,toString,y'];
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 5; j++) {
          const a = i;
          const b = (j * 7) % 5;
          const c = (i + 2 * j) % 3;
          rows.push(`${a},${b},${c},${2 * a - b + 0.5 * c + 3}`);
        }
      const train = writeCsv(dir, 'proto.csv', `${rows.join('\n')}\n`);
      const input = writeCsv(dir, 'in.csv', '__proto__,constructor,toString\n1,1,1\n10,0,2\n');

      // Act
      const t = await cli(
        ...['train', '--data', train, '--target', 'y', '--model', 'linear', '--runner', 'inprocess'],
        ...['--algorithm', 'batch', '--epochs', '3000', '--tol', '0', '--json'],
      );
      const p = await cli('predict', '--model', 'proto', '--data', input);

      // Assess: 2 − 1 + 0.5 + 3 = 4.5 and 20 − 0 + 1 + 3 = 24.
      expect(t.code, t.err.join('\n')).toBe(0);
      expect(p.code, p.err.join('\n')).toBe(0);
      const values = p.out.slice(1).map(Number);
      expect(values[0]).toBeCloseTo(4.5, 2);
      expect(values[1]).toBeCloseTo(24, 2);
    });
  });

  describe('Defect 6: predict output', () => {
    async function trained(): Promise<string> {
      const file = writeCsv(dir, 'line.csv', lineCsv());
      const res = await cli(
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
      );
      expect(res.code, res.err.join('\n')).toBe(0);
      return file;
    }

    it('refuses --out in a folder that does not exist, before reading anything', async () => {
      const data = await trained();
      const res = await cli(
        'predict',
        '--model',
        'line',
        '--data',
        data,
        '--out',
        join(dir, 'nope', 'x.csv'),
      );
      expectOneLineError(res, /--out/, /does not exist/);
    });

    it('refuses --out that is a folder, and leaves no temp file', async () => {
      const data = await trained();
      const out = join(dir, 'outdir');
      mkdirSync(out);
      const res = await cli('predict', '--model', 'line', '--data', data, '--out', out);
      expectOneLineError(res, /--out/, /folder/);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('writes the file whole (through a temp file renamed into place)', async () => {
      const data = await trained();
      const out = join(dir, 'pred.csv');
      const res = await cli('predict', '--model', 'line', '--data', data, '--out', out);
      expect(res.code, res.err.join('\n')).toBe(0);
      expect(existsSync(out)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });

  describe('Defect 7: exit 2 with one line, not "unexpected error"', () => {
    it('refuses a directory as --data', async () => {
      const res = await cli('train', '--data', dir, '--target', 'y', '--model', 'linear');
      expectOneLineError(res, /directory/);
    });

    it('refuses --model /etc/passwd without echoing its bytes', async () => {
      const data = writeCsv(dir, 'line.csv', lineCsv());
      const res = await cli('predict', '--model', '/etc/passwd', '--data', data);
      const line = expectOneLineError(res, /not a shardtrain model/);
      expect(line).not.toMatch(/root:/);
    });

    it('refuses an unreadable file with "permission denied" (when not root)', async () => {
      const file = writeCsv(dir, 'secret.csv', lineCsv());
      chmodSync(file, 0o000);
      const res = await cli('upload', file, '--dataset', 's');
      if (process.getuid?.() === 0) expect([0, 2]).toContain(res.code);
      else expectOneLineError(res, /permission denied/);
    });
  });

  describe('Defect 9: long cells, first-row types', () => {
    it('cuts a 1 MB cell in the message', async () => {
      const file = writeCsv(dir, 'big.csv', `x,y\n1,2\n2,${'z'.repeat(1_000_000)}\n`);
      const res = await cli(
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
      );
      expectOneLineError(res, 'big.csv', /line 3\b/);
    });

    it('refuses a numeric column whose first row is text (NUL byte there)', async () => {
      const file = writeCsv(dir, 'nul.csv', `x,y\n1\u0000,2\n${lineCsv().split('\n').slice(2).join('\n')}`);
      const res = await cli(
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
      );
      expectOneLineError(res, 'nul.csv', /NUL|binary/);
    });

    it('refuses a numeric column whose first data row is text, naming line 2', async () => {
      const file = writeCsv(dir, 'first.csv', `x,y\nabc,2\n${lineCsv().split('\n').slice(2).join('\n')}`);
      const res = await cli(
        'train',
        '--data',
        file,
        '--target',
        'y',
        '--model',
        'linear',
        '--runner',
        'inprocess',
      );
      expectOneLineError(res, 'first.csv', /line 2\b/, /"x"/);
    });
  });
});

describe('Issue 11, defect 6: a closed pipe', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = tempDir();
  });
  afterAll(() => removeTemp(dir));

  it('ends `predict | head -2` quietly with exit 0 and no stack trace', async () => {
    // Prepare: a model, and 50,000 rows to predict (far more than the pipe buffer).
    const home = join(dir, 'home');
    const rows = ['x,y', ...Array.from({ length: 40 }, (_, i) => `${i},${2 * i + 1}`)];
    const data = writeCsv(dir, 'line.csv', `${rows.join('\n')}\n`);
    const big = writeCsv(
      dir,
      'big.csv',
      `x\n${Array.from({ length: 50_000 }, (_, i) => String(i % 100)).join('\n')}\n`,
    );
    const t = await runCli([
      '--home',
      home,
      'train',
      '--data',
      data,
      '--target',
      'y',
      '--model',
      'linear',
      '--runner',
      'inprocess',
    ]);
    expect(t.code, t.err.join('\n')).toBe(0);

    // Act: read two lines, then close our end of the pipe.
    const run = spawnCli(['--home', home, 'predict', '--model', 'line', '--data', big]);
    let seen = '';
    run.child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.split('\n').length > 2) run.child.stdout?.destroy();
    });
    const done = await run.done;

    // Assess
    expect(done.stderr).not.toMatch(/Unhandled|EPIPE|^\s+at\s/m);
    expect(done.code).toBe(0);
  });
});
