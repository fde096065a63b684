// The words for chaining (issue 15): why a group is marked chained, and what its diameter is.
// One place, read by the group list's badge and the group detail view.
import type { TranslationBundle } from '@jupyterlab/translation';
import { formatCount, formatScore, formatThreshold } from '../format';
import type { GroupShaping } from '../grouping';
import type { IScanOutcome } from '../modelTypes';
import { chainCutoff, IDiameter } from '../scan/chain';
import { higherIsBetter } from '../scan/metric';
import type { DistanceKind, IDuplicateGroup, IScanPoints } from '../scan/types';
import { untranslated } from '../translation';

/** The diameter in a few words: "0.7190 (s1 and s7)" or "at or below 0.80, the scan's floor". */
export function describeDiameter(
  diameter: IDiameter,
  floor: number,
  distance: DistanceKind,
  name: (member: number) => string,
  trans: TranslationBundle = untranslated
): string {
  if (diameter.missing > 0) {
    const pairs = trans._n(
      '%2 pair',
      '%2 pairs',
      diameter.missing,
      formatCount(diameter.missing)
    );
    return higherIsBetter(distance)
      ? trans.__(
          "at or below %1, the scan's floor (%2)",
          formatThreshold(floor, distance),
          pairs
        )
      : trans.__(
          "at or beyond %1, the scan's floor (%2)",
          formatThreshold(floor, distance),
          pairs
        );
  }
  const { a, b, score } = diameter.link;
  return trans.__(
    '%1 (%2 and %3)',
    formatScore(score, distance),
    name(a),
    name(b)
  );
}

/** The chained badge's text alternative: what the mark says and why. */
export function chainedTitle(
  diameter: IDiameter,
  threshold: number,
  floor: number,
  distance: DistanceKind,
  name: (member: number) => string,
  trans: TranslationBundle = untranslated
): string {
  const cutoff = chainCutoff(threshold, distance) ?? NaN;
  const least = describeDiameter(diameter, floor, distance, name, trans);
  const t = formatThreshold(threshold, distance);
  return higherIsBetter(distance)
    ? trans.__(
        'Chained: its least alike members score %1, below %2, lower than any two copies of one sample at threshold %3 can score. It holds together only through a chain of pairs: open its details to split it.',
        least,
        formatScore(cutoff, distance),
        t
      )
    : trans.__(
        'Chained: its farthest members are %1 apart, farther than %2, twice the maximum distance %3. It holds together only through a chain of pairs: open its details to split it.',
        least,
        formatScore(cutoff, distance),
        t
      );
}

/** The chained mark's text for a group on show, or null when the group is not chained. */
export function chainedNote(
  outcome: IScanOutcome,
  shaping: GroupShaping,
  group: IDuplicateGroup,
  trans: TranslationBundle = untranslated
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
    memberName(result.points),
    trans
  );
}

/** A member's name: its sample id, or its point id. */
export function memberName(points: IScanPoints): (member: number) => string {
  return m => points.sampleIds[m] ?? String(points.ids[m]);
}
