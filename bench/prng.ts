/**
 * A seeded 32-bit PRNG (mulberry32). Benchmark data must be the same bytes on every machine and
 * every run, so that a cached file can be checked against its hash and numbers compare across
 * runs; `Math.random` cannot be seeded.
 *
 * @example
 * const next = prng(42);
 * next(); // 0.6011037519201636, always
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in `[min, max]` from `next`. */
export function intBetween(next: () => number, min: number, max: number): number {
  return min + Math.floor(next() * (max - min + 1));
}
