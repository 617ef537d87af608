/**
 * Runs `fn` on `items` a wave at a time — `width` calls in flight, the next wave started once the
 * last of these answered — and yields each wave's `[item, answer]` pairs in item order. A caller
 * that stops iterating after a wave never starts the waves after it (the aggregator stops at the
 * first missing result of a round).
 *
 * @example
 * for await (const wave of inWaves(keys, 8, (key) => store.head(key))) {
 *   if (wave.some(([, info]) => info === undefined)) break;
 * }
 */
export async function* inWaves<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<Array<[T, R]>> {
  const step = Math.max(1, width);
  for (let i = 0; i < items.length; i += step) {
    const wave = items.slice(i, i + step);
    const answers = await Promise.all(wave.map(fn));
    yield wave.map((item, j): [T, R] => [item, answers[j] as R]);
  }
}
