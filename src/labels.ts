// Labelled pairs (issue 15): the user's word on a pair, "duplicate" or "not a duplicate", and
// what the labels say about a threshold. DOM-free. A label names its pair by point ids (either
// order), so it outlives the scan it was made on; it keeps the pair's score from then, as a
// later scan at a stricter floor no longer holds that pair.
import { higherIsBetter, passes } from './scan/metric';
import type { DistanceKind, IScanResult, PointId } from './scan/types';

/** The user's word on a pair. */
export type PairVerdict = 'duplicate' | 'not';

/** One labelled pair. */
export interface IPairLabel {
  /** The pair's point ids, in key order (see `pairKey`). */
  pointIds: [PointId, PointId];
  /** Their sample ids, in the same order: what the kernel and the user read. */
  sampleIds: [string, string];
  /** The pair's score when it was labelled, measured with `using` and `distance`. */
  score: number;
  using: string | null;
  distance: DistanceKind;
  label: PairVerdict;
  /** When it was labelled (ms since the epoch). */
  labelledAt: number;
}

/** A collection's labels by pair key. */
export type PairLabels = ReadonlyMap<string, IPairLabel>;

export const NO_LABELS: PairLabels = new Map();

/** A point id as a key part: numbers and strings never collide ("n:7" is not "s:7"). */
function idKey(id: PointId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}

/** The key of a pair, the same in either order. */
export function pairKey(a: PointId, b: PointId): string {
  const x = idKey(a);
  const y = idKey(b);
  return x <= y ? `${x} ${y}` : `${y} ${x}`;
}

/**
 * A label for the pair of points `a` and `b` (indices into the scan's points) scoring `score`
 * in `result`, with the pair's ids in key order.
 */
export function labelPair(
  result: IScanResult,
  a: number,
  b: number,
  score: number,
  label: PairVerdict,
  labelledAt: number
): IPairLabel {
  const { ids, sampleIds } = result.points;
  const [first, second] = idKey(ids[a]) <= idKey(ids[b]) ? [a, b] : [b, a];
  const name = (m: number) => sampleIds[m] ?? String(ids[m]);
  return {
    pointIds: [ids[first], ids[second]],
    sampleIds: [name(first), name(second)],
    score,
    using: result.using,
    distance: result.distance,
    label,
    labelledAt
  };
}

/** The labels with one more (or another) label, or with the pair's label gone (`label` null). */
export function withLabel(
  labels: PairLabels,
  a: PointId,
  b: PointId,
  label: IPairLabel | null
): PairLabels {
  const next = new Map(labels);
  const key = pairKey(a, b);
  if (label) {
    next.set(key, label);
  } else {
    next.delete(key);
  }
  return next;
}

/** A label with the score it is judged by in one scan (null: none known for this scan). */
export interface IScoredLabel {
  label: IPairLabel;
  score: number | null;
}

/**
 * The score each label is judged by in `result`: the pair's kept score in this scan when it has
 * one; else the score kept with the label, when it was measured with this scan's vector and
 * distance (the pair is then below this scan's floor, or was labelled in another scan); else
 * none (labelled under another vector or distance: its score there says nothing here).
 */
export function scoreLabels(
  labels: PairLabels,
  result: IScanResult
): IScoredLabel[] {
  if (labels.size === 0) {
    return [];
  }
  const { ids } = result.points;
  const { a, b, score } = result.pairs;
  // Only points that some label names are looked at: one pass over the pairs.
  const named = new Set<string>();
  for (const l of labels.values()) {
    named.add(idKey(l.pointIds[0]));
    named.add(idKey(l.pointIds[1]));
  }
  const keyOf: (string | null)[] = ids.map(id => {
    const k = idKey(id);
    return named.has(k) ? k : null;
  });
  const kept = new Map<string, number>();
  for (let k = 0; k < score.length; k++) {
    const x = keyOf[a[k]];
    const y = keyOf[b[k]];
    if (x !== null && y !== null) {
      kept.set(x <= y ? `${x} ${y}` : `${y} ${x}`, score[k]);
    }
  }
  const sameMeasure = (l: IPairLabel) =>
    l.distance === result.distance && (l.using ?? '') === (result.using ?? '');
  return [...labels.entries()].map(([key, label]) => ({
    label,
    score: kept.get(key) ?? (sameMeasure(label) ? label.score : null)
  }));
}

/** What the labels say about one threshold. */
export interface ILabelCounts {
  /** Labelled duplicates with a score here, and those the threshold keeps (their pair passes). */
  duplicates: number;
  keptDuplicates: number;
  /** Labelled non-duplicates with a score here, and those the threshold groups (their pair passes). */
  nots: number;
  groupedNots: number;
  /** Labels with no score in this scan (made under another vector or distance): not counted. */
  unscored: number;
}

/**
 * At `threshold`: how many labelled duplicates pass it and how many labelled non-duplicates
 * pass it too, by the pair's own score under Qdrant's strict test (metric.ts). A pair that
 * fails can still share a group through a chain of other pairs: that is what the chained mark
 * and Split are for; here a label judges the threshold, not the chaining.
 */
export function countLabels(
  scored: readonly IScoredLabel[],
  threshold: number,
  distance: DistanceKind
): ILabelCounts {
  const counts: ILabelCounts = {
    duplicates: 0,
    keptDuplicates: 0,
    nots: 0,
    groupedNots: 0,
    unscored: 0
  };
  for (const { label, score } of scored) {
    if (score === null) {
      counts.unscored++;
      continue;
    }
    const pass = passes(score, threshold, distance);
    if (label.label === 'duplicate') {
      counts.duplicates++;
      counts.keptDuplicates += pass ? 1 : 0;
    } else {
      counts.nots++;
      counts.groupedNots += pass ? 1 : 0;
    }
  }
  return counts;
}

/** Labelled pairs a threshold gets wrong: duplicates it does not keep, non-duplicates it groups. */
export function misclassified(counts: ILabelCounts): number {
  return counts.duplicates - counts.keptDuplicates + counts.groupedNots;
}

/** The threshold the labels suggest, and how it does on them. */
export interface ISuggestion {
  threshold: number;
  /** Labelled pairs it gets wrong (0 when the labels separate cleanly). */
  errors: number;
  /** The run of thresholds that do equally well, in the scan's units: from the looser end... */
  from: number;
  /** ...to the stricter one. */
  to: number;
}

/**
 * The threshold that separates the labels best, within what the scan can show (`floor`, its
 * own threshold, to `end`, the strict end: 1 for similarities, 0 for distances). Best means:
 *
 * 1. fewest misclassified labelled pairs (duplicates it does not keep plus non-duplicates it
 *    groups);
 * 2. among thresholds that tie, those in the widest run of scores with no label in it (the
 *    clearest gap between the two kinds);
 * 3. if runs tie in width, the stricter one;
 *
 * and within that run, its middle, rounded to the fewest decimals (2 to 4: the panel's threshold
 * keeps four) that stay in the run's middle half: a round number near the middle, not one at
 * the edge of the gap. A run narrower than that keeps its middle unrounded.
 * Null without at least one scored label of each kind: one kind alone separates nothing.
 */
export function suggestThreshold(
  scored: readonly IScoredLabel[],
  distance: DistanceKind,
  floor: number,
  end: number
): ISuggestion | null {
  // In "alike" units, u, a pair passes threshold t when u(score) > u(t) whatever the distance.
  const sign = higherIsBetter(distance) ? 1 : -1;
  const lo = sign * floor;
  const hi = sign * end;
  const dups: number[] = [];
  const nots: number[] = [];
  for (const { label, score } of scored) {
    if (score !== null && Number.isFinite(score)) {
      (label.label === 'duplicate' ? dups : nots).push(sign * score);
    }
  }
  if (dups.length === 0 || nots.length === 0 || !(lo < hi)) {
    return null;
  }
  // The misclassified count changes only at a label's score: between two consecutive scores it
  // is constant on [left, right) (u(t) = left makes the pair at `left` fail, as Qdrant does).
  const cuts = [...new Set([...dups, ...nots])]
    .filter(u => u > lo && u < hi)
    .sort((x, y) => x - y);
  const edges = [lo, ...cuts, hi];
  // Labels are made by hand (hundreds at most), so a count per run is cheap enough.
  const errorsAt = (u: number) =>
    dups.filter(d => !(d > u)).length + nots.filter(n => n > u).length;
  let best: { left: number; right: number; errors: number } | null = null;
  for (let i = 0; i + 1 < edges.length; i++) {
    const left = edges[i];
    const right = edges[i + 1];
    const errors = errorsAt(left);
    if (
      best === null ||
      errors < best.errors ||
      (errors === best.errors && right - left >= best.right - best.left - 1e-12)
    ) {
      best = { left, right, errors };
    }
  }
  const { left, right, errors } = best!;
  const middle = (left + right) / 2;
  let u = middle;
  for (let digits = 2; digits <= 4; digits++) {
    const rounded = sign * Number((sign * middle).toFixed(digits));
    if (
      rounded >= left &&
      rounded < right &&
      Math.abs(rounded - middle) <= (right - left) / 4 &&
      errorsAt(rounded) === errors
    ) {
      u = rounded;
      break;
    }
  }
  return {
    threshold: sign * u,
    errors,
    from: sign * left,
    to: sign * right
  };
}

// Keeping a collection's labels (IStateDB, one key per collection): a plain JSON form.

export const SAVED_LABELS_VERSION = 1;

export interface ISavedLabels {
  version: number;
  collection: string;
  labels: IPairLabel[];
}

export function saveLabels(
  collection: string,
  labels: PairLabels
): ISavedLabels {
  return {
    version: SAVED_LABELS_VERSION,
    collection,
    labels: [...labels.values()]
  };
}

/** The kept labels back; anything unreadable is dropped, label by label. */
export function restoreLabels(saved: unknown): PairLabels {
  const v = saved as ISavedLabels;
  if (
    typeof v !== 'object' ||
    v === null ||
    v.version !== SAVED_LABELS_VERSION ||
    !Array.isArray(v.labels)
  ) {
    return NO_LABELS;
  }
  const labels = new Map<string, IPairLabel>();
  for (const l of v.labels) {
    if (isPairLabel(l)) {
      labels.set(pairKey(l.pointIds[0], l.pointIds[1]), l);
    }
  }
  return labels;
}

const DISTANCES: readonly string[] = ['Cosine', 'Dot', 'Euclid', 'Manhattan'];

function isPairLabel(value: unknown): value is IPairLabel {
  const l = value as IPairLabel;
  const isId = (x: unknown) =>
    typeof x === 'string' ||
    (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
  return (
    typeof l === 'object' &&
    l !== null &&
    Array.isArray(l.pointIds) &&
    l.pointIds.length === 2 &&
    l.pointIds.every(isId) &&
    Array.isArray(l.sampleIds) &&
    l.sampleIds.length === 2 &&
    l.sampleIds.every(s => typeof s === 'string') &&
    typeof l.score === 'number' &&
    Number.isFinite(l.score) &&
    (l.using === null || typeof l.using === 'string') &&
    DISTANCES.includes(l.distance) &&
    (l.label === 'duplicate' || l.label === 'not') &&
    typeof l.labelledAt === 'number'
  );
}
