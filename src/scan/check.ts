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
 * An approximate (HNSW) search can miss a few neighbours among exact copies: its neighbour
 * selection prunes a candidate as close to a chosen neighbour as to the node, and between
 * copies every distance is 0, so copies keep few links among themselves. Inside every group
 * of 3 or more, member k asks once, exactly, about the members after it whose pair with it
 * is not known yet ('unknown'; 'all' asks about every one). Every pair inside a group is then
 * known, so the weakest link and the regroup at a stricter threshold are exact. (A group of
 * 2 is its one pair.)
 */
export function groupCheckQueries(
  policy: CheckPolicy,
  components: UnionFind,
  pairs: PairStore,
  queryIds: QdrantId[],
  maxGroup: number
): IPendingQuery[] {
  if (policy === 'none') {
    return [];
  }
  const queries: IPendingQuery[] = [];
  for (const members of groupMembers(components, queryIds.length, maxGroup)) {
    for (let k = 0; k + 1 < members.length; k++) {
      const i = members[k];
      const unknown: QdrantId[] = [];
      for (let m = k + 1; m < members.length; m++) {
        if (policy === 'all' || !pairs.has(i, members[m])) {
          unknown.push(queryIds[members[m]]);
        }
      }
      if (unknown.length > 0) {
        queries.push(membersQuery(i, unknown));
      }
    }
  }
  return queries;
}

/**
 * Points the index cannot reach, against each other: member k asks exactly about the ones
 * after it (has_id, so the engine compares with those points only).
 */
export function unreachableQueries(
  unreachable: number[],
  queryIds: QdrantId[]
): IPendingQuery[] {
  const ids = unreachable.map(i => queryIds[i]);
  const queries: IPendingQuery[] = [];
  for (let k = 0; k + 1 < unreachable.length; k++) {
    queries.push(membersQuery(unreachable[k], ids.slice(k + 1)));
  }
  return queries;
}

/** The members (dense indices) of every group whose size is within the checked range. */
function groupMembers(
  components: UnionFind,
  n: number,
  maxGroup: number
): number[][] {
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = components.find(i);
    const size = components.sizeOf(root);
    if (size >= CHECK_MIN_GROUP && size <= maxGroup) {
      let list = byRoot.get(root);
      if (!list) {
        byRoot.set(root, (list = []));
      }
      list.push(i);
    }
  }
  return [...byRoot.values()];
}
