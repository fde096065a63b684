// A small seeded generator, for what must come out the same in every run: the lonely pass's
// projections and tables (lonely.ts), the benchmark's and the tests' synthetic data.

/** Xorshift32 from `seed`: numbers in [0, 1), the same sequence for the same seed. */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
