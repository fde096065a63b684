// Complete linkage (issue 15): clusters in which every pair passes the threshold, for users
// who want no chaining at all. DOM-free; linkage.ts runs it inside each single-linkage group.
import { compareAlike } from './metric';
import type { DistanceKind, IPairLink } from './types';

/**
 * Complete linkage inside one set of members: every pair inside a cluster among `links`.
 * Greedy agglomeration, as hierarchical clustering does it: start from single members, and
 * merge the two clusters whose least alike pair is most alike, as long as every pair between
 * them is among the links; ties go to the clusters with the smallest members (lowest member,
 * then the other cluster's lowest). Clusters that share no complete set of links never merge,
 * so only links are tracked: each cluster keeps, per cluster it could merge with, the least
 * alike link between them (the Lance-Williams update for complete linkage on a sparse graph).
 */
export function completeClusters(
  members: readonly number[],
  links: readonly IPairLink[],
  distance: DistanceKind
): number[][] {
  const local = new Map(members.map((m, i) => [m, i]));
  const clusterMembers: number[][] = members.map(m => [m]);
  const low: number[] = members.map(m => m);
  const alive: boolean[] = members.map(() => true);
  const next: Map<number, number>[] = members.map(() => new Map());
  const heap = new LinkHeap(distance, low);
  for (const link of links) {
    const x = local.get(link.a)!;
    const y = local.get(link.b)!;
    next[x].set(y, link.score);
    next[y].set(x, link.score);
    heap.push(link.score, x, y);
  }
  for (let entry = heap.pop(); entry; entry = heap.pop()) {
    const { x, y } = entry;
    if (!alive[x] || !alive[y]) {
      continue;
    }
    // A new id for the merged cluster: entries naming x or y are stale from now on.
    const z = clusterMembers.length;
    clusterMembers.push([...clusterMembers[x], ...clusterMembers[y]]);
    low.push(Math.min(low[x], low[y]));
    alive.push(true);
    alive[x] = false;
    alive[y] = false;
    const merged = new Map<number, number>();
    next.push(merged);
    for (const [w, sx] of next[x]) {
      const sy = w === y ? undefined : next[y].get(w);
      if (sy !== undefined) {
        const s = compareAlike(sx, sy, distance) > 0 ? sx : sy;
        merged.set(w, s);
        next[w].set(z, s);
        heap.push(s, z, w);
      }
    }
    for (const w of next[x].keys()) {
      next[w].delete(x);
    }
    for (const w of next[y].keys()) {
      next[w].delete(y);
    }
    next[x].clear();
    next[y].clear();
  }
  const out: number[][] = [];
  for (let c = 0; c < clusterMembers.length; c++) {
    if (alive[c] && clusterMembers[c].length > 1) {
      out.push(clusterMembers[c].sort((p, q) => p - q));
    }
  }
  return out.sort((p, q) => q.length - p.length || p[0] - q[0]);
}

/** A binary heap of candidate merges: most alike first, then by the clusters' lowest members. */
class LinkHeap {
  constructor(
    private readonly distance: DistanceKind,
    private readonly low: number[]
  ) {}

  push(score: number, x: number, y: number): void {
    const [lo, hi] = this.low[x] < this.low[y] ? [x, y] : [y, x];
    const item = { score, x: lo, y: hi, k1: this.low[lo], k2: this.low[hi] };
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) {
        break;
      }
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): { x: number; y: number } | undefined {
    const h = this.items;
    if (h.length === 0) {
      return undefined;
    }
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && this.before(h[l], h[best])) {
          best = l;
        }
        if (r < h.length && this.before(h[r], h[best])) {
          best = r;
        }
        if (best === i) {
          break;
        }
        [h[i], h[best]] = [h[best], h[i]];
        i = best;
      }
    }
    return top;
  }

  private before(p: IHeapItem, q: IHeapItem): boolean {
    const c = compareAlike(p.score, q.score, this.distance);
    return c !== 0 ? c < 0 : p.k1 !== q.k1 ? p.k1 < q.k1 : p.k2 < q.k2;
  }

  private items: IHeapItem[] = [];
}

interface IHeapItem {
  score: number;
  x: number;
  y: number;
  k1: number;
  k2: number;
}
