// A finished scan crosses to the panel in parts (issue 16): the page's thread decodes each
// postMessage in one task, and a million points' ids, sample ids, thumbnails and splits plus
// the groups took about half a second to decode in one piece. Posted as parts of about
// RESULT_PART_ITEMS values each, every part decodes in a task of a few milliseconds, and the
// page assembles them as they come. DOM-free: the worker splits, the panel's model assembles.
import type { IDuplicateGroup, IScanPoints, IScanResult } from './types';

/** About this many values (array entries) per part: 25k points decode in a few ms here. */
export const RESULT_PART_ITEMS = 100_000;

/** A slice of the points (from index `from` on) or a run of groups, in the result's order. */
export type ResultPart =
  | {
      kind: 'points';
      from: number;
      ids: IScanPoints['ids'];
      sampleIds: IScanPoints['sampleIds'];
      thumbnails: IScanPoints['thumbnails'];
      splits: IScanPoints['splits'];
    }
  | { kind: 'groups'; groups: IDuplicateGroup[] };

/**
 * The parts of `result`'s points and groups, and the result without them (its points arrays
 * and groups empty, everything else as it is: pairs, stats, audit, splitSizes).
 */
export function splitResult(
  result: IScanResult,
  items = RESULT_PART_ITEMS
): { head: IScanResult; parts: ResultPart[] } {
  const { points, groups } = result;
  const parts: ResultPart[] = [];
  const n = points.ids.length;
  const step = Math.max(1, Math.floor(items / 4));
  for (let from = 0; from < n; from += step) {
    const to = Math.min(n, from + step);
    parts.push({
      kind: 'points',
      from,
      ids: points.ids.slice(from, to),
      sampleIds: points.sampleIds.slice(from, to),
      thumbnails: points.thumbnails.slice(from, to),
      splits: points.splits.slice(from, to)
    });
  }
  let run: IDuplicateGroup[] = [];
  let size = 0;
  for (const g of groups) {
    run.push(g);
    size += 3 * g.members.length + 8;
    if (size >= items) {
      parts.push({ kind: 'groups', groups: run });
      run = [];
      size = 0;
    }
  }
  if (run.length) {
    parts.push({ kind: 'groups', groups: run });
  }
  const head: IScanResult = {
    ...result,
    points: {
      ...points,
      ids: [],
      sampleIds: [],
      thumbnails: [],
      splits: []
    },
    groups: []
  };
  return { head, parts };
}

/** Collects the parts of one scan's result on the panel's side, as they arrive. */
export class ResultAssembler {
  /** Takes a part of scan `scanId`; parts of another scan than the last one start afresh. */
  add(scanId: string, part: ResultPart): void {
    if (scanId !== this._scanId) {
      this.reset(scanId);
    }
    if (part.kind === 'points') {
      const { points } = this;
      if (part.from !== points.ids.length) {
        this._broken = true; // a part lost or out of order: finish() says so
        return;
      }
      append(points.ids, part.ids);
      append(points.sampleIds, part.sampleIds);
      append(points.thumbnails, part.thumbnails);
      append(points.splits, part.splits);
    } else {
      append(this.groups, part.groups);
    }
    this._count++;
  }

  /**
   * The whole result: the head with the parts' points and groups; null when `parts` parts
   * of this scan did not all arrive in order (the panel then reports a failed scan).
   */
  finish(scanId: string, head: IScanResult, parts: number): IScanResult | null {
    const ok =
      (parts === 0 || scanId === this._scanId) &&
      !this._broken &&
      this._count === parts;
    const points = parts === 0 ? head.points : this.points;
    const groups = parts === 0 ? head.groups : this.groups;
    this.reset(null);
    if (!ok) {
      return null;
    }
    return {
      ...head,
      points: { ...head.points, ...pick(points) },
      groups
    };
  }

  private reset(scanId: string | null): void {
    this._scanId = scanId;
    this._count = 0;
    this._broken = false;
    this.points = { ids: [], sampleIds: [], thumbnails: [], splits: [] };
    this.groups = [];
  }

  private _scanId: string | null = null;
  private _count = 0;
  private _broken = false;
  private points: Pick<
    IScanPoints,
    'ids' | 'sampleIds' | 'thumbnails' | 'splits'
  > = { ids: [], sampleIds: [], thumbnails: [], splits: [] };
  private groups: IDuplicateGroup[] = [];
}

function pick(
  points: Pick<IScanPoints, 'ids' | 'sampleIds' | 'thumbnails' | 'splits'>
): Pick<IScanPoints, 'ids' | 'sampleIds' | 'thumbnails' | 'splits'> {
  const { ids, sampleIds, thumbnails, splits } = points;
  return { ids, sampleIds, thumbnails, splits };
}

/** push(...items) without the argument-count limit of a spread. */
function append<T>(to: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) {
    to.push(items[i]);
  }
}
