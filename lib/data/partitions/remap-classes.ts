import { type Compression, decodeShardAsync, encodeShardAsync } from '../shard/shard-codec.js';

/**
 * Rewrites a shard's categorical class indices from its part's numbering to the version's
 * (`maps[c][partIndex] = versionIndex`; `undefined` leaves column `c` as it is). Needed only where
 * a part met its labels in another order than the parts before it (see `mergeParts`).
 */
export async function remapShardClasses(
  bytes: Uint8Array,
  maps: readonly (readonly number[] | undefined)[],
  compression: Compression,
  name: string,
): Promise<Uint8Array> {
  const shard = await decodeShardAsync(bytes, name);
  const { rows, cols, data } = shard;
  maps.forEach((map, c) => {
    if (map === undefined) return;
    for (let p = c; p < rows * cols; p += cols) data[p] = map[data[p]!]!;
  });
  return encodeShardAsync({ rows, cols, data }, compression);
}
