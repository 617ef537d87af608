import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { LayerBlock } from './model-spec.js';

/** Seed-stream salt of the initial weights (distinct from the epoch permutations' streams). */
const INIT_SALT = 0x6d6c7031;

/**
 * He initialisation (He et al. 2015, "Delving deep into rectifiers"): every weight of a layer
 * with n inputs drawn from N(0, 2/n), biases 0 — the variance that keeps ReLU activations at the
 * same scale layer after layer. Gaussians come from Box–Muller over xoroshiro128+ seeded with
 * (seed, salt), so a seed gives the same bits on every machine.
 */
export function heInit(blocks: readonly LayerBlock[], length: number, seed: number): Float64Array {
  const out = new Float64Array(length);
  const rng = xoroshiro128plus((seed ^ INIT_SALT) | 0);
  // 53-bit uniform in (0, 1): two draws of 26 and 27 bits, never exactly 0.
  const uniform = (): number => {
    const hi = uniformInt(rng, 0, (1 << 26) - 1);
    const lo = uniformInt(rng, 0, (1 << 27) - 1);
    return (hi * 134_217_728 + lo + 0.5) / 9_007_199_254_740_992;
  };
  let spare: number | null = null;
  const gaussian = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  for (const b of blocks) {
    const scale = Math.sqrt(2 / b.inputs);
    const stride = b.inputs + 1;
    for (let o = 0; o < b.outputs; o++) {
      for (let i = 0; i < b.inputs; i++) out[b.offset + o * stride + 1 + i] = scale * gaussian();
    }
  }
  return out;
}
