// The check phase: exact queries for the pairs an approximate search can miss, inside the
// groups the main pass found, and (sure route, sureExact 'unreachable') among the points the
// index cannot reach. Each query compares with the named points only (a has_id filter), so
// it is cheap; NeighbourPass runs them.
import type { QdrantId } from './client';
import type { PairStore } from './pairs';
import type { CheckPolicy } from './policies';
import type { IPendingQuery } from './queries';
import type { UnionFind } from './unionFind';

/**
 * An exact comparison of point `index` with the named points only (a has_id filter): one more
 * than can match, so the page is never full and never asked again.
 */
export function membersQuery(
  index: number,
  members: QdrantId[]
): IPendingQuery {
  return { index, offset: 0, limit: members.length + 1, members };
}

/** Groups from this size up (to the largest the scanner checks) are checked pair by pair. */
const CHECK_MIN_GROUP = 3;

/**
 * Queries made as the pass takes them (NeighbourPass.enqueueLazily), `count` in all: at a
 * million points the group check asks tens of thousands of queries, each naming up to a
 * group's members, and holding them all at once was about 10 MB of the worker's live JS heap
 * (issue 16).
 */
export interface IQuerySource {
  count: number;
  queries: Iterator<IPendingQuery>;
}

/**
 * An approximate (HNSW) search can miss a few neighbours among exact copies: its neighbour
 * selection prunes a candidate as close to a chosen neighbour as to the node, and between
 * copies every distance is 0, so copies keep few links among themselves. Inside every group
 * of 3 or more, member k asks once, exactly, about the members after it whose pair with it
 * is not known yet ('unknown'; 'all' asks about every one). Every pair inside a group is then
 * known, so the weakest link and the regroup at a stricter threshold are exact. (A group of
 * 2 is its one pair.) The queries are made as they are taken; the groups are those of now.
 * (The answers only add pairs of a member with the members after it, so what a later member
 * asks does not change while the earlier ones are answered: `count` stays right.)
 */
export function groupCheckQueries(
  policy: CheckPolicy,
  components: UnionFind,
  pairs: PairStore,
  queryIds: ArrayLike<QdrantId>,
  maxGroup: number
): IQuerySource {
  if (policy === 'none') {
    return { count: 0, queries: [][Symbol.iterator]() };
  }
  const groups = groupMembers(components, queryIds.length, maxGroup);
  const unknown = (i: number, m: number) =>
    policy === 'all' || !pairs.has(i, m);
  const asks = (members: Int32Array, k: number) => {
    for (let m = k + 1; m < members.length; m++) {
      if (unknown(members[k], members[m])) {
        return true;
      }
    }
    return false;
  };
  let count = 0;
  for (const members of runs(groups)) {
    for (let k = 0; k + 1 < members.length; k++) {
      count += asks(members, k) ? 1 : 0;
    }
  }
  function* queries(): Generator<IPendingQuery> {
    for (const members of runs(groups)) {
      for (let k = 0; k + 1 < members.length; k++) {
        const i = members[k];
        const ids: QdrantId[] = [];
        for (let m = k + 1; m < members.length; m++) {
          if (unknown(i, members[m])) {
            ids.push(queryIds[members[m]]);
          }
        }
        if (ids.length > 0) {
          yield membersQuery(i, ids);
        }
      }
    }
  }
  return { count, queries: queries() };
}

/**
 * Points the index cannot reach, against each other: member k asks exactly about the ones
 * after it (has_id, so the engine compares with those points only).
 */
export function unreachableQueries(
  unreachable: number[],
  queryIds: ArrayLike<QdrantId>
): IPendingQuery[] {
  const ids = unreachable.map(i => queryIds[i]);
  const queries: IPendingQuery[] = [];
  for (let k = 0; k + 1 < unreachable.length; k++) {
    queries.push(membersQuery(unreachable[k], ids.slice(k + 1)));
  }
  return queries;
}

/** The checked groups' members, one Int32Array: group g is members[starts[g]] up to starts[g + 1]. */
interface IGroupRuns {
  members: Int32Array;
  starts: number[];
}

/** Each group's members (a view, ascending), made as asked: no object per group is kept. */
function* runs({ members, starts }: IGroupRuns): Generator<Int32Array> {
  for (let g = 0; g + 1 < starts.length; g++) {
    yield members.subarray(starts[g], starts[g + 1]);
  }
}

/**
 * The members (dense indices) of every group whose size is within the checked range, grouped
 * by sorting root * n + index (exact in a double up to 2^53) rather than a Map of arrays.
 */
function groupMembers(
  components: UnionFind,
  n: number,
  maxGroup: number
): IGroupRuns {
  const checked = (i: number) => {
    const size = components.sizeOf(components.find(i));
    return size >= CHECK_MIN_GROUP && size <= maxGroup;
  };
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (checked(i)) {
      count++;
    }
  }
  const keys = new Float64Array(count);
  count = 0;
  for (let i = 0; i < n; i++) {
    if (checked(i)) {
      keys[count++] = components.find(i) * n + i;
    }
  }
  keys.sort();
  const members = new Int32Array(count);
  const starts: number[] = [];
  let root = -1;
  for (let k = 0; k < count; k++) {
    const r = Math.floor(keys[k] / n);
    if (r !== root) {
      starts.push(k);
      root = r;
    }
    members[k] = keys[k] - r * n;
  }
  starts.push(count);
  return { members, starts };
}
