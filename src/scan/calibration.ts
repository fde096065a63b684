// What each threshold would give, from one scan's kept pairs: the duplicate groups, the samples
// in them and the samples a keep-one-per-group plan drops, at every threshold from the scan's
// floor to the strictest, plus the histogram of pair scores. One sort and one union-find pass
// (pairs added most alike first) record the counts after every pair, so the counts at any
// threshold are a binary search away: the chart and its marker need no regroup and no request.
import { higherIsBetter, passes } from './metric';
import { sortPairs } from './pairOrder';
import { UnionFind } from './unionFind';
import type { DistanceKind, IPairLink, IPairList } from './types';

/** What calibration needs from a scan: its pairs, their distance, and the floor it scanned at. */
export interface ICalibrationInput {
  pairs: IPairList;
  distance: DistanceKind;
  /** The scan's own threshold: no pair looser than it was fetched. */
  threshold: number;
}

/** The counts single-linkage grouping gives at one threshold. */
export interface IThresholdCounts {
  threshold: number;
  /** Pairs that pass the threshold. */
  pairs: number;
  /** Duplicate groups (connected components of two or more samples). */
  groups: number;
  /** Samples in those groups. */
  samples: number;
  /** Samples a plan that keeps one per group drops: samples - groups. */
  dropped: number;
}

/** One bar of the histogram: the pairs whose score lies between two thresholds. */
export interface IScoreBin {
  /** The looser edge (the bin holds the pairs that pass it)... */
  from: number;
  /** ...and the stricter edge (the bin holds the pairs that fail it, except the last bin). */
  to: number;
  pairs: number;
}

export interface ICalibration {
  distance: DistanceKind;
  /** The scan's threshold: the loosest the chart can show. */
  floor: number;
  /** The strictest end of the chart: 1 for similarities (or the best score above it), 0 for distances. */
  end: number;
  /** Counts at `steps + 1` evenly spaced thresholds from `floor` to `end`. */
  steps: IThresholdCounts[];
  /** Pair scores in `steps` bins between consecutive thresholds. */
  histogram: IScoreBin[];
  /** Pair positions (into the scan's pairs), most alike first. */
  order: Uint32Array;
  /** Scores in that order. */
  scores: Float32Array;
  /** After the first k + 1 pairs in that order: groups and samples in groups. */
  groupsAfter: Uint32Array;
  samplesAfter: Uint32Array;
}

/** Chart resolution: 40 steps put a step at every 0.005 of a 0.80 to 1.0 range. */
export const CALIBRATION_STEPS = 40;

/** Calibrates a scan: one sort of its pairs and one union-find pass over them. */
export function calibrate(
  input: ICalibrationInput,
  steps = CALIBRATION_STEPS
): ICalibration {
  const { pairs, distance, threshold: floor } = input;
  const m = pairs.score.length;
  const order = sortPairs(pairs, distance);
  const scores = new Float32Array(m);
  let n = 0;
  for (let k = 0; k < m; k++) {
    const p = order[k];
    scores[k] = pairs.score[p];
    n = Math.max(n, pairs.a[p] + 1, pairs.b[p] + 1);
  }
  const uf = new UnionFind(n);
  const groupsAfter = new Uint32Array(m);
  const samplesAfter = new Uint32Array(m);
  let samples = 0;
  for (let k = 0; k < m; k++) {
    const p = order[k];
    const sa = uf.sizeOf(pairs.a[p]);
    const sb = uf.sizeOf(pairs.b[p]);
    if (uf.union(pairs.a[p], pairs.b[p]) >= 0) {
      samples += (sa === 1 ? 1 : 0) + (sb === 1 ? 1 : 0);
    }
    groupsAfter[k] = uf.groupCount;
    samplesAfter[k] = samples;
  }
  const higher = higherIsBetter(distance);
  // The strict end: nothing passes it (scores at exactly 1 or 0 pass every threshold short of it).
  const best = m > 0 ? scores[0] : floor;
  const end = higher ? Math.max(1, best) : Math.min(0, best);
  const calibration: ICalibration = {
    distance,
    floor,
    end,
    steps: [],
    histogram: [],
    order,
    scores,
    groupsAfter,
    samplesAfter
  };
  const count = Math.max(1, Math.floor(steps));
  for (let i = 0; i <= count; i++) {
    // The last step is `end` itself, not floor + a sum that float rounding can leave short of it.
    const t = i === count ? end : floor + ((end - floor) * i) / count;
    calibration.steps.push(countsAt(calibration, t));
  }
  for (let i = 0; i < count; i++) {
    const here = calibration.steps[i];
    const next = calibration.steps[i + 1];
    calibration.histogram.push({
      from: here.threshold,
      to: next.threshold,
      // The last bin also holds any pair that passes `end` (none, by its choice).
      pairs: here.pairs - (i === count - 1 ? 0 : next.pairs)
    });
  }
  return calibration;
}

/** The number of pairs that pass `threshold`: a binary search, as passing pairs come first. */
export function passingCount(
  calibration: ICalibration,
  threshold: number
): number {
  const { scores, distance } = calibration;
  let lo = 0;
  let hi = scores.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (passes(scores[mid], threshold, distance)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/**
 * The counts at any threshold (not only the chart's steps). Below the floor the scan knows
 * nothing: the counts there are the floor's, which is why the panel never asks for them.
 */
export function countsAt(
  calibration: ICalibration,
  threshold: number
): IThresholdCounts {
  const k = passingCount(calibration, threshold);
  const groups = k > 0 ? calibration.groupsAfter[k - 1] : 0;
  const samples = k > 0 ? calibration.samplesAfter[k - 1] : 0;
  return { threshold, pairs: k, groups, samples, dropped: samples - groups };
}

/** The pairs either side of a threshold: what moving it a little would add or take away. */
export interface IMarginPairs {
  /** Pairs that pass, least alike first (the first to go if the threshold gets stricter). */
  above: IPairLink[];
  /** Pairs that do not pass, most alike first (the first to join if it gets looser). */
  below: IPairLink[];
}

/**
 * The `count` pairs just above and just below `threshold`, nearest to it first. Below holds
 * only pairs the scan kept: at its floor there are none (looser pairs were never fetched).
 */
export function marginPairs(
  calibration: ICalibration,
  pairs: IPairList,
  threshold: number,
  count = 3
): IMarginPairs {
  const k = passingCount(calibration, threshold);
  const link = (j: number): IPairLink => {
    const p = calibration.order[j];
    return { a: pairs.a[p], b: pairs.b[p], score: pairs.score[p] };
  };
  const above: IPairLink[] = [];
  for (let j = k - 1; j >= 0 && above.length < count; j--) {
    above.push(link(j));
  }
  const below: IPairLink[] = [];
  for (let j = k; j < calibration.scores.length && below.length < count; j++) {
    below.push(link(j));
  }
  return { above, below };
}

const cache = new WeakMap<Float32Array, ICalibration>();

/** The calibration of these pairs if it is known (computed or adopted), else null; no work. */
export function knownCalibration(
  input: ICalibrationInput
): ICalibration | null {
  const hit = cache.get(input.pairs.score);
  return hit &&
    hit.distance === input.distance &&
    hit.floor === input.threshold &&
    hit.scores.length === input.pairs.score.length
    ? hit
    : null;
}

/**
 * Keeps a calibration computed elsewhere (the worker, issue 16: a million pairs took over a
 * second on the page's thread) for these pairs, after checking its shape; false when it does
 * not fit them.
 */
export function adoptCalibration(
  input: ICalibrationInput,
  calibration: unknown
): boolean {
  const c = calibration as ICalibration;
  const m = input.pairs.score.length;
  if (
    typeof c !== 'object' ||
    c === null ||
    c.distance !== input.distance ||
    c.floor !== input.threshold ||
    !(c.order instanceof Uint32Array) ||
    !(c.scores instanceof Float32Array) ||
    !(c.groupsAfter instanceof Uint32Array) ||
    !(c.samplesAfter instanceof Uint32Array) ||
    [c.order, c.scores, c.groupsAfter, c.samplesAfter].some(
      x => x.length !== m
    ) ||
    !Array.isArray(c.steps) ||
    !Array.isArray(c.histogram)
  ) {
    return false;
  }
  cache.set(input.pairs.score, c);
  return true;
}

/** The buffers of a calibration, to transfer with it. */
export function calibrationTransferables(c: ICalibration): ArrayBuffer[] {
  return [c.order, c.scores, c.groupsAfter, c.samplesAfter].map(
    x => x.buffer as ArrayBuffer
  );
}

/** The calibration of a scan, computed once per pairs object (a regroup keeps the pairs). */
export function calibrationOf(input: ICalibrationInput): ICalibration {
  const hit = knownCalibration(input);
  if (hit) {
    return hit;
  }
  const calibration = calibrate(input);
  cache.set(input.pairs.score, calibration);
  return calibration;
}
