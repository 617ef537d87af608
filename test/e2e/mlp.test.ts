import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeneratedTable } from '../../lib/examples/generators.js';
import { removeTemp, runCli, tempDir, writeCsv } from '../support/cli.js';

/**
 * Points on a fixed irregular grid in [−2, 2)² (no RNG: each coordinate is written here), labelled
 * by the quadrant rule "inside" when x1·x2 > 0 — XOR, which no linear model separates (any line
 * gets about half of them right) and a small ReLU network does.
 */
function xorTable(rows: number, offset: number): GeneratedTable {
  const out: (number | string)[][] = [];
  for (let i = 0; i < rows; i++) {
    const a = (((i + offset) * 37) % 101) / 25.25 - 2 + 0.013;
    const b = (((i + offset) * 59) % 103) / 25.75 - 2 + 0.017;
    out.push([Number(a.toFixed(4)), Number(b.toFixed(4)), a * b > 0 ? 'inside' : 'outside']);
  }
  return { columns: ['x1', 'x2', 'label'], rows: out };
}

/** y = x1² − x2 + 3 on the same grid: a curve, so a linear fit leaves the x1² part unexplained. */
function curveTable(rows: number, offset: number): GeneratedTable {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const a = (((i + offset) * 37) % 101) / 25.25 - 2;
    const b = (((i + offset) * 59) % 103) / 25.75 - 2;
    out.push([Number(a.toFixed(4)), Number(b.toFixed(4)), Number((a * a - b + 3).toFixed(6))]);
  }
  return { columns: ['x1', 'x2', 'y'], rows: out };
}

describe('Option: --model mlp', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterEach(() => removeTemp(dir));
  const cli = (...argv: string[]) => runCli(['--home', home, ...argv]);

  it('learns XOR with --hidden 16 in-process (sigmoid head), then predicts new points', async () => {
    // Prepare
    const train = writeCsv(dir, 'xor.csv', xorTable(400, 0));
    const test = xorTable(200, 1000);
    const testFile = writeCsv(dir, 'xor-test.csv', test);
    const out = join(dir, 'preds.csv');

    // Act
    const res = await cli(
      'train',
      '--data',
      train,
      '--target',
      'label',
      '--model',
      'mlp',
      '--hidden',
      '16',
      '--runner',
      'inprocess',
      '--seed',
      '1',
      '--json',
    );
    expect(res.code, res.err.join('\n')).toBe(0);
    const j = res.json<{ modelId: string; model: { kind: string; classes: string[] } }>();
    const pred = await cli('predict', '--model', j.modelId, '--data', testFile, '--out', out);

    // Assess
    expect(j.model.kind).toBe('mlp');
    expect(pred.code, pred.err.join('\n')).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(`prediction,p_${j.model.classes[0]},p_${j.model.classes[1]}`);
    const labels = lines.slice(1).map((l) => l.split(',')[0]);
    let right = 0;
    test.rows.forEach((row, i) => {
      if (labels[i] === row[2]) right++;
    });
    expect(right / test.rows.length).toBeGreaterThan(0.9);
    const html = join(dir, 'report.html');
    const rep = await cli('report', j.modelId, '--out', html);
    expect(rep.code, rep.err.join('\n')).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('Network: 2 → 16 → 1 (relu hidden layers, logistic head)');
    for (const l of lines.slice(1))
      for (const v of l.split(',').slice(1)) expect(Number.isFinite(Number(v))).toBe(true);
  });

  it('fits a curve with a linear head and 4 workers on the local cloud; evaluate scores it', async () => {
    const train = writeCsv(dir, 'curve.csv', curveTable(300, 0));
    const testFile = writeCsv(dir, 'curve-test.csv', curveTable(150, 500));
    const res = await cli(
      'train',
      '--data',
      train,
      '--target',
      'y',
      '--model',
      'mlp',
      '--hidden',
      '16,8',
      '--workers',
      '4',
      ...['--placement', 'lambda'],
      '--json',
    );
    expect(res.code, res.err.join('\n')).toBe(0);
    const j = res.json<{ modelId: string }>();
    const ev = await cli('evaluate', '--model', j.modelId, '--data', testFile, '--json');
    expect(ev.code, ev.err.join('\n')).toBe(0);
    // x1² on [−2, 2) has variance 64/45 − (4/3)² ≈ 1.42, x2 has 4/3: a linear fit explains about half
    expect(ev.json<{ r2: number }>().r2).toBeGreaterThan(0.95);
  });

  it('refuses bad --hidden values and --hidden on a linear model with exit 2 and nothing stored', async () => {
    const train = writeCsv(dir, 'curve.csv', curveTable(50, 0));
    for (const bad of ['0', '16,x', '5000', '1,1,1,1,1,1,1,1,1']) {
      const res = await cli('train', '--data', train, '--target', 'y', '--model', 'mlp', '--hidden', bad);
      expect(res.code).toBe(2);
      expect(res.err.join('\n')).toMatch(/--hidden/);
    }
    const lin = await cli('train', '--data', train, '--target', 'y', '--model', 'linear', '--hidden', '8');
    expect(lin.code).toBe(2);
    expect(lin.err.join('\n')).toMatch(/--hidden/);
    const datasets = await cli('datasets', '--json');
    expect(datasets.out.join('\n')).not.toMatch(/curve/);
  });
});
