// Chaining, seen (issue 15): a group's diameter, its least alike pair, from the scan's kept
// pairs, and whether the group is chained: held together only through a chain of links.
import type { IGroupInput } from './groups';
import { compareAlike, higherIsBetter } from './metric';
import type { DistanceKind, IDuplicateGroup, IPairLink } from './types';

/**
 * How far below the threshold a group's diameter must be for the group to be marked chained,
 * as a multiple of the threshold's own distance. Near-copies of one original are each within
 * the threshold of it, so by the triangle inequality any two of them are within twice the
 * threshold of each other: Euclidean and Manhattan distances add up, and so do the angles
 * behind cosine similarities (a similarity t is an angle acos(t); twice it is the
 * similarity 2t^2 - 1, 0.805 at 0.95). A diameter beyond that cannot come from copies of any
 * one member: no member is within the threshold of all the others, and the group holds
 * together only through a chain. So the mark never calls a group of copies chained; groups
 * less spread than this may still be chained, and the detail view shows their scores.
 */
export const CHAIN_FACTOR = 2;

/** The least alike pair of a group's members. */
export interface IDiameter {
  /**
   * The least alike pair among the kept pairs inside the group. Every pair above the scan's
   * floor inside a group is known after the scan's check, so a pair of members that is not
   * kept scored at or below the floor: `missing` counts them, and when it is above 0 the
   * true diameter is lower than the floor (and lower than `link.score`).
   */
  link: IPairLink;
  /** Pairs of members with no kept pair: below the scan's floor (beyond it for distances). */
  missing: number;
}

/**
 * The similarity (or distance) beyond which a diameter marks a group chained at `threshold`
 * (CHAIN_FACTOR), or null when no diameter can be: a similarity threshold outside (0, 1) has
 * no angle to double (a dot product of vectors that are not unit length).
 */
export function chainCutoff(
  threshold: number,
  distance: DistanceKind
): number | null {
  if (!higherIsBetter(distance)) {
    return threshold >= 0 ? CHAIN_FACTOR * threshold : null;
  }
  if (!(threshold > 0 && threshold < 1)) {
    return null;
  }
  return Math.cos(CHAIN_FACTOR * Math.acos(threshold));
}

/**
 * Whether a group with this diameter is chained at `threshold`. A missing pair scored at or
 * below the scan's floor: it marks the group only when the floor itself is at the cutoff or
 * beyond (a scan with a low floor explored at a stricter threshold); otherwise how far below
 * the floor it lies is unknown, and the group is not marked.
 */
export function isChained(
  diameter: IDiameter,
  threshold: number,
  floor: number,
  distance: DistanceKind
): boolean {
  const cutoff = chainCutoff(threshold, distance);
  if (cutoff === null) {
    return false;
  }
  if (diameter.missing > 0) {
    return compareAlike(floor, cutoff, distance) >= 0;
  }
  return compareAlike(diameter.link.score, cutoff, distance) > 0;
}

/**
 * The diameter of every group, in one pass over the pairs: O(points + pairs), however many
 * groups. Groups must not share members (as every grouping here).
 */
export function diameters(
  input: IGroupInput,
  groups: IDuplicateGroup[]
): IDiameter[] {
  const { pairs, distance } = input;
  const groupOf = new Int32Array(input.points.ids.length).fill(-1);
  groups.forEach((g, i) => g.members.forEach(m => (groupOf[m] = i)));
  const count = new Float64Array(groups.length);
  const worst = new Int32Array(groups.length).fill(-1);
  for (let k = 0; k < pairs.score.length; k++) {
    const g = groupOf[pairs.a[k]];
    if (g < 0 || g !== groupOf[pairs.b[k]]) {
      continue;
    }
    count[g]++;
    if (
      worst[g] < 0 ||
      compareAlike(pairs.score[k], pairs.score[worst[g]], distance) > 0
    ) {
      worst[g] = k;
    }
  }
  return groups.map((g, i) => {
    const n = g.members.length;
    const k = worst[i];
    return {
      link:
        k >= 0
          ? { a: pairs.a[k], b: pairs.b[k], score: pairs.score[k] }
          : { ...g.weakestLink },
      missing: (n * (n - 1)) / 2 - count[i]
    };
  });
}

/** Diameters computed elsewhere (the worker, resultExtras.ts), by groups array. */
const knownDiameters = new WeakMap<IDuplicateGroup[], IDiameter[]>();

/** Keeps diameters computed elsewhere for `groups` (one per group, in their order). */
export function adoptDiameters(
  groups: IDuplicateGroup[],
  values: IDiameter[]
): void {
  if (values.length === groups.length) {
    knownDiameters.set(groups, values);
  }
}

/** diameters(input, groups), or the ones adopted for this groups array. */
export function diametersOf(
  input: IGroupInput,
  groups: IDuplicateGroup[]
): IDiameter[] {
  return knownDiameters.get(groups) ?? diameters(input, groups);
}
