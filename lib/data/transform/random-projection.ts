import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * Seeded Gaussian random projection matrix (d × k), entries N(0, 1/k) (Johnson–Lindenstrauss
 * scaling: squared lengths are preserved in expectation). Same seed, same matrix, on every
 * machine: xoroshiro128+ and Box–Muller use only IEEE arithmetic.
 */
export function gaussianProjection(d: number, k: number, seed: number): number[][] {
  const rng = xoroshiro128plus(seed);
  const scale = 1 / Math.sqrt(k);
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 − u keeps the argument of log in (0, 1].
    const u = 1 - uniformFloat64(rng);
    const v = uniformFloat64(rng);
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
  return Array.from({ length: d }, () => Array.from({ length: k }, () => normal() * scale));
}
