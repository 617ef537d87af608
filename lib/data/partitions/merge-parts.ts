import { createHash } from 'node:crypto';
import { DatasetError } from '../../errors.js';
import type { ColumnManifest, ComomentsManifest, DatasetManifest, ShardEntry } from '../manifest.js';
import { type ColumnStats, EMPTY_STATS, mergeStats } from '../stats/column-stats.js';
import { mergeComoments } from '../stats/comoments.js';
import { MAX_DISTINCT, mergeDistinct } from '../stats/distinct.js';
import { mergeHistograms } from '../stats/histogram.js';

/** One preprocessed part: its name (`part-00000.csv`) and the manifest its preprocessing wrote. */
export interface PreprocessedPart {
  readonly file: string;
  readonly manifest: DatasetManifest;
}

/**
 * For each part, for each column: the part's class index → the version's class index, or
 * `undefined` where they are the same (numeric columns, and a categorical column whose labels
 * first appear in the same order as in the parts before it).
 */
export type ClassMaps = (readonly number[] | undefined)[][];

/** What {@link mergeParts} gives: the version's manifest and the class re-mapping its shards need. */
export interface MergedParts {
  readonly manifest: DatasetManifest;
  readonly classMaps: ClassMaps;
  /** Index into `manifest.shards` of each shard's part, so a re-mapped shard finds its map. */
  readonly shardPart: readonly number[];
}

/**
 * Merges the manifests of the parts of one partitioned version, in the order given (part-name
 * order), into the manifest of the version — what one preprocess run over the parts concatenated
 * would have produced, like a Spark/Hive table whose partitions are summarised independently and
 * combined. Every statistic is mergeable: count/mean/M2 (Chan et al.), DDSketch histograms and
 * distinct counts (counts add), co-moments; categorical labels take the order of first appearance
 * over the parts in order, which is that of the concatenated file, and class counts add. The
 * shards are the parts' shards one after the other (row offsets shifted), so training reads the
 * same rows in the same order whatever order the parts finished in.
 *
 * A part's categorical class indices are its own order of first appearance; where that differs
 * from the version's, `classMaps` says how its shards must be rewritten before they are usable.
 *
 * @throws DatasetError naming the part when its header or a column's type differs from the first part's.
 * @example
 * const { manifest } = mergeParts('houses', 'v2', [{ file: 'part-00000.csv', manifest: m0 }, …]);
 */
export function mergeParts(dataset: string, label: string, parts: readonly PreprocessedPart[]): MergedParts {
  const first = parts[0];
  if (first === undefined) throw new DatasetError({ file: label }, 'the version has no parts');
  const names = first.manifest.columns.map((c) => c.name);
  for (const part of parts.slice(1)) checkSameColumns(first, part);

  const classMaps: ClassMaps = parts.map(() => names.map(() => undefined));
  const columns: ColumnManifest[] = first.manifest.columns.map((col, c) =>
    col.type === 'numeric' ? mergeNumeric(parts, c) : mergeCategorical(parts, c, classMaps),
  );

  const shards: ShardEntry[] = [];
  const shardPart: number[] = [];
  const partEntries: NonNullable<DatasetManifest['parts']> = [];
  let rows = 0;
  parts.forEach((part, p) => {
    const m = part.manifest;
    partEntries.push({
      file: part.file,
      bytes: m.source.bytes,
      sha256: m.source.sha256,
      rows: m.rows,
      firstRow: rows,
    });
    for (const shard of m.shards) {
      shards.push({ ...shard, firstRow: rows + shard.firstRow });
      shardPart.push(p);
    }
    rows += m.rows;
  });
  const sha256 = partListHash(partEntries);
  const comoments = mergeAllComoments(parts);
  const manifest: DatasetManifest = {
    v: 1,
    dataset,
    version: sha256.slice(0, 16),
    createdAt: new Date().toISOString(),
    source: { file: `${label}/`, bytes: sum(parts, (m) => m.source.bytes), sha256 },
    rows,
    parts: partEntries,
    columns,
    ...(comoments !== undefined ? { comoments } : {}),
    shards,
    shardRows: first.manifest.shardRows,
    compression: first.manifest.compression,
    csvBytes: sum(parts, (m) => m.csvBytes),
    shardBytes: sum(parts, (m) => m.shardBytes),
  };
  return { manifest, classMaps, shardPart };
}

/**
 * SHA-256 of the part list (one `name<TAB>sha256` line per part, in order): the version of a
 * partitioned dataset, so the same parts give the same version and any changed byte a new one.
 */
export function partListHash(parts: readonly { file: string; sha256: string }[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.file}\t${part.sha256}\n`);
  return hash.digest('hex');
}

function sum(parts: readonly PreprocessedPart[], of: (m: DatasetManifest) => number): number {
  return parts.reduce((total, part) => total + of(part.manifest), 0);
}

function checkSameColumns(first: PreprocessedPart, part: PreprocessedPart): void {
  const want = first.manifest.columns;
  const got = part.manifest.columns;
  const wantNames = want.map((c) => c.name).join(',');
  const gotNames = got.map((c) => c.name).join(',');
  if (wantNames !== gotNames) {
    throw new DatasetError(
      { file: part.manifest.source.file, line: 1 },
      `header (${gotNames}) differs from ${first.manifest.source.file}'s (${wantNames}); every part needs the same columns in the same order`,
    );
  }
  got.forEach((col, c) => {
    const other = want[c]!.type;
    if (col.type !== other) {
      throw new DatasetError(
        { file: part.manifest.source.file, column: col.name },
        `the column is ${col.type} here but ${other} in ${first.manifest.source.file} (a column's type comes from its first value); make the parts agree`,
      );
    }
  });
  if (
    part.manifest.compression !== first.manifest.compression ||
    part.manifest.shardRows !== first.manifest.shardRows
  )
    throw new DatasetError(
      { file: part.manifest.source.file },
      'was preprocessed with other shard settings than the first part; upload the version again',
    );
}

function mergeNumeric(parts: readonly PreprocessedPart[], c: number): ColumnManifest {
  const cols = parts.map((p) => p.manifest.columns[c]!);
  const head = cols[0]!;
  let stats: ColumnStats = EMPTY_STATS;
  for (const col of cols) stats = mergeStats(stats, col.stats);
  let distinct = head.distinct;
  let histogram = head.histogram;
  for (const col of cols.slice(1)) {
    distinct = mergeDistinct(distinct, col.distinct);
    histogram =
      histogram !== undefined && col.histogram !== undefined
        ? mergeHistograms(histogram, col.histogram)
        : undefined;
  }
  return {
    name: head.name,
    index: c,
    type: 'numeric',
    stats,
    ...(distinct !== undefined ? { distinct } : {}),
    ...(histogram !== undefined ? { histogram } : {}),
  };
}

/**
 * Labels in order of first appearance over the parts in order; each part's class counts are
 * added at their label's version index. The statistics over class indices follow from the counts
 * exactly (a part's own are over its own indices, which may differ).
 */
function mergeCategorical(
  parts: readonly PreprocessedPart[],
  c: number,
  classMaps: ClassMaps,
): ColumnManifest {
  const index = new Map<string, number>();
  const categories: string[] = [];
  const counts: number[] = [];
  parts.forEach((part, p) => {
    const col = part.manifest.columns[c]!;
    const labels = col.categories ?? [];
    const map = labels.map((label) => {
      let at = index.get(label);
      if (at === undefined) {
        at = categories.length;
        index.set(label, at);
        categories.push(label);
        counts.push(0);
      }
      return at;
    });
    (col.categoryCounts ?? []).forEach((n, i) => {
      counts[map[i]!]! += n;
    });
    if (map.some((to, from) => to !== from)) classMaps[p]![c] = map;
  });
  const head = parts[0]!.manifest.columns[c]!;
  return {
    name: head.name,
    index: c,
    type: 'categorical',
    stats: statsOfCounts(counts),
    categories,
    categoryCounts: counts,
    ...(counts.length <= MAX_DISTINCT ? { distinct: { values: counts.map((_, i) => i), counts } } : {}),
  };
}

/** Count/mean/M2/min/max of the values 0, 1, … k−1 occurring `counts[i]` times each. */
function statsOfCounts(counts: readonly number[]): ColumnStats {
  let n = 0;
  let total = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  counts.forEach((k, i) => {
    if (k === 0) return;
    n += k;
    total += k * i;
    min = Math.min(min, i);
    max = Math.max(max, i);
  });
  if (n === 0) return EMPTY_STATS;
  const mean = total / n;
  const m2 = counts.reduce((acc, k, i) => acc + k * (i - mean) ** 2, 0);
  return { count: n, mean, m2, min, max };
}

function mergeAllComoments(parts: readonly PreprocessedPart[]): ComomentsManifest | undefined {
  let merged: ComomentsManifest | undefined;
  for (const part of parts) {
    const c = part.manifest.comoments;
    if (c === undefined) return undefined;
    merged = merged === undefined ? c : { columns: c.columns, ...mergeComoments(merged, c) };
  }
  return merged;
}
