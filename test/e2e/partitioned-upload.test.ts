import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/local/index.js';
import { loadRows } from '../../lib/data/index.js';
import { resolveDataset } from '../../lib/engine/datasets/uploads.js';
import { removeTemp, runCli, tempDir } from '../support/cli.js';

/**
 * Issue 9, item 3: `shardtrain upload <dir>` uploads a directory's part files as one version
 * through the local cloud (real preprocess handler, one invocation per part, `_SUCCESS` last).
 */
const HEADER = 'x,colour,y';
const COLOURS = ['red', 'blue', 'green'];
/** Row i: x = i/4, a colour whose first label differs per part, y = 3x + 1. */
const row = (i: number) => `${i / 4},${COLOURS[(i + Math.floor(i / 50)) % 3]},${(3 * i) / 4 + 1}`;
const rows = (from: number, to: number) =>
  `${HEADER}\n${Array.from({ length: to - from }, (_, k) => row(from + k)).join('\n')}\n`;

type Record = { state: string; dataset: string; version: string; rows: number; columns: string[] };

// Handler threads load the TypeScript sources through tsx: slow to start on a loaded machine.
describe('Local cloud: partitioned uploads', { timeout: 180_000 }, () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir, 'home');
  });
  afterEach(() => removeTemp(dir));

  function writeParts(name: string, parts: readonly string[]): string {
    const at = join(dir, name);
    mkdirSync(at);
    for (const [p, text] of parts.entries()) writeFileSync(join(at, `part-0000${p}.csv`), text);
    return at;
  }

  it('publishes one version whose rows are the parts in order, as the concatenated file would', async () => {
    // Prepare: 4 parts of 50 rows, and the same 200 rows as one file.
    const parts = writeParts('v1', [rows(0, 50), rows(50, 100), rows(100, 150), rows(150, 200)]);
    writeFileSync(join(dir, 'whole.csv'), rows(0, 200));
    // Act
    const res = await runCli(['--home', home, 'upload', parts, '--dataset', 'p', '--json']);
    const whole = await runCli([
      '--home',
      home,
      'upload',
      join(dir, 'whole.csv'),
      '--dataset',
      'w',
      '--json',
    ]);
    // Assess
    expect(res.code, res.err.join('\n')).toBe(0);
    expect(res.json<Record>()).toMatchObject({ state: 'ready', rows: 200, columns: ['x', 'colour', 'y'] });
    const store = new FsObjectStore({ root: join(home, 'store') });
    const { manifest } = await resolveDataset(store, 'p');
    const { manifest: reference } = await resolveDataset(store, 'w', whole.json<Record>().version);
    expect(manifest.parts?.map((p) => [p.file, p.rows])).toEqual([
      ['part-00000.csv', 50],
      ['part-00001.csv', 50],
      ['part-00002.csv', 50],
      ['part-00003.csv', 50],
    ]);
    // Same labels in the same order, same float32 rows; x = 0, 0.25 … 49.75: mean 24.875.
    expect(manifest.columns[1]!.categories).toEqual(reference.columns[1]!.categories);
    expect(manifest.columns[0]!.stats.mean).toBeCloseTo(24.875, 10);
    expect(Array.from((await loadRows(store, manifest, 0, 200)).data)).toEqual(
      Array.from((await loadRows(store, reference, 0, 200)).data),
    );
  });

  it('refuses parts whose headers differ before uploading anything (exit 2, one line)', async () => {
    // Prepare
    const parts = writeParts('bad', [rows(0, 10), rows(10, 20).replace('x,colour,y', 'x,color,y')]);
    // Act
    const res = await runCli(['--home', home, 'upload', parts, '--dataset', 'p']);
    // Assess
    expect(res.code).toBe(2);
    expect(res.err).toHaveLength(1);
    expect(res.err[0]).toMatch(
      /part-00001\.csv line 1: header \(x,color,y\) differs from .*part-00000\.csv's/,
    );
    let uploaded: string[] = [];
    try {
      uploaded = readdirSync(join(home, 'store', 'datasets'));
    } catch {
      uploaded = [];
    }
    expect(uploaded).toEqual([]);
  });

  it('fails the version with the failing part’s error and keeps the previous version current', async () => {
    // Prepare: a good version first; then one whose third part has text in x on its line 4.
    const good = writeParts('v1', [rows(0, 30), rows(30, 60)]);
    const first = await runCli(['--home', home, 'upload', good, '--dataset', 'p', '--json']);
    expect(first.code, first.err.join('\n')).toBe(0);
    const bad = writeParts('v2', [
      rows(0, 30),
      rows(30, 60),
      rows(60, 90).replace(`\n${row(62)}\n`, '\noops,red,1\n'),
    ]);
    // Act
    const res = await runCli(['--home', home, 'upload', bad, '--dataset', 'p']);
    // Assess
    expect(res.code).toBe(2);
    expect(res.err).toEqual([
      expect.stringMatching(/^shardtrain: [^ ]+\/part-00002\.csv line 4, column "x": "oops" is not a number/),
    ]);
    const store = new FsObjectStore({ root: join(home, 'store') });
    expect((await resolveDataset(store, 'p')).manifest.version).toBe(first.json<Record>().version);
  });
});
