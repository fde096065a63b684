// What a score means: the one place that knows whether a higher score is better, which pairs
// pass a threshold and which threshold is stricter, and how a threshold reads in words. The
// Python side (selection, the embedded store) keeps the same rules; tests/fixtures/rules.json
// holds the cases both must agree on.
import type { TranslationBundle } from '@jupyterlab/translation';
import { asWritten } from './asWritten';
import type { DistanceKind } from './types';

/**
 * True when larger scores mean more alike (Cosine, Dot: a similarity); false for distances
 * (Euclid, Manhattan). An unknown distance (null: no collection chosen yet) reads as a
 * similarity, as the panel's default threshold is one.
 */
export function higherIsBetter(
  distance: DistanceKind | null | undefined
): boolean {
  return distance !== 'Euclid' && distance !== 'Manhattan';
}

/**
 * Qdrant's `score_threshold` test, which is strict: score > t for similarities, score < t for
 * distances. A score equal to the threshold does not pass.
 */
export function passes(
  score: number,
  threshold: number,
  distance: DistanceKind | null | undefined
): boolean {
  return higherIsBetter(distance) ? score > threshold : score < threshold;
}

/** Angle (radians) added to a cover's reach, far above float32 rounding of its scores. */
const COVER_SLACK = 1e-4;

/**
 * The threshold of a cover search: an exact search from point p that, when its answer is
 * complete, holds every neighbour (past `threshold`) of every point q that is itself p's
 * neighbour, by the triangle inequality of the metric. Cosine: the angle between unit vectors
 * is a metric, so q's neighbours lie within twice the threshold's angle of p. Euclid and
 * Manhattan: within twice the threshold's distance. Dot is no metric: null, as for a cosine
 * threshold whose doubled angle reaches every point.
 */
export function coverThreshold(
  threshold: number,
  distance: DistanceKind | null | undefined
): number | null {
  return ballThreshold(threshold, threshold, distance);
}

/**
 * The threshold of an exact search from a ball's centre whose complete answer holds every
 * neighbour (past `threshold`) of every point in the ball, the ball's members lying within
 * score `reach` of the centre (its farthest member): the reach's angle (or distance) added
 * to the threshold's. Null where that is no bound: Dot (no metric), or a cosine reach past a
 * right angle (the search would answer most of the collection).
 */
export function ballThreshold(
  threshold: number,
  reach: number,
  distance: DistanceKind | null | undefined
): number | null {
  switch (distance) {
    case 'Cosine': {
      const angle =
        Math.acos(Math.max(-1, Math.min(1, threshold))) +
        Math.acos(Math.max(-1, Math.min(1, reach))) +
        COVER_SLACK;
      return angle < Math.PI / 2 ? Math.cos(angle) : null;
    }
    case 'Euclid':
    case 'Manhattan':
      return threshold > 0
        ? (threshold + Math.max(0, reach)) * (1 + COVER_SLACK)
        : null;
    default:
      return null;
  }
}

/** Whether threshold `a` lets fewer pairs through than `b`: larger for similarities, smaller for distances. */
export function isStricter(
  a: number,
  b: number,
  distance: DistanceKind | null | undefined
): boolean {
  return higherIsBetter(distance) ? a > b : a < b;
}

/** Orders scores most alike first: negative when `x` is more alike than `y`. */
export function compareAlike(
  x: number,
  y: number,
  distance: DistanceKind | null | undefined
): number {
  return higherIsBetter(distance) ? y - x : x - y;
}

/** Which pairs a threshold keeps, in a few words: "with similarity above 0.95", "closer than 0.3". */
export function describeThreshold(
  threshold: number | string,
  distance: DistanceKind | null | undefined
): string {
  return higherIsBetter(distance)
    ? `with similarity above ${threshold}`
    : `closer than ${threshold}`;
}

/** The threshold's help text in the panel; `t` is the threshold as the panel writes it. */
export function thresholdHelp(
  distance: DistanceKind | null | undefined,
  t: string,
  trans: Pick<TranslationBundle, '__'> = asWritten
): string {
  switch (distance) {
    case 'Euclid':
    case 'Manhattan':
      return trans.__(
        'Pairs closer than %1 (%2 distance) count as near-duplicates. Smaller is stricter.',
        t,
        distance
      );
    case 'Dot':
      return trans.__(
        'Pairs with a dot product above %1 count as near-duplicates (a similarity when vectors are normalised). Higher is stricter.',
        t
      );
    case 'Cosine':
      return trans.__(
        'Pairs with cosine similarity above %1 count as near-duplicates. Higher is stricter.',
        t
      );
    default:
      return trans.__(
        'Pairs with similarity above %1 count as near-duplicates. Higher is stricter.',
        t
      );
  }
}

/**
 * A starting maximum distance for Euclid/Manhattan collections: the Euclidean distance
 * between unit vectors with the given cosine similarity (0.95 -> 0.32).
 */
export function defaultDistance(similarity: number): number {
  return Math.round(Math.sqrt(Math.max(0, 2 - 2 * similarity)) * 100) / 100;
}
