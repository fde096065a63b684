// The scan's audit of its own completeness: which points to check exactly, and what the
// check says about the whole scan. Pure functions: the scanner runs the queries.
import type { IRecallEstimate } from './types';

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * How many points the audit checks exactly: 1% of the collection, at least 200, and at most
 * as many as keep the exact search to about 5e7 vector comparisons (a few seconds on a
 * small server: each exact query compares with every point).
 */
export function auditSize(n: number): number {
  const budget = Math.floor(5e7 / Math.max(1, n));
  return Math.min(n, Math.max(200, Math.min(Math.ceil(n / 100), budget)));
}

/** A seed for a scan's audit: random across scans unless the request names one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** mulberry32: small, fast and the same on every platform, so a seed replays a sample. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct indices of [0, n), ascending, drawn uniformly; the same for the same seed. */
export function samplePoints(n: number, k: number, seed: number): number[] {
  const take = Math.min(n, Math.max(0, k));
  const random = generator(seed);
  // Floyd's algorithm: k draws, no array of n.
  const chosen = new Set<number>();
  for (let j = n - take; j < n; j++) {
    const t = Math.floor(random() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((x, y) => x - y);
}

/** One sampled point: its neighbours by exact search, and how many of them the scan found. */
export interface IAuditedPoint {
  truth: number;
  found: number;
}

/**
 * Pair recall from an exact check of sampled points: the pairs the scan found among the
 * sampled points' exact neighbours, over all of them (a ratio estimate; every pair has two
 * ends, so each is sampled with the same chance through either).
 *
 * The interval is Wilson's score interval for that proportion with Kish's effective sample
 * size, (sum t)^2 / sum t^2 over the sampled points' pair counts t. The sampled points are
 * the units, not the pairs: a point's pairs are found or missed together (a cluster the
 * search cannot reach loses all of them), so 500 points with 5,000 pairs between them carry
 * the information of a few hundred independent draws, not of 5,000. With no miss in the
 * sample, Wilson still gives a lower bound below 100% (about 1 - 3.84 / n_eff), where a
 * bootstrap over points would claim [100%, 100%].
 */
export function estimateRecall(
  points: IAuditedPoint[]
): Pick<
  IRecallEstimate,
  'pairs' | 'found' | 'missedPoints' | 'recall' | 'low' | 'high'
> {
  let pairs = 0;
  let found = 0;
  let squares = 0;
  let missedPoints = 0;
  for (const p of points) {
    pairs += p.truth;
    found += Math.min(p.found, p.truth);
    squares += p.truth * p.truth;
    if (p.found < p.truth) {
      missedPoints++;
    }
  }
  if (pairs === 0) {
    return { pairs, found, missedPoints, recall: null, low: null, high: null };
  }
  const recall = found / pairs;
  const nEff = (pairs * pairs) / squares;
  const [low, high] = wilson(recall, nEff);
  return { pairs, found, missedPoints, recall, low, high };
}

/** Wilson's 95% score interval for a proportion p observed over n (possibly fractional) draws. */
export function wilson(p: number, n: number): [number, number] {
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half =
    (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // At p = 0 or 1 the bound on that side is p itself; floating point would leave it a hair off.
  return [
    p <= 0 ? 0 : Math.max(0, centre - half),
    p >= 1 ? 1 : Math.min(1, centre + half)
  ];
}
