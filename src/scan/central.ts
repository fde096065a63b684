// The keep-one plan's "most central" rule (plan.ts): each member's mean score to the others in
// its group, as dense ranks per group. DOM-free and free of JupyterLab imports, so the scan
// worker runs it off the page's thread (a million points took 1.4 s there, issue 16) and
// plan.ts runs the very same code when there is no worker to ask.
import { higherIsBetter } from './metric';
import type { DistanceKind, IDuplicateGroup, IPairList } from './types';

/** Mean scores rounded as the kernel rounds them, so float32 and float64 scores tie alike. */
export const CENTRAL_DECIMALS = 6;

/** What "most central" reads: the scan's kept pairs, their distance and the scan's floor. */
export interface ICentralInput {
  pairs: IPairList;
  distance: DistanceKind;
  /** A pair of members that was not kept is counted at the floor (an estimate). */
  floor: number;
}

/** The groups' members, group after group: group g's are members[start[g]] to members[start[g + 1] - 1]. */
export interface IGroupMembers {
  start: Uint32Array;
  members: Uint32Array;
}

/** "Most central" for a list of groups, aligned with their members (IGroupMembers' order). */
export interface ICentralRanks {
  /** As in IGroupMembers: group g's ranks are rank[start[g]] to rank[start[g + 1] - 1]. */
  start: Uint32Array;
  /** Each member's dense rank in its group by rounded mean score: 0 is the most central. */
  rank: Uint32Array;
  /** Per group: 1 when a member's mean counted a pair at the floor (not kept by the scan). */
  estimated: Uint8Array;
}

/** The members of `groups` as IGroupMembers (to send to the worker). */
export function membersOf(
  groups: ReadonlyArray<Pick<IDuplicateGroup, 'members'>>
): IGroupMembers {
  const start = new Uint32Array(groups.length + 1);
  groups.forEach((g, i) => (start[i + 1] = start[i] + g.members.length));
  const members = new Uint32Array(start[groups.length]);
  groups.forEach((g, i) => members.set(g.members, start[i]));
  return { start, members };
}

/**
 * Each member's mean score to the others in its group, in one pass over the pairs (a pair
 * inside no group, or across two, is skipped), then dense ranks of the rounded means per
 * group, best first.
 */
export function centralRanks(
  groups: IGroupMembers,
  input: ICentralInput
): ICentralRanks {
  const { start, members } = groups;
  const count = start.length - 1;
  let n = 0;
  for (let i = 0; i < members.length; i++) {
    n = Math.max(n, members[i] + 1);
  }
  // Point index -> position in `members` (-1: in no group) and its group.
  const at = new Int32Array(n).fill(-1);
  const groupOf = new Int32Array(n);
  for (let g = 0; g < count; g++) {
    for (let k = start[g]; k < start[g + 1]; k++) {
      at[members[k]] = k;
      groupOf[members[k]] = g;
    }
  }
  const sum = new Float64Array(members.length);
  const seen = new Uint32Array(members.length);
  const { a, b, score } = input.pairs;
  for (let k = 0; k < score.length; k++) {
    const x = a[k] < n ? at[a[k]] : -1;
    const y = b[k] < n ? at[b[k]] : -1;
    if (x < 0 || y < 0 || groupOf[a[k]] !== groupOf[b[k]]) {
      continue;
    }
    sum[x] += score[k];
    seen[x]++;
    sum[y] += score[k];
    seen[y]++;
  }
  const rank = new Uint32Array(members.length);
  const estimated = new Uint8Array(count);
  const higher = higherIsBetter(input.distance);
  for (let g = 0; g < count; g++) {
    const others = start[g + 1] - start[g] - 1;
    const means: number[] = [];
    for (let k = start[g]; k < start[g + 1]; k++) {
      const unknown = others - seen[k];
      if (unknown > 0) {
        estimated[g] = 1;
      }
      means.push(
        roundMean((sum[k] + unknown * input.floor) / Math.max(1, others))
      );
    }
    rank.set(denseRanks(means, higher), start[g]);
  }
  return { start: start.slice(), rank, estimated };
}

/** Whether `ranks` can be those of `groups` (computed elsewhere: the worker): their shape fits. */
export function ranksFit(
  ranks: unknown,
  groups: ReadonlyArray<Pick<IDuplicateGroup, 'members'>>
): ranks is ICentralRanks {
  if (typeof ranks !== 'object' || ranks === null) {
    return false;
  }
  const r = ranks as Partial<ICentralRanks>;
  if (
    !(r.start instanceof Uint32Array) ||
    !(r.rank instanceof Uint32Array) ||
    !(r.estimated instanceof Uint8Array) ||
    r.start.length !== groups.length + 1 ||
    r.estimated.length !== groups.length ||
    r.start[0] !== 0 ||
    r.start[groups.length] !== r.rank.length
  ) {
    return false;
  }
  for (let g = 0; g < groups.length; g++) {
    if (r.start[g + 1] - r.start[g] !== groups[g].members.length) {
      return false;
    }
  }
  return true;
}

/** The buffers of ranks, to transfer with them. */
export function ranksTransferables(ranks: ICentralRanks): ArrayBuffer[] {
  return [ranks.start, ranks.rank, ranks.estimated].map(
    x => x.buffer as ArrayBuffer
  );
}

function roundMean(x: number): number {
  return Math.round(x * 10 ** CENTRAL_DECIMALS) / 10 ** CENTRAL_DECIMALS;
}

/**
 * Dense ranks of values, best first (the kernel: the distinct values sorted, highest first
 * when `highest`); null (no value) ranks after every value. The plan's rules all rank so.
 */
export function denseRanks(
  values: (number | string | null)[],
  highest: boolean
): number[] {
  const distinct = [
    ...new Set(values.filter((v): v is number | string => v !== null))
  ].sort((a, b) => (highest ? compare(b, a) : compare(a, b)));
  const rank = new Map(distinct.map((v, i) => [v, i]));
  return values.map(v => (v === null ? distinct.length : rank.get(v)!));
}

function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
