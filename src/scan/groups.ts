// Groups of near-duplicates from a scan's pairs: connected components over the pairs that pass
// a threshold, with each group's weakest link. Regrouping at a stricter threshold reuses one
// cached layout of the pairs, so the panel can follow a slider with no network and no rescan.
import {
  describeThreshold,
  higherIsBetter,
  isStricter,
  passes
} from './metric';
import { radixSort, scoreKey, scoreKeys } from './pairOrder';
import { freeNow } from './pairs';
import { UnionFind } from './unionFind';
import type {
  DistanceKind,
  IDuplicateGroup,
  IPairList,
  PointId,
  IScanPoints
} from './types';

/** What grouping needs from a scan. */
export interface IGroupInput {
  points: IScanPoints;
  pairs: IPairList;
  distance: DistanceKind;
}

/**
 * The groups of a finished scan at another threshold, with no network: only as strict as the
 * scan's own threshold or stricter, since looser pairs were never fetched (that needs a rescan).
 * The pairs are laid out once per pairs object and the layout is cached.
 */
export function regroup(
  scan: IGroupInput & { threshold: number },
  threshold: number
): IDuplicateGroup[] {
  if (
    threshold !== scan.threshold &&
    !isStricter(threshold, scan.threshold, scan.distance)
  ) {
    throw new RangeError(
      `The scan found pairs ${describeThreshold(scan.threshold, scan.distance)} only; ` +
        `a looser threshold (${threshold}) needs a new scan.`
    );
  }
  return groupLaidOut(scan, layoutOf(scan), threshold);
}

/**
 * The pairs rearranged for regrouping. Every group at a stricter threshold lies inside one
 * component at the scan's threshold, so pairs are stored component by component (each run
 * most alike first) and points are renumbered so that each component's points are adjacent.
 * A regroup then walks memory almost in order; walking the pairs in global score order
 * instead was dominated by cache misses (several times slower at a million pairs).
 */
export interface IPairLayout {
  higher: boolean;
  pairCount: number;
  /** Local index -> point index; a component's points are adjacent and ascending. */
  point: Uint32Array;
  /** Component c owns local indices pointStart[c] to pointStart[c + 1] - 1. */
  pointStart: Uint32Array;
  /** Component c owns pair positions pairStart[c] to pairStart[c + 1] - 1. */
  pairStart: Uint32Array;
  /**
   * The pairs by point index (a < b), each component's run most alike first. The scan's own
   * pairs are these same arrays (pairsOfLayout): the list and its layout cost no second copy.
   */
  a: Uint32Array;
  b: Uint32Array;
  score: Float32Array;
}

function layOut(input: IGroupInput): IPairLayout {
  return layOutChunks([input.pairs], input.points.ids.length, input.distance);
}

/**
 * The layout of pairs given as consecutive chunks (a scan's pair store, or one list), over at
 * least `points` points. With `consume`, each chunk's buffers are given back (freeNow) once
 * read for the last time: nothing else may hold them.
 */
export function layOutChunks(
  chunks: readonly IPairList[],
  points: number,
  distance: DistanceKind,
  consume = false
): IPairLayout {
  let m = 0;
  let n = points;
  for (const pairs of chunks) {
    const length = pairs.score.length;
    m += length;
    for (let k = 0; k < length; k++) {
      n = Math.max(n, pairs.b[k] + 1, pairs.a[k] + 1);
    }
  }
  const uf = new UnionFind(n);
  const touched = new Uint8Array(n);
  for (const pairs of chunks) {
    for (let k = 0; k < pairs.score.length; k++) {
      uf.union(pairs.a[k], pairs.b[k]);
      touched[pairs.a[k]] = 1;
      touched[pairs.b[k]] = 1;
    }
  }
  // Components numbered by their smallest point; local indices follow point order.
  const componentOf = new Int32Array(n).fill(-1);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (touched[i]) {
      const root = uf.find(i);
      if (componentOf[root] < 0) {
        componentOf[root] = sizes.length;
        sizes.push(0);
      }
      sizes[componentOf[root]]++;
    }
  }
  const components = sizes.length;
  const pointStart = new Uint32Array(components + 1);
  for (let c = 0; c < components; c++) {
    pointStart[c + 1] = pointStart[c] + sizes[c];
  }
  const point = new Uint32Array(pointStart[components]);
  const filled = pointStart.slice(0, components);
  for (let i = 0; i < n; i++) {
    if (touched[i]) {
      point[filled[componentOf[uf.find(i)]]++] = i;
    }
  }
  // Each point's component (in place of its root's: one read per pair below).
  for (let i = 0; i < n; i++) {
    if (touched[i]) {
      componentOf[i] = componentOf[uf.find(i)];
    }
  }
  // How many pairs each component has, reading the pairs in their own order.
  const pairStart = new Uint32Array(components + 1);
  for (const pairs of chunks) {
    for (let k = 0; k < pairs.score.length; k++) {
      pairStart[componentOf[pairs.a[k]] + 1]++;
    }
  }
  for (let c = 0; c < components; c++) {
    pairStart[c + 1] += pairStart[c];
  }
  // The pairs go to their components' runs in place (an American flag sort over the chunks,
  // or over a copy of a list that is not ours to change), then the chunks are joined in
  // order, each freed once copied: the pairs are held about once, not in the chunks and in
  // the layout at once (issue 16: 80 MB at six million pairs).
  const own = consume ? chunks : [copyPairs(chunks)];
  permuteByComponent(own, componentOf, pairStart);
  let a: Uint32Array;
  let b: Uint32Array;
  let score: Float32Array;
  if (own.length === 1 && own[0].a.length === own[0].a.buffer.byteLength / 4) {
    ({ a, b, score } = own[0]);
  } else {
    a = new Uint32Array(m);
    b = new Uint32Array(m);
    score = new Float32Array(m);
    let from = 0;
    for (const pairs of own) {
      a.set(pairs.a, from);
      b.set(pairs.b, from);
      score.set(pairs.score, from);
      from += pairs.a.length;
      freeNow(pairs.a.buffer);
      freeNow(pairs.b.buffer);
      freeNow(pairs.score.buffer);
    }
  }
  // ...then each component's run is sorted most alike first, ties in the pairs' own order:
  // the order a global sort by score then by component gave, without its four arrays of
  // every pair (issue 16: about 100 MB at six million pairs).
  const flip = higherIsBetter(distance);
  for (let c = 0; c < components; c++) {
    sortRun(a, b, score, pairStart[c], pairStart[c + 1], flip, distance);
  }
  return {
    higher: higherIsBetter(distance),
    pairCount: m,
    point,
    pointStart,
    pairStart,
    a,
    b,
    score
  };
}

/** The pairs of `chunks` in one list of their own. */
function copyPairs(chunks: readonly IPairList[]): IPairList {
  let m = 0;
  for (const pairs of chunks) {
    m += pairs.a.length;
  }
  const out = {
    a: new Uint32Array(m),
    b: new Uint32Array(m),
    score: new Float32Array(m)
  };
  let from = 0;
  for (const pairs of chunks) {
    out.a.set(pairs.a, from);
    out.b.set(pairs.b, from);
    out.score.set(pairs.score, from);
    from += pairs.a.length;
  }
  return out;
}

/**
 * Moves the pairs of `chunks` (read as one sequence; every chunk but the last of one length)
 * so that component c's pairs fill positions pairStart[c] to pairStart[c + 1] - 1: each pair
 * is swapped straight to the next free place of its component's run (an in-place bucket sort;
 * the order inside a run is then set by sortRun, ties by this order).
 */
function permuteByComponent(
  chunks: readonly IPairList[],
  componentOf: Int32Array,
  pairStart: Uint32Array
): void {
  if (chunks.length === 0) {
    return;
  }
  const size = chunks[0].a.length;
  const single = chunks.length === 1;
  for (let i = 1; i < chunks.length - 1; i++) {
    if (chunks[i].a.length !== size) {
      throw new Error('Pair chunks must be of one length (but the last).');
    }
  }
  const A = chunks.map(p => p.a);
  const B = chunks.map(p => p.b);
  const S = chunks.map(p => p.score);
  const components = pairStart.length - 1;
  const next = pairStart.slice(0, components);
  for (let c = 0; c < components; c++) {
    const end = pairStart[c + 1];
    while (next[c] < end) {
      const k = next[c];
      const kc = single ? 0 : Math.floor(k / size);
      const ko = k - kc * size;
      let pa = A[kc][ko];
      let pb = B[kc][ko];
      let ps = S[kc][ko];
      let d = componentOf[pa];
      // Follows the cycle from k: each displaced pair goes on to its own run.
      while (d !== c) {
        const j = next[d]++;
        const jc = single ? 0 : Math.floor(j / size);
        const jo = j - jc * size;
        const qa = A[jc][jo];
        const qb = B[jc][jo];
        const qs = S[jc][jo];
        A[jc][jo] = pa;
        B[jc][jo] = pb;
        S[jc][jo] = ps;
        pa = qa;
        pb = qb;
        ps = qs;
        d = componentOf[pa];
      }
      A[kc][ko] = pa;
      B[kc][ko] = pb;
      S[kc][ko] = ps;
      next[c]++;
    }
  }
}

/** 2^21: a run's positions and 32-bit keys share a float64's 53 exact bits below this. */
const PACKED_RUN = 1 << 21;

/**
 * Sorts pairs from..to-1 most alike first, ties in their present order: small runs by one
 * packed float64 key each (score key, then position), large ones by the stable radix sort.
 */
function sortRun(
  a: Uint32Array,
  b: Uint32Array,
  score: Float32Array,
  from: number,
  to: number,
  flip: boolean,
  distance: DistanceKind
): void {
  const length = to - from;
  if (length < 2) {
    return;
  }
  let order: Uint32Array;
  if (length < PACKED_RUN) {
    const bits = new Uint32Array(
      score.buffer,
      score.byteOffset + 4 * from,
      length
    );
    const packed = new Float64Array(length);
    for (let k = 0; k < length; k++) {
      packed[k] = scoreKey(bits[k], flip) * PACKED_RUN + k;
    }
    packed.sort();
    order = new Uint32Array(length);
    for (let k = 0; k < length; k++) {
      order[k] = packed[k] % PACKED_RUN;
    }
  } else {
    order = new Uint32Array(length);
    for (let k = 0; k < length; k++) {
      order[k] = k;
    }
    order = radixSort(order, scoreKeys(score.subarray(from, to), distance));
  }
  const ra = a.slice(from, to);
  const rb = b.slice(from, to);
  const rs = score.slice(from, to);
  for (let k = 0; k < length; k++) {
    const p = order[k];
    a[from + k] = ra[p];
    b[from + k] = rb[p];
    score[from + k] = rs[p];
  }
}

const layouts = new WeakMap<Float32Array, IPairLayout>();

/** The buffers of a layout, to transfer with it. */
export function layoutTransferables(layout: IPairLayout): ArrayBuffer[] {
  const { point, pointStart, pairStart, a, b, score } = layout;
  return [point, pointStart, pairStart, a, b, score].map(
    x => x.buffer as ArrayBuffer
  );
}

/**
 * Takes a layout computed elsewhere (the worker) for these pairs, after checking that it fits
 * them; returns false (and keeps nothing) if it does not, and the layout is then computed
 * here when first needed.
 */
export function adoptLayout(
  input: IGroupInput,
  layout: unknown,
  check: 'pairs' | 'shape' = 'pairs'
): boolean {
  if (!fitsLayout(input, layout, check === 'pairs')) {
    return false;
  }
  layouts.set(input.pairs.score, layout);
  return true;
}

/**
 * Whether `layout` has the shape of a layout of these pairs and, with `pairs`, holds the same
 * pairs (an O(pairs) check: about 40 ms a million pairs on the page's thread, so the panel
 * checks only the shape of a layout that came in one message with its pairs).
 */
function fitsLayout(
  input: IGroupInput,
  layout: unknown,
  pairs: boolean
): layout is IPairLayout {
  if (typeof layout !== 'object' || layout === null) {
    return false;
  }
  const l = layout as Partial<IPairLayout>;
  const m = input.pairs.score.length;
  const u32 = (x: unknown): x is Uint32Array => x instanceof Uint32Array;
  if (
    l.higher !== higherIsBetter(input.distance) ||
    l.pairCount !== m ||
    !u32(l.point) ||
    !u32(l.pointStart) ||
    !u32(l.pairStart) ||
    !u32(l.a) ||
    !u32(l.b) ||
    !(l.score instanceof Float32Array) ||
    l.a.length !== m ||
    l.b.length !== m ||
    l.score.length !== m ||
    l.pointStart.length !== l.pairStart.length ||
    l.pointStart.length < 1
  ) {
    return false;
  }
  const components = l.pointStart.length - 1;
  const size = l.point.length;
  const n = input.points.ids.length;
  if (l.pointStart[components] !== size || l.pairStart[components] !== m) {
    return false;
  }
  for (let i = 0; i < size; i++) {
    if (l.point[i] >= n) {
      return false;
    }
  }
  if (!pairs) {
    return true;
  }
  // The same pairs in another order: order-free sums of their ends and score bits agree.
  const bits = new Uint32Array(
    input.pairs.score.buffer,
    input.pairs.score.byteOffset,
    m
  );
  const laidBits = new Uint32Array(l.score.buffer, l.score.byteOffset, m);
  let ends = 0;
  let scores = 0;
  for (let k = 0; k < m; k++) {
    if (l.a[k] >= n || l.b[k] >= n) {
      return false;
    }
    ends = (ends + input.pairs.a[k] + input.pairs.b[k] - l.a[k] - l.b[k]) | 0;
    scores = (scores + bits[k] - laidBits[k]) | 0;
  }
  return ends === 0 && scores === 0;
}

/**
 * The layout regrouping uses for these pairs (computed once and cached). The worker sends it
 * with a scan's result, so the panel's first regroup does not lay a million pairs out again on
 * the page's thread.
 */
export function layoutOf(input: IGroupInput): IPairLayout {
  const hit = layouts.get(input.pairs.score);
  if (
    hit &&
    hit.higher === higherIsBetter(input.distance) &&
    hit.pairCount === input.pairs.score.length
  ) {
    return hit;
  }
  const layout = layOut(input);
  layouts.set(input.pairs.score, layout);
  return layout;
}

/**
 * The pairs of a layout, in the layout's order: its own three arrays (each pair a < b). Taken
 * as the scan's pairs, the pairs and their layout cost three arrays of every pair, not six
 * (issue 16: 80 MB a copy at six million pairs).
 */
export function pairsOfLayout(layout: IPairLayout): IPairList {
  return { a: layout.a, b: layout.b, score: layout.score };
}

/** Keeps `layout` as the layout of `input`'s pairs (laid out from them by the caller). */
export function keepLayout(input: IGroupInput, layout: IPairLayout): void {
  layouts.set(input.pairs.score, layout);
}

/** Kruskal inside each component, over the run of its pairs that passes. */
function groupLaidOut(
  input: IGroupInput,
  layout: IPairLayout,
  threshold: number
): IDuplicateGroup[] {
  const { points, distance } = input;
  const { point, pointStart, pairStart, a, b, score } = layout;
  const size = point.length;
  const components = pointStart.length - 1;
  // Point index -> local index (a component's points are adjacent in `point`).
  let n = 0;
  for (let i = 0; i < size; i++) {
    n = Math.max(n, point[i] + 1);
  }
  const local = new Uint32Array(n);
  for (let i = 0; i < size; i++) {
    local[point[i]] = i;
  }

  const uf = new UnionFind(size);
  const degree = new Int32Array(size);
  // Per root, as pair positions: the first link seen is the best, the last seen the worst,
  // and the last that joined two parts is the weakest link (in Kruskal order the joining
  // links form the maximum spanning tree, or the minimum one for distances).
  const first = new Int32Array(size);
  const last = new Int32Array(size);
  const weakest = new Int32Array(size);
  const links = new Int32Array(size);
  /** Per root: its smallest member's point index, the last tie-breaker between groups. */
  const key = new Int32Array(size).fill(-1);
  const roots: number[] = [];
  for (let c = 0; c < components; c++) {
    const end = passingEnd(
      score,
      pairStart[c],
      pairStart[c + 1],
      threshold,
      distance
    );
    for (let k = pairStart[c]; k < end; k++) {
      const x = local[a[k]];
      const y = local[b[k]];
      degree[x]++;
      degree[y]++;
      const rx = uf.find(x);
      const ry = uf.find(y);
      if (rx === ry) {
        last[rx] = k;
        links[rx]++;
        continue;
      }
      const fx = links[rx] ? first[rx] : k;
      const fy = links[ry] ? first[ry] : k;
      const count = links[rx] + links[ry] + 1;
      const root = uf.union(rx, ry);
      first[root] = fx < fy ? fx : fy;
      last[root] = k;
      weakest[root] = k;
      links[root] = count;
    }
    for (let i = pointStart[c]; i < pointStart[c + 1]; i++) {
      if (degree[i] > 0) {
        const root = uf.find(i);
        if (key[root] < 0) {
          key[root] = point[i];
          roots.push(root);
        }
      }
    }
  }

  // Largest first, then best link first, then smallest member: stable sorts from the last
  // criterion to the first. Radix sorts, as a comparator sort of many groups is slow.
  let order = Uint32Array.from(roots);
  order = radixSort(
    order,
    Uint32Array.from(order, root => key[root])
  );
  const best = new Float32Array(order.length);
  order.forEach((root, j) => (best[j] = score[first[root]]));
  order = radixSort(order, scoreKeys(best, distance));
  order = radixSort(
    order,
    Uint32Array.from(order, root => 0xffffffff - uf.sizeOf(root))
  );
  // Sizing each group's arrays up front keeps allocation to what the result needs.
  const slotOf = new Int32Array(size);
  const groups: IDuplicateGroup[] = Array.from(order, (root, slot) => {
    slotOf[root] = slot;
    const members = uf.sizeOf(root);
    const w = weakest[root];
    return {
      key: key[root],
      members: new Array<number>(members),
      pointIds: new Array<PointId>(members),
      sampleIds: new Array<string>(members),
      links: links[root],
      bestScore: score[first[root]],
      worstScore: score[last[root]],
      weakestLink: { a: a[w], b: b[w], score: score[w] },
      representative: -1
    };
  });
  const filled = new Int32Array(groups.length);
  const topDegree = new Int32Array(groups.length);
  for (let i = 0; i < size; i++) {
    if (degree[i] === 0) {
      continue;
    }
    const slot = slotOf[uf.find(i)];
    const g = groups[slot];
    const at = filled[slot]++;
    const p = point[i];
    g.members[at] = p;
    g.pointIds[at] = points.ids[p];
    g.sampleIds[at] = points.sampleIds[p];
    if (degree[i] > topDegree[slot]) {
      topDegree[slot] = degree[i];
      g.representative = p;
    }
  }
  return groups;
}

/** The end of the passing run in score[start, end): a binary search, since passing pairs come first. */
function passingEnd(
  score: Float32Array,
  start: number,
  end: number,
  threshold: number,
  distance: DistanceKind
): number {
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (passes(score[mid], threshold, distance)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
