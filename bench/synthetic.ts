// What the DOM-free benchmarks draw their synthetic scans from: a seeded generator and the
// benchmark's cluster sizes (bench/data.py cluster_sizes), so main_thread.ts and
// memory_probe.ts plant the same kind of clusters from one rule.

/** A seeded generator (Park-Miller), so every run times the same data. */
export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** data.py cluster_sizes: many pairs and triples, fewer big clusters; one of 200 and one of 120. */
export function clusterSizes(rand: () => number, target: number): number[] {
  const sizes = [200, 120];
  let sum = 320;
  const between = (lo: number, hi: number) =>
    lo + Math.floor(rand() * (hi - lo));
  while (sum < target) {
    const u = rand();
    const size =
      u < 0.55
        ? 2
        : u < 0.75
          ? between(3, 6)
          : u < 0.9
            ? between(6, 21)
            : u < 0.97
              ? between(21, 61)
              : between(61, 201);
    sizes.push(size);
    sum += size;
  }
  return sizes;
}
