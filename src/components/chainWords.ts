// The words for chaining (issue 15): why a group is marked chained, and what its diameter is.
// One place, read by the group list's badge and the group detail view.
import { formatScore, formatThreshold } from '../format';
import type { GroupShaping } from '../grouping';
import type { IScanOutcome } from '../modelTypes';
import { chainCutoff, IDiameter } from '../scan/chain';
import { higherIsBetter } from '../scan/metric';
import type { DistanceKind, IDuplicateGroup, IScanPoints } from '../scan/types';

/** The diameter in a few words: "0.7190 (s1 and s7)" or "at or below 0.80, the scan's floor". */
export function describeDiameter(
  diameter: IDiameter,
  floor: number,
  distance: DistanceKind,
  name: (member: number) => string
): string {
  if (diameter.missing > 0) {
    const pairs =
      diameter.missing === 1 ? '1 pair' : `${diameter.missing} pairs`;
    return higherIsBetter(distance)
      ? `at or below ${formatThreshold(floor, distance)}, the scan's floor (${pairs})`
      : `at or beyond ${formatThreshold(floor, distance)}, the scan's floor (${pairs})`;
  }
  const { a, b, score } = diameter.link;
  return `${formatScore(score, distance)} (${name(a)} and ${name(b)})`;
}

/** The chained badge's text alternative: what the mark says and why. */
export function chainedTitle(
  diameter: IDiameter,
  threshold: number,
  floor: number,
  distance: DistanceKind,
  name: (member: number) => string
): string {
  const cutoff = chainCutoff(threshold, distance) ?? NaN;
  const least = describeDiameter(diameter, floor, distance, name);
  const t = formatThreshold(threshold, distance);
  return higherIsBetter(distance)
    ? `Chained: its least alike members score ${least}, below ` +
        `${formatScore(cutoff, distance)}, lower than any two copies of one sample at ` +
        `threshold ${t} can score. It holds together only through a chain of pairs: ` +
        'open its details to split it.'
    : `Chained: its farthest members are ${least} apart, farther than ` +
        `${formatScore(cutoff, distance)}, twice the maximum distance ${t}. It holds ` +
        'together only through a chain of pairs: open its details to split it.';
}

/** The chained mark's text for a group on show, or null when the group is not chained. */
export function chainedNote(
  outcome: IScanOutcome,
  shaping: GroupShaping,
  group: IDuplicateGroup
): string | null {
  const { result, groups, threshold } = outcome;
  const diameter = shaping.diameterOf(result, groups, group);
  if (!diameter || !shaping.chained(result, groups, threshold, group)) {
    return null;
  }
  return chainedTitle(
    diameter,
    threshold,
    result.threshold,
    result.distance,
    memberName(result.points)
  );
}

/** A member's name: its sample id, or its point id. */
export function memberName(points: IScanPoints): (member: number) => string {
  return m => points.sampleIds[m] ?? String(points.ids[m]);
}
