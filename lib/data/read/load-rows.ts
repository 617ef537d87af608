import { DatasetError, NotFoundError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import type { DatasetManifest } from '../manifest.js';
import { decodeShardAsync, type Shard } from '../shard/shard-codec.js';

/**
 * Rows `[start, end)` of a dataset version (0-based, end exclusive), across shard boundaries.
 * Fetches and decodes only the shards that overlap the range, one at a time, so memory is the
 * result plus one decoded shard.
 *
 * @throws RangeError when the range is outside `[0, manifest.rows]`.
 * @throws NotFoundError when a listed shard is missing; DatasetError when one is corrupt or
 *   does not match the manifest.
 * @example
 * const { rows, cols, data } = await loadRows(store, manifest, 0, manifest.rows);
 */
export async function loadRows(
  store: ObjectStore,
  manifest: DatasetManifest,
  start: number,
  end: number,
): Promise<Shard> {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > manifest.rows) {
    throw new RangeError(`row range [${start}, ${end}) is outside [0, ${manifest.rows})`);
  }
  const cols = manifest.columns.length;
  const data = new Float32Array((end - start) * cols);
  for (const entry of manifest.shards) {
    const shardEnd = entry.firstRow + entry.rows;
    if (shardEnd <= start || entry.firstRow >= end) continue;
    const object = await store.get(entry.key);
    if (object === undefined) {
      throw new NotFoundError(
        `shard ${entry.key} of dataset ${manifest.dataset}@${manifest.version} is missing`,
      );
    }
    const shard = await decodeShardAsync(object.body, entry.key);
    if (shard.rows !== entry.rows || shard.cols !== cols) {
      throw new DatasetError(
        { file: entry.key },
        `shard is ${shard.rows}×${shard.cols} but the manifest says ${entry.rows}×${cols}`,
      );
    }
    const from = Math.max(start, entry.firstRow);
    const to = Math.min(end, shardEnd);
    data.set(
      shard.data.subarray((from - entry.firstRow) * cols, (to - entry.firstRow) * cols),
      (from - start) * cols,
    );
  }
  return { rows: end - start, cols, data };
}
