// Scan results to build comm messages from, shared by the comm and bridge specs.
import { labelPair, NO_LABELS, PairLabels, withLabel } from '../labels';
import type { IScanOutcome } from '../model';
import { regroup } from '../scan/groups';
import { PairStore } from '../scan/pairs';
import type { DistanceKind, IScanResult } from '../scan/types';

export function scanResult(
  pairs: [number, number, number][],
  n = 8,
  distance: DistanceKind = 'Cosine',
  threshold = 0.9
): IScanResult {
  const store = new PairStore(distance === 'Cosine' || distance === 'Dot', 4);
  for (const [a, b, s] of pairs) {
    store.add(a, b, s);
  }
  const points = {
    ids: Array.from({ length: n }, (_, i) => (i === 3 ? `uuid-${i}` : i + 100)),
    sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
    thumbnails: Array.from({ length: n }, () => null),
    splits: Array.from({ length: n }, () => null)
  };
  const result: IScanResult = {
    collection: 'images',
    using: null,
    distance,
    threshold,
    points,
    pairs: store.toList(),
    groups: [],
    stats: { seconds: 0, queries: 0, requests: 0, retries: 0 }
  };
  result.groups = regroup(result, threshold);
  return result;
}

/** Groups {0,1,2,3} (a chain) and {5,6}; 4 and 7 alone. */
export const PAIRS: [number, number, number][] = [
  [0, 1, 0.99],
  [1, 2, 0.95],
  [2, 3, 0.92],
  [0, 2, 0.97],
  [5, 6, 0.93]
];

export function outcomeOf(
  result: IScanResult,
  finishedAt = Date.UTC(2025, 0, 2, 3, 4, 5)
): IScanOutcome {
  return {
    scanId: 'scan-1',
    result,
    finishedAt,
    threshold: result.threshold,
    groups: result.groups
  };
}

/** Two labelled pairs of the PAIRS scan: s0-s1 (0.99) a duplicate, s2-s3 (0.92) not one. */
export function labelsOf(result: IScanResult): PairLabels {
  let labels = NO_LABELS;
  const at = Date.UTC(2025, 0, 2, 3, 4, 5);
  // [a, b, verdict, the pair's position in PAIRS]
  for (const [a, b, verdict, k] of [
    [1, 0, 'duplicate', 0],
    [2, 3, 'not', 2]
  ] as const) {
    const score = result.pairs.score[k];
    const label = labelPair(result, a, b, score, verdict, at + k);
    labels = withLabel(labels, label.pointIds[0], label.pointIds[1], label);
  }
  return labels;
}
