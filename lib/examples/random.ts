import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded source of uniform and normal draws, the same sequence on every platform. */
export interface Rng {
  uniform(): number;
  normal(): number;
}

/** @example const rng = seededRng(42); rng.normal(); */
export function seededRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed);
  let spare: number | undefined;
  const uniform = (): number => uniformFloat64(gen);
  return {
    uniform,
    // Box–Muller; the second draw of each pair is kept for the next call.
    normal(): number {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = uniform();
      while (u === 0) u = uniform();
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}
