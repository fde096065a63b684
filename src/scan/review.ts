// What an earlier pass left on a point: the payload value `plan.tag()` writes in the kernel
// (jupyterlab_near_duplicates/tagging.py), read back when a later scan lists the points, so
// the panel can mark members already reviewed. DOM-free: it runs in the worker.

/** The payload field `plan.tag()` writes by default (tagging.py's DEFAULT_FIELD). */
export const REVIEW_FIELD = 'near_duplicate';

/** One member's tag from an earlier scan: `{group, keep, scan, threshold, weakest_link}`. */
export interface IReviewTag {
  /** The scan that tagged it (its `scan_id`). */
  scan: string;
  /** Its group's index in that scan's `nd.groups()`. */
  group: number;
  /** Kept (true) or dropped (false) by that scan's plan. */
  keep: boolean;
  threshold: number | null;
  weakestLink: number | null;
}

/**
 * A payload value read as a tag, or null when it is not one (absent, another shape, another
 * tool's field of the same name). Only the tag's own keys are read, and only as numbers,
 * booleans and a string: nothing of it is ever markup.
 */
export function readReview(value: unknown): IReviewTag | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const v = value as Record<string, unknown>;
  const number = (x: unknown): number | null =>
    typeof x === 'number' && Number.isFinite(x) ? x : null;
  if (
    typeof v.scan !== 'string' ||
    v.scan === '' ||
    typeof v.keep !== 'boolean' ||
    !Number.isInteger(v.group) ||
    (v.group as number) < 0
  ) {
    return null;
  }
  return {
    scan: v.scan,
    group: v.group as number,
    keep: v.keep,
    threshold: number(v.threshold),
    weakestLink: number(v.weakest_link)
  };
}

/** The members of `members` that carry a tag, in order. */
export function reviewedMembers(
  members: readonly number[],
  reviews: readonly (IReviewTag | null)[] | undefined
): number[] {
  return reviews ? members.filter(m => !!reviews[m]) : [];
}
