// The cover: after the check, every pair that touches a point in a group is made sure of.
//
// An approximate (HNSW) search can leave a pair between a group's member and a point its
// graph does not lead to: at 200k x 256 on the embedded backend the scan missed 119 pairs
// (11 groups wrong), 70 of them with a point that found no neighbour at all, answered by
// the index with itself only (bench/README.md, "The cover"). So each group's members are put
// in balls: a centre and some of its neighbours, the farthest at score `reach`. By the
// triangle inequality every neighbour of a ball's member lies within the threshold's angle
// (or distance) plus the reach's of the centre, so one exact search from the centre past
// that looser threshold (metric.ts ballThreshold) holds them all, and each point it answers
// is compared exactly with the ball's members (a has_id filter: cheap). A point that joins a
// group there had no neighbour before: it is searched exactly itself. Pairs between two
// points that both found nothing and that the cover never reaches stay as the index left
// them; the audit's estimate covers those.
//
// DOM-free; the balls are built from the pair store without a copy of the pairs (issue 16:
// the worker stays under 300 MB at a million points): one Int32Array of pair positions
// sorted by group (24 MB at six million pairs), given back once the balls are made.
import type { QdrantId } from './client';
import { ballThreshold, compareAlike, higherIsBetter } from './metric';
import type { PairStore } from './pairs';
import type { DistanceKind } from './types';
import type { UnionFind } from './unionFind';

/** An exact search from `center` past `threshold` holds every neighbour of every member. */
export interface IBall {
  center: number;
  /** The centre's neighbours (not the centre) this ball covers, as dense point indices. */
  members: number[];
  /** The cover search's score threshold. */
  threshold: number;
  /**
   * The search compares with these points only (a has_id filter), not the whole collection:
   * a scan of changes asks its old groups about its new points that found nothing.
   */
  within?: QdrantId[];
}

/**
 * Balls that together hold every point of every group of 2 or more whose point `target(i)`
 * (all points when omitted; a scan of changes covers its new points). Greedy: members taken
 * by how many neighbours they have in their group, each one not in a ball yet becomes a
 * centre with those of its neighbours not in a ball yet. A ball whose reach makes no bound
 * is split into balls of one point (an exact search at the threshold itself). Null when no
 * bound can be made at all (a Dot score, or a cosine threshold at or below 0).
 */
export function groupBalls(
  pairs: PairStore,
  components: UnionFind,
  n: number,
  threshold: number,
  distance: DistanceKind | null | undefined,
  target?: (i: number) => boolean
): IBall[] | null {
  // The score of a point with itself: a ball of one point reaches no farther.
  const itself = higherIsBetter(distance) ? 1 : 0;
  const single = ballThreshold(threshold, itself, distance);
  if (single === null) {
    return null;
  }
  // Each pair's group (its root), and the pairs' positions sorted by group.
  const start = new Int32Array(n + 1);
  for (let k = 0; k < pairs.count; k++) {
    start[components.find(pairs.endA(k)) + 1]++;
  }
  for (let r = 0; r < n; r++) {
    start[r + 1] += start[r];
  }
  const order = new Int32Array(pairs.count);
  const fill = start.slice(0, n);
  for (let k = 0; k < pairs.count; k++) {
    order[fill[components.find(pairs.endA(k))]++] = k;
  }
  const wanted = (i: number) => target === undefined || target(i);
  const balls: IBall[] = [];
  const local = new Int32Array(n).fill(-1);
  for (let root = 0; root < n; root++) {
    const from = start[root];
    const to = start[root + 1];
    if (to === from) {
      continue;
    }
    // The group's members, each with its pairs in the group (a small CSR of local indices).
    const members: number[] = [];
    for (let q = from; q < to; q++) {
      const k = order[q];
      for (const p of [pairs.endA(k), pairs.endB(k)]) {
        if (local[p] < 0) {
          local[p] = members.length;
          members.push(p);
        }
      }
    }
    const m = members.length;
    const degree = new Int32Array(m + 1);
    for (let q = from; q < to; q++) {
      const k = order[q];
      degree[local[pairs.endA(k)] + 1]++;
      degree[local[pairs.endB(k)] + 1]++;
    }
    for (let i = 0; i < m; i++) {
      degree[i + 1] += degree[i];
    }
    const next = degree.slice(0, m);
    const peer = new Int32Array(degree[m]);
    const peerScore = new Float32Array(degree[m]);
    for (let q = from; q < to; q++) {
      const k = order[q];
      const x = local[pairs.endA(k)];
      const y = local[pairs.endB(k)];
      const score = pairs.scoreAt(k);
      peer[next[x]] = y;
      peerScore[next[x]++] = score;
      peer[next[y]] = x;
      peerScore[next[y]++] = score;
    }
    const covered = new Uint8Array(m);
    let left = 0;
    for (let i = 0; i < m; i++) {
      if (wanted(members[i])) {
        left++;
      } else {
        covered[i] = 1;
      }
    }
    const byDegree = Array.from({ length: m }, (_, i) => i).sort(
      (x, y) => degree[y + 1] - degree[y] - (degree[x + 1] - degree[x]) || x - y
    );
    for (const c of byDegree) {
      if (left === 0) {
        break;
      }
      if (covered[c]) {
        continue;
      }
      covered[c] = 1;
      left--;
      const inBall: number[] = [];
      let reach = itself;
      for (let e = degree[c]; e < degree[c + 1]; e++) {
        const p = peer[e];
        if (!covered[p]) {
          covered[p] = 1;
          left--;
          inBall.push(p);
          if (compareAlike(peerScore[e], reach, distance) > 0) {
            reach = peerScore[e];
          }
        }
      }
      const bound = ballThreshold(threshold, reach, distance);
      if (bound !== null) {
        balls.push({
          center: members[c],
          members: inBall.map(p => members[p]),
          threshold: bound
        });
      } else {
        for (const p of [c, ...inBall]) {
          balls.push({ center: members[p], members: [], threshold: single });
        }
      }
    }
    for (const p of members) {
      local[p] = -1;
    }
  }
  return balls;
}
