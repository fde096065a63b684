// Chaining, stopped (issue 15): Split at a group's weakest links, and the groups by single or
// complete linkage with the splits made so far. All from the scan's kept pairs, so none of it
// sends a request. groups.ts forms the single-linkage groups; this refines them.
import { completeClusters } from './completeLinkage';
import { regroup } from './groups';
import { compareAlike, passes } from './metric';
import { UnionFind } from './unionFind';
import type {
  DistanceKind,
  IDuplicateGroup,
  IPairLink,
  IScanPoints
} from './types';
import type { IGroupInput } from './groups';

/** How groups are formed from the pairs that pass the threshold. */
export type Linkage = 'single' | 'complete';

/** A scan's pairs and the threshold it scanned at (the floor below which nothing is kept). */
export interface IChainInput extends IGroupInput {
  threshold: number;
}

/**
 * A scan's kept pairs by point (compressed rows), for the work on one group at a time: a
 * group's pairs cost the sum of its members' degrees. Built once per pairs object.
 */
export interface INeighbours {
  start: Uint32Array;
  other: Uint32Array;
  score: Float32Array;
}

const neighbourCache = new WeakMap<Float32Array, INeighbours>();

export function neighboursOf(input: IGroupInput): INeighbours {
  const { pairs } = input;
  const hit = neighbourCache.get(pairs.score);
  if (hit) {
    return hit;
  }
  const m = pairs.score.length;
  let n = input.points.ids.length;
  for (let k = 0; k < m; k++) {
    n = Math.max(n, pairs.a[k] + 1, pairs.b[k] + 1);
  }
  const start = new Uint32Array(n + 1);
  for (let k = 0; k < m; k++) {
    start[pairs.a[k] + 1]++;
    start[pairs.b[k] + 1]++;
  }
  for (let i = 0; i < n; i++) {
    start[i + 1] += start[i];
  }
  const at = start.slice(0, n);
  const other = new Uint32Array(2 * m);
  const score = new Float32Array(2 * m);
  for (let k = 0; k < m; k++) {
    const a = pairs.a[k];
    const b = pairs.b[k];
    other[at[a]] = b;
    score[at[a]++] = pairs.score[k];
    other[at[b]] = a;
    score[at[b]++] = pairs.score[k];
  }
  const out = { start, other, score };
  neighbourCache.set(pairs.score, out);
  return out;
}

/** Says whether the link between two points was cut (by a Split). */
export type CutTest = (a: number, b: number) => boolean;

/**
 * The kept pairs inside a set of members, each once (a < b), most alike first (ties by
 * a, then b), keeping those `keep` accepts.
 */
export function pairsWithin(
  neighbours: INeighbours,
  members: readonly number[],
  distance: DistanceKind,
  keep: (score: number, a: number, b: number) => boolean = () => true
): IPairLink[] {
  const inside = new Set(members);
  const out: IPairLink[] = [];
  for (const a of members) {
    for (let k = neighbours.start[a]; k < neighbours.start[a + 1]; k++) {
      const b = neighbours.other[k];
      const score = neighbours.score[k];
      if (a < b && inside.has(b) && keep(score, a, b)) {
        out.push({ a, b, score });
      }
    }
  }
  return out.sort(
    (x, y) => compareAlike(x.score, y.score, distance) || x.a - y.a || x.b - y.b
  );
}

/**
 * A group as the list shows it, from its members and its links (most alike first): the
 * weakest link is the last that joins two parts in Kruskal order, as in groups.ts.
 */
export function describeGroup(
  points: IScanPoints,
  members: readonly number[],
  links: readonly IPairLink[]
): IDuplicateGroup {
  const sorted = [...members].sort((x, y) => x - y);
  const local = new Map(sorted.map((m, i) => [m, i]));
  const uf = new UnionFind(sorted.length);
  const degree = new Int32Array(sorted.length);
  let weakest = links[0];
  for (const link of links) {
    const x = local.get(link.a)!;
    const y = local.get(link.b)!;
    degree[x]++;
    degree[y]++;
    if (uf.find(x) !== uf.find(y)) {
      uf.union(x, y);
      weakest = link;
    }
  }
  let representative = -1;
  let top = 0;
  sorted.forEach((m, i) => {
    if (degree[i] > top) {
      top = degree[i];
      representative = m;
    }
  });
  return {
    key: sorted[0],
    members: sorted,
    pointIds: sorted.map(m => points.ids[m]),
    sampleIds: sorted.map(m => points.sampleIds[m]),
    links: links.length,
    bestScore: links[0].score,
    worstScore: links[links.length - 1].score,
    weakestLink: { ...weakest },
    representative
  };
}

/** Components (two members or more) of `members` over `links`, each with its own links. */
function components(
  members: readonly number[],
  links: readonly IPairLink[]
): { members: number[]; links: IPairLink[] }[] {
  const local = new Map(members.map((m, i) => [m, i]));
  const uf = new UnionFind(members.length);
  for (const link of links) {
    uf.union(local.get(link.a)!, local.get(link.b)!);
  }
  const byRoot = new Map<number, { members: number[]; links: IPairLink[] }>();
  for (const link of links) {
    const root = uf.find(local.get(link.a)!);
    let part = byRoot.get(root);
    if (!part) {
      part = { members: [], links: [] };
      byRoot.set(root, part);
    }
    part.links.push(link);
  }
  members.forEach((m, i) => byRoot.get(uf.find(i))?.members.push(m));
  return [...byRoot.values()];
}

/**
 * Split: the parts a group falls into when cut at its weakest links, that is the components
 * of its links that are strictly more alike than its weakest link (every link as weak as it
 * is cut at once, so ties go together). Members left alone are in no part. Each part holds
 * more tightly than the group did; Split again to cut further.
 */
export function splitParts(
  input: IGroupInput,
  group: IDuplicateGroup,
  isCut: CutTest = () => false
): number[][] {
  const { distance } = input;
  const weakest = group.weakestLink.score;
  const links = pairsWithin(
    neighboursOf(input),
    group.members,
    distance,
    (score, a, b) => compareAlike(score, weakest, distance) < 0 && !isCut(a, b)
  );
  return components(group.members, links)
    .map(part => part.members.sort((x, y) => x - y))
    .sort((x, y) => y.length - x.length || x[0] - y[0]);
}

/** The list's order: largest first, then the best link first, then the smallest member. */
export function sortGroups(
  groups: IDuplicateGroup[],
  distance: DistanceKind
): IDuplicateGroup[] {
  return groups.sort(
    (g, h) =>
      h.members.length - g.members.length ||
      compareAlike(g.bestScore, h.bestScore, distance) ||
      g.key - h.key
  );
}

/**
 * Cuts made by Split: each maps the members of the group it split to the part they went to.
 * A link is cut when some split put its two ends in different parts (a member left alone is
 * a part of its own).
 */
export type SplitRecord = ReadonlyMap<number, number>;

/** The cut test for a list of splits. */
export function cutTest(splits: readonly SplitRecord[]): CutTest {
  return (a, b) =>
    splits.some(s => {
      const pa = s.get(a);
      const pb = s.get(b);
      return pa !== undefined && pb !== undefined && pa !== pb;
    });
}

/** What a Split of `group` into `parts` records: each member's part (a lone member, its own). */
export function recordSplit(
  group: IDuplicateGroup,
  parts: number[][]
): SplitRecord {
  const record = new Map<number, number>();
  parts.forEach((part, i) => part.forEach(m => record.set(m, i)));
  let alone = parts.length;
  for (const m of group.members) {
    if (!record.has(m)) {
      record.set(m, alone++);
    }
  }
  return record;
}

export interface IGroupingOptions {
  linkage?: Linkage;
  splits?: readonly SplitRecord[];
}

/**
 * The groups at `threshold` by the chosen linkage, with the splits made so far: single-linkage
 * groups (groups.ts), then each group that is not already a clique (for complete linkage) or
 * that a split touched is formed again from its own links. Groups nothing touches are the
 * same objects as regroup's, in the same order.
 */
export function groupScan(
  input: IChainInput,
  threshold: number,
  options: IGroupingOptions = {}
): IDuplicateGroup[] {
  const single = regroup(input, threshold);
  const linkage = options.linkage ?? 'single';
  const splits = options.splits ?? [];
  if (linkage === 'single' && splits.length === 0) {
    return single;
  }
  const { distance, points } = input;
  const isCut = cutTest(splits);
  const split = new Set<number>();
  splits.forEach(s => s.forEach((_, m) => split.add(m)));
  const out: IDuplicateGroup[] = [];
  let changed = false;
  for (const group of single) {
    const n = group.members.length;
    const clique = group.links === (n * (n - 1)) / 2;
    const touched = group.members.some(m => split.has(m));
    if ((linkage === 'single' || clique) && !touched) {
      out.push(group);
      continue;
    }
    changed = true;
    const links = pairsWithin(
      neighboursOf(input),
      group.members,
      distance,
      (score, a, b) => passes(score, threshold, distance) && !isCut(a, b)
    );
    if (linkage === 'complete') {
      // Each link to its cluster in one pass (a filter per cluster is quadratic in a big group).
      const clusters = completeClusters(group.members, links, distance);
      const clusterOf = new Map<number, number>();
      clusters.forEach((c, i) => c.forEach(m => clusterOf.set(m, i)));
      const own: IPairLink[][] = clusters.map(() => []);
      for (const link of links) {
        const c = clusterOf.get(link.a);
        if (c !== undefined && c === clusterOf.get(link.b)) {
          own[c].push(link);
        }
      }
      clusters.forEach((c, i) => out.push(describeGroup(points, c, own[i])));
    } else {
      for (const part of components(group.members, links)) {
        out.push(describeGroup(points, part.members, part.links));
      }
    }
  }
  return changed ? sortGroups(out, distance) : single;
}

/** Above this many members a group's order is its members' own (the spanning order is quadratic). */
export const SPANNING_ORDER_MAX = 1000;

/**
 * Members in the order a maximum spanning tree reaches them from the smallest (Prim's): the
 * next is always the one most alike to any already placed (ties to the smallest index), so
 * the tightly held parts of a chained group sit together and its weak links come between
 * them. Members not linked to those placed start again from the smallest left.
 */
export function spanningOrder(
  members: readonly number[],
  links: readonly IPairLink[],
  distance: DistanceKind
): number[] {
  const sorted = [...members].sort((x, y) => x - y);
  if (sorted.length > SPANNING_ORDER_MAX || sorted.length === 0) {
    return sorted;
  }
  const local = new Map(sorted.map((m, i) => [m, i]));
  const adjacent: IPairLink[][] = sorted.map(() => []);
  for (const link of links) {
    adjacent[local.get(link.a)!].push(link);
    adjacent[local.get(link.b)!].push(link);
  }
  const placed = new Array<boolean>(sorted.length).fill(false);
  const best = new Array<number | null>(sorted.length).fill(null);
  const order: number[] = [];
  for (let start = 0; start < sorted.length; start++) {
    if (placed[start]) {
      continue;
    }
    let next: number = start;
    while (next >= 0) {
      placed[next] = true;
      order.push(sorted[next]);
      for (const link of adjacent[next]) {
        const other = local.get(link.a === sorted[next] ? link.b : link.a)!;
        const known = best[other];
        if (
          !placed[other] &&
          (known === null || compareAlike(link.score, known, distance) < 0)
        ) {
          best[other] = link.score;
        }
      }
      next = -1;
      for (let i = 0; i < sorted.length; i++) {
        const score = best[i];
        if (
          !placed[i] &&
          score !== null &&
          (next < 0 || compareAlike(score, best[next]!, distance) < 0)
        ) {
          next = i;
        }
      }
    }
  }
  return order;
}
