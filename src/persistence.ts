// What the panel keeps of a finished scan across panel close and page reload (IStateDB):
// only the points that have pairs, re-indexed, with the pairs as plain arrays. DOM-free.
import {
  DEFAULT_PLAN,
  IKeepPlan,
  kernelRules,
  populationOf,
  readRules
} from './plan';
import { regroup } from './scan/groups';
import type { SplitRecord } from './scan/linkage';
import { IReviewTag, readReview } from './scan/review';
import type {
  DistanceKind,
  PointId,
  IRecallEstimate,
  IScanPopulation,
  IScanResult
} from './scan/types';

export const SAVED_SCAN_VERSION = 1;

/** Beyond this many pairs the scan is not kept: the workspace would grow too large. */
export const MAX_SAVED_PAIRS = 200_000;

/** Longer thumbnail values (big data URIs) are not kept; their rows show a placeholder. */
export const MAX_SAVED_THUMBNAIL = 4096;

export interface ISavedScan {
  version: number;
  collection: string;
  using: string | null;
  distance: DistanceKind;
  /** The scan's own threshold: the loosest the kept pairs can be regrouped at. */
  threshold: number;
  /** The threshold the groups were shown at. */
  shownThreshold: number;
  finishedAt: number;
  /** The scan's id, so a reloaded scan's groups reach the kernel under the same `scan_id`. */
  scanId?: string;
  points: {
    ids: PointId[];
    sampleIds: string[];
    thumbnails: (string | null)[];
    splits: (string | null)[];
    /** Earlier scans' tags on the kept points, as the payload holds them (tagging.py's keys). */
    reviews?: (Record<string, unknown> | null)[];
  };
  pairs: { a: number[]; b: number[]; score: number[] };
  stats: IScanResult['stats'];
  /** The scan's check of its own completeness, so a reload still says how complete it is. */
  audit?: IRecallEstimate;
  /**
   * How many points the scan listed, in all and per split: the kept points are only those
   * with pairs, and the plan's shares are of all. Absent in scans kept before it.
   */
  population?: IScanPopulation;
  /** The Splits made on it (issue 15): each member's part, by kept point index. */
  splits?: { members: number[]; parts: number[] }[];
  /**
   * The keep-one plan on it (issue 14): rules in the kernel's keep= form (plan.ts
   * kernelRules), pinned keepers and groups marked "not duplicates" by groupId. Absent in
   * scans kept before plans, and while the plan is the default one.
   */
  plan?: {
    rules: unknown[];
    pins: Record<string, PointId>;
    notDuplicates: string[];
  };
}

/** The JSON-safe form of a scan, or null when it is too large to keep. */
export function saveScan(
  result: IScanResult,
  shownThreshold: number,
  finishedAt: number,
  scanId: string,
  splits: readonly SplitRecord[] = [],
  plan: IKeepPlan = DEFAULT_PLAN
): ISavedScan | null {
  const { a, b, score } = result.pairs;
  if (a.length > MAX_SAVED_PAIRS) {
    return null;
  }
  const remap = new Map<number, number>();
  const keep = (index: number): number => {
    let mapped = remap.get(index);
    if (mapped === undefined) {
      mapped = remap.size;
      remap.set(index, mapped);
    }
    return mapped;
  };
  const pairs = { a: [] as number[], b: [] as number[], score: [] as number[] };
  for (let k = 0; k < a.length; k++) {
    pairs.a.push(keep(a[k]));
    pairs.b.push(keep(b[k]));
    pairs.score.push(score[k]);
  }
  const points: ISavedScan['points'] = {
    ids: [],
    sampleIds: [],
    thumbnails: [],
    splits: [],
    ...(result.points.reviews ? { reviews: [] } : {})
  };
  for (const original of remap.keys()) {
    const thumbnail = result.points.thumbnails[original];
    points.ids.push(result.points.ids[original]);
    points.sampleIds.push(result.points.sampleIds[original]);
    points.thumbnails.push(
      thumbnail && thumbnail.length <= MAX_SAVED_THUMBNAIL ? thumbnail : null
    );
    points.splits.push(result.points.splits[original]);
    points.reviews?.push(savedReview(result.points.reviews?.[original]));
  }
  return {
    version: SAVED_SCAN_VERSION,
    collection: result.collection,
    using: result.using,
    distance: result.distance,
    threshold: result.threshold,
    shownThreshold,
    finishedAt,
    scanId,
    points,
    pairs,
    stats: result.stats,
    population: result.population ?? populationOf(result.points.splits),
    ...(result.audit ? { audit: result.audit } : {}),
    // A split's members are in groups, so they have pairs and are kept.
    ...(splits.length
      ? {
          splits: splits.map(split => ({
            members: [...split.keys()].map(m => remap.get(m)!),
            parts: [...split.values()]
          }))
        }
      : {}),
    ...(plan !== DEFAULT_PLAN
      ? {
          plan: {
            rules: kernelRules(plan.rules),
            pins: { ...plan.pins },
            notDuplicates: [...plan.notDuplicates]
          }
        }
      : {})
  };
}

/** The scan back, with its groups at the shown threshold; null for anything unexpected. */
export function restoreScan(saved: unknown): {
  result: IScanResult;
  shownThreshold: number;
  finishedAt: number;
  /** Null for a scan kept before ids were. */
  scanId: string | null;
  /** The Splits made on it; none when they were not kept or do not fit its points. */
  splits: SplitRecord[];
  /** The keep-one plan kept with it; null when none was (or it cannot be read). */
  plan: IKeepPlan | null;
} | null {
  if (!isSavedScan(saved)) {
    return null;
  }
  // The tags are read again, as from a payload: nothing kept is trusted as it was written.
  const { reviews: savedReviews, ...keptPoints } = saved.points;
  const result: IScanResult = {
    collection: saved.collection,
    using: saved.using,
    distance: saved.distance,
    threshold: saved.threshold,
    points: {
      ...keptPoints,
      ...readReviews(savedReviews, saved.points.ids.length)
    },
    pairs: {
      a: Uint32Array.from(saved.pairs.a),
      b: Uint32Array.from(saved.pairs.b),
      score: Float32Array.from(saved.pairs.score)
    },
    groups: [],
    stats: saved.stats,
    ...(isRecallEstimate(saved.audit) ? { audit: saved.audit } : {}),
    ...(isPopulation(saved.population) ? { population: saved.population } : {})
  };
  result.groups = regroup(result, saved.threshold);
  return {
    result,
    shownThreshold: saved.shownThreshold,
    finishedAt: saved.finishedAt,
    scanId: typeof saved.scanId === 'string' ? saved.scanId : null,
    splits: readSplits(saved.splits, saved.points.ids.length),
    plan: readPlan(saved.plan)
  };
}

/** A tag in the payload's own shape (snake_case), so it is read back by the same reader. */
function savedReview(
  tag: IReviewTag | null | undefined
): Record<string, unknown> | null {
  return tag
    ? {
        scan: tag.scan,
        group: tag.group,
        keep: tag.keep,
        threshold: tag.threshold,
        weakest_link: tag.weakestLink
      }
    : null;
}

/** Kept tags back (none when they were not kept or do not fit the points). */
function readReviews(
  value: unknown,
  points: number
): { reviews?: (IReviewTag | null)[] } {
  return Array.isArray(value) && value.length === points
    ? { reviews: value.map(readReview) }
    : {};
}

/** A kept plan back, or null when it is absent or not of the shape saveScan writes. */
function readPlan(value: unknown): IKeepPlan | null {
  const v = value as ISavedScan['plan'];
  if (typeof v !== 'object' || v === null) {
    return null;
  }
  const rules = readRules(v.rules);
  const pins =
    typeof v.pins === 'object' && v.pins !== null && !Array.isArray(v.pins)
      ? Object.entries(v.pins).filter(
          ([, p]) => typeof p === 'number' || typeof p === 'string'
        )
      : null;
  const marks = Array.isArray(v.notDuplicates)
    ? v.notDuplicates.filter((g): g is string => typeof g === 'string')
    : null;
  if (!rules || !pins || !marks) {
    return null;
  }
  return { rules, pins: Object.fromEntries(pins), notDuplicates: marks };
}

/** Kept splits back as records, or none when any of them does not fit the points. */
function readSplits(value: unknown, points: number): SplitRecord[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const index = (x: unknown, below: number): boolean =>
    Number.isInteger(x) && (x as number) >= 0 && (x as number) < below;
  const fits = value.every(
    s =>
      typeof s === 'object' &&
      s !== null &&
      Array.isArray(s.members) &&
      Array.isArray(s.parts) &&
      s.members.length === s.parts.length &&
      s.members.every((m: unknown) => index(m, points)) &&
      s.parts.every((p: unknown) => index(p, points))
  );
  return fits
    ? value.map(
        (s: { members: number[]; parts: number[] }) =>
          new Map(s.members.map((m, i) => [m, s.parts[i]]))
      )
    : [];
}

function isSavedScan(value: unknown): value is ISavedScan {
  const v = value as ISavedScan;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === SAVED_SCAN_VERSION &&
    typeof v.collection === 'string' &&
    typeof v.threshold === 'number' &&
    typeof v.shownThreshold === 'number' &&
    Array.isArray(v.points?.ids) &&
    Array.isArray(v.pairs?.a) &&
    v.pairs.a.length === v.pairs.b?.length &&
    v.pairs.a.length === v.pairs.score?.length &&
    v.pairs.a.every(
      i => Number.isInteger(i) && i >= 0 && i < v.points.ids.length
    ) &&
    v.pairs.b.every(
      i => Number.isInteger(i) && i >= 0 && i < v.points.ids.length
    )
  );
}

function isPopulation(value: unknown): value is IScanPopulation {
  const v = value as IScanPopulation;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(v.points) &&
    typeof v.splits === 'object' &&
    v.splits !== null &&
    Object.values(v.splits).every(n => Number.isInteger(n))
  );
}

/** A kept estimate is shown again only when it has the shape the panel reads. */
function isRecallEstimate(value: unknown): value is IRecallEstimate {
  const v = value as IRecallEstimate;
  const numberOrNull = (x: unknown) =>
    x === null || (typeof x === 'number' && Number.isFinite(x));
  return (
    typeof v === 'object' &&
    v !== null &&
    [
      'sampled',
      'pairs',
      'found',
      'missedPoints',
      'unreachable',
      'searchedExactly'
    ].every(key =>
      Number.isInteger((v as unknown as Record<string, unknown>)[key])
    ) &&
    numberOrNull(v.recall) &&
    numberOrNull(v.low) &&
    numberOrNull(v.high) &&
    ['by-id', 'sure', 'exact'].includes(v.route) &&
    (v.cure === null ||
      (typeof v.cure === 'object' &&
        ['sure', 'exact'].includes(v.cure.route) &&
        typeof v.cure.seconds === 'number'))
  );
}
