// Members an earlier pass already reviewed (issue 14, section 3): `plan.tag()` in a notebook
// wrote a `near_duplicate` payload value on them, and a later scan read it back. A badge on
// the group and a mark on each tagged member, with words saying which scan tagged it, at
// which threshold, and whether it was kept. Every word is text: nothing of the payload is markup.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatThreshold } from '../format';
import { IReviewTag, reviewedMembers } from '../scan/review';
import type { DistanceKind, IScanPoints } from '../scan/types';
import { untranslated } from '../translation';

/** What one member's tag says: "tagged by scan scan-x at threshold 0.95: kept". */
export function reviewWords(
  tag: IReviewTag,
  distance: DistanceKind,
  trans: TranslationBundle = untranslated
): string {
  const t =
    tag.threshold === null ? '?' : formatThreshold(tag.threshold, distance);
  return tag.keep
    ? trans.__('tagged by scan %1 at threshold %2: kept', tag.scan, t)
    : trans.__('tagged by scan %1 at threshold %2: dropped', tag.scan, t);
}

/** The group's badge text alternative: how many members are tagged, by which scans. */
export function reviewSummary(
  members: readonly number[],
  points: IScanPoints,
  distance: DistanceKind,
  trans: TranslationBundle = untranslated
): string | null {
  const tagged = reviewedMembers(members, points.reviews);
  if (tagged.length === 0) {
    return null;
  }
  const tags = tagged.map(m => points.reviews![m]!);
  const kept = tags.filter(t => t.keep).length;
  const scans = [...new Set(tags.map(t => t.scan))];
  const head = trans.__(
    'Reviewed: %1 of %2 members carry a tag from an earlier scan (%3 kept, %4 dropped).',
    formatCount(tagged.length),
    formatCount(members.length),
    formatCount(kept),
    formatCount(tagged.length - kept)
  );
  const by =
    scans.length === 1
      ? trans.__(
          'Tagged by scan %1 at threshold %2.',
          scans[0],
          tags[0].threshold === null
            ? '?'
            : formatThreshold(tags[0].threshold, distance)
        )
      : trans.__('Tagged by %1 scans: %2.', scans.length, scans.join(', '));
  return `${head} ${by}`;
}

/** The "reviewed" badge of a group, or nothing when no member carries a tag. */
export function ReviewBadge(props: {
  members: readonly number[];
  points: IScanPoints;
  distance: DistanceKind;
  trans?: TranslationBundle;
}): JSX.Element | null {
  const { members, points, distance, trans = untranslated } = props;
  const summary = reviewSummary(members, points, distance, trans);
  if (!summary) {
    return null;
  }
  const tagged = reviewedMembers(members, points.reviews).length;
  return (
    <span
      className="jp-NearDuplicates-badge jp-NearDuplicates-reviewedBadge"
      title={summary}
    >
      {tagged === members.length
        ? trans.__('reviewed')
        : trans.__('reviewed %1/%2', tagged, members.length)}
    </span>
  );
}

/**
 * A member's preview with its tag: the child (a Thumbnail) inside a frame coloured by kept
 * or dropped, and a corner mark. Without a tag, the child alone.
 */
export function ReviewMark(props: {
  tag: IReviewTag | null | undefined;
  name: string;
  distance: DistanceKind;
  trans?: TranslationBundle;
  children: React.ReactNode;
}): JSX.Element {
  const { tag, name, distance, trans = untranslated, children } = props;
  if (!tag) {
    return <>{children}</>;
  }
  const words = `${name}: ${reviewWords(tag, distance, trans)}`;
  return (
    <span
      className={
        'jp-NearDuplicates-reviewedMember ' +
        (tag.keep
          ? 'jp-NearDuplicates-reviewedKeep'
          : 'jp-NearDuplicates-reviewedDrop')
      }
      title={words}
      aria-label={words}
      role="img"
    >
      {children}
      <span className="jp-NearDuplicates-reviewMark" aria-hidden="true">
        {tag.keep ? '✓' : '×'}
      </span>
    </span>
  );
}
