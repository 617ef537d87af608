import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * Mixes (seed, epoch, partition) into one 32-bit seed (murmur3 finaliser on each word), so that
 * every partition and epoch gets an independent, reproducible stream.
 */
export function streamSeed(seed: number, epoch: number, partition: number): number {
  let h = 0x9e3779b9 ^ (seed | 0);
  for (const word of [Math.floor(seed / 0x100000000), epoch, partition]) {
    h = Math.imul(h ^ (word | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h | 0;
}

/** Fisher–Yates shuffle of 0..rows-1 driven by xoroshiro128+ seeded with {@link streamSeed}. */
export function epochPermutation(seed: number, epoch: number, partition: number, rows: number): Uint32Array {
  const perm = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  const rng = xoroshiro128plus(streamSeed(seed, epoch, partition));
  for (let i = rows - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/**
 * Remembers the last permutation per partition, so a runner (or a warm worker) does not reshuffle
 * a large shard every minibatch step. Results are identical with or without it.
 */
export class PermutationCache {
  private readonly entries = new Map<number, { key: string; perm: Uint32Array }>();

  public get(seed: number, epoch: number, partition: number, rows: number): Uint32Array {
    const key = `${seed}/${epoch}/${rows}`;
    const hit = this.entries.get(partition);
    if (hit !== undefined && hit.key === key) return hit.perm;
    const perm = epochPermutation(seed, epoch, partition, rows);
    this.entries.set(partition, { key, perm });
    return perm;
  }
}
