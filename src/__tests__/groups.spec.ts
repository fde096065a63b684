// Grouping: components over the pairs that pass a threshold, the weakest link, and regrouping
// at a stricter threshold without a rescan.
import {
  adoptLayout,
  layOutChunks,
  layoutOf,
  pairsOfLayout,
  regroup
} from '../scan/groups';
import { isStricter, passes } from '../scan/metric';
import { PairStore } from '../scan/pairs';
import type {
  DistanceKind,
  IDuplicateGroup,
  IPairList,
  IScanPoints
} from '../scan/types';

/** What postMessage does to a layout: the same values in new arrays. */
function structuredCloneLayout<T extends object>(layout: T): T {
  return Object.fromEntries(
    Object.entries(layout).map(([k, v]) => [
      k,
      ArrayBuffer.isView(v) ? (v as Uint32Array).slice() : v
    ])
  ) as T;
}

function pointsOf(n: number): IScanPoints {
  return {
    ids: Array.from({ length: n }, (_, i) => i + 100),
    sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
    thumbnails: Array.from({ length: n }, (_, i) => `t${i}.png`),
    splits: Array.from({ length: n }, (_, i) => (i % 2 ? 'test' : 'train'))
  };
}

function pairsOf(
  list: [number, number, number][],
  distance: DistanceKind = 'Cosine'
): IPairList {
  const store = new PairStore(distance === 'Cosine' || distance === 'Dot', 4);
  for (const [a, b, s] of list) {
    store.add(a, b, s);
  }
  return store.toList();
}

/** An independent reference: BFS components, then Prim for the spanning tree's weakest edge. */
function naiveGroups(
  n: number,
  pairs: IPairList,
  threshold: number,
  distance: DistanceKind
) {
  const higher = distance === 'Cosine' || distance === 'Dot';
  const better = (x: number, y: number) => (higher ? x > y : x < y);
  const edges: { a: number; b: number; s: number }[] = [];
  for (let k = 0; k < pairs.score.length; k++) {
    const s = pairs.score[k];
    if (higher ? s > threshold : s < threshold) {
      edges.push({ a: pairs.a[k], b: pairs.b[k], s });
    }
  }
  const adj = Array.from(
    { length: n },
    () => [] as { to: number; s: number }[]
  );
  for (const e of edges) {
    adj[e.a].push({ to: e.b, s: e.s });
    adj[e.b].push({ to: e.a, s: e.s });
  }
  const seen = new Array(n).fill(false);
  const out = [];
  for (let start = 0; start < n; start++) {
    if (seen[start] || adj[start].length === 0) {
      continue;
    }
    const members: number[] = [];
    const stack = [start];
    seen[start] = true;
    while (stack.length) {
      const v = stack.pop()!;
      members.push(v);
      for (const { to } of adj[v]) {
        if (!seen[to]) {
          seen[to] = true;
          stack.push(to);
        }
      }
    }
    members.sort((x, y) => x - y);
    const inside = edges.filter(e => members.includes(e.a));
    const scores = inside.map(e => e.s);
    const best = scores.reduce((x, y) => (better(x, y) ? x : y));
    const worst = scores.reduce((x, y) => (better(x, y) ? y : x));
    // Prim: grow the tree by its best outgoing edge; the worst edge taken is the weakest link.
    const inTree = new Set([members[0]]);
    let weakest = best;
    while (inTree.size < members.length) {
      let pick: number | null = null;
      let pickScore = 0;
      for (const v of inTree) {
        for (const { to, s } of adj[v]) {
          if (!inTree.has(to) && (pick === null || better(s, pickScore))) {
            pick = to;
            pickScore = s;
          }
        }
      }
      inTree.add(pick!);
      if (better(weakest, pickScore)) {
        weakest = pickScore;
      }
    }
    const degree = members.map(m => adj[m].length);
    const top = Math.max(...degree);
    out.push({
      members,
      best,
      worst,
      weakest,
      links: inside.length,
      representative: members[degree.indexOf(top)]
    });
  }
  const sign = higher ? -1 : 1;
  out.sort(
    (x, y) =>
      y.members.length - x.members.length ||
      sign * (x.best - y.best) ||
      x.members[0] - y.members[0]
  );
  return out;
}

function summary(groups: IDuplicateGroup[]) {
  return groups.map(g => ({
    members: g.members,
    best: g.bestScore,
    worst: g.worstScore,
    weakest: g.weakestLink.score,
    links: g.links,
    representative: g.representative
  }));
}

function randomGraph(
  seed: number,
  n: number,
  m: number,
  distance: DistanceKind
) {
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const store = new PairStore(distance === 'Cosine' || distance === 'Dot');
  for (let k = 0; k < m; k++) {
    const a = Math.floor(rand() * n);
    const b = Math.floor(rand() * n);
    // Coarse scores so that ties (and their ordering rules) actually occur.
    const s =
      distance === 'Cosine'
        ? 0.8 + Math.round(rand() * 20) / 100
        : Math.round(rand() * 20) / 10;
    store.add(a, b, s);
  }
  return store.toList();
}

describe('threshold semantics', () => {
  it('is strict, like Qdrant: above for similarities, below for distances', () => {
    expect(passes(0.96, 0.95, 'Cosine')).toBe(true);
    expect(passes(0.95, 0.95, 'Cosine')).toBe(false);
    expect(passes(0.95, 0.95, 'Dot')).toBe(false);
    expect(passes(0.4, 0.5, 'Euclid')).toBe(true);
    expect(passes(0.5, 0.5, 'Euclid')).toBe(false);
    expect(passes(0.6, 0.5, 'Manhattan')).toBe(false);
  });

  it('calls larger similarities and smaller distances stricter', () => {
    expect(isStricter(0.97, 0.95, 'Cosine')).toBe(true);
    expect(isStricter(0.95, 0.95, 'Cosine')).toBe(false);
    expect(isStricter(0.9, 0.95, 'Dot')).toBe(false);
    expect(isStricter(0.3, 0.5, 'Euclid')).toBe(true);
    expect(isStricter(0.7, 0.5, 'Manhattan')).toBe(false);
  });
});

describe('PairStore', () => {
  it('keeps a pair found from both ends once, as a < b, with the better score', () => {
    const store = new PairStore(true);
    expect(store.add(5, 2, 0.91)).toBe(true);
    expect(store.add(2, 5, 0.93)).toBe(false);
    expect(store.add(3, 3, 1)).toBe(false);
    expect(store.add(1, 2, NaN)).toBe(false);
    expect(store.count).toBe(1);
    expect(firstPair(store)).toEqual({ a: 2, b: 5, score: Math.fround(0.93) });
  });

  it('keeps the smaller distance for distance metrics', () => {
    const store = new PairStore(false);
    store.add(0, 1, 0.3);
    store.add(1, 0, 0.2);
    expect(firstPair(store).score).toBe(Math.fround(0.2));
  });

  it('grows past its capacity and still dedupes', () => {
    const store = new PairStore(true, 16);
    for (let i = 0; i < 5000; i++) {
      store.add(i, i + 1, 0.9);
    }
    let added = 0;
    for (let i = 0; i < 5000; i++) {
      added += store.add(i + 1, i, 0.9) ? 1 : 0;
    }
    expect(added).toBe(0);
    const list = store.toList();
    expect(list.a.length).toBe(5000);
    expect(list.b[4999]).toBe(5000);
  });

  it('tells which pairs it holds, in either order', () => {
    const store = new PairStore(true, 16);
    for (let i = 0; i < 100; i++) {
      store.add(i, i + 2, 0.9);
    }
    expect(store.has(7, 9)).toBe(true);
    expect(store.has(9, 7)).toBe(true);
    expect(store.has(7, 8)).toBe(false);
    expect(store.has(100, 102)).toBe(false);
  });
});

describe('grouping at the scan threshold', () => {
  it('returns components of two or more, largest first, with point ids and sample ids', () => {
    const points = pointsOf(8);
    const pairs = pairsOf([
      [0, 1, 0.99],
      [5, 6, 0.97],
      [6, 7, 0.96],
      [2, 3, 0.5]
    ]);
    const groups = groupsAt({ points, pairs, distance: 'Cosine' }, 0.95);
    expect(groups.map(g => g.members)).toEqual([
      [5, 6, 7],
      [0, 1]
    ]);
    expect(groups[0].pointIds).toEqual([105, 106, 107]);
    expect(groups[0].sampleIds).toEqual(['s5', 's6', 's7']);
    expect(groups[0].representative).toBe(6);
    expect(groups[0].links).toBe(2);
    expect(groups[1].bestScore).toBe(Math.fround(0.99));
  });

  it('breaks size ties by best score, then by smallest member', () => {
    const points = pointsOf(8);
    const pairs = pairsOf([
      [6, 7, 0.97],
      [0, 1, 0.96],
      [2, 3, 0.99],
      [4, 5, 0.96]
    ]);
    const groups = groupsAt({ points, pairs, distance: 'Cosine' }, 0.9);
    expect(groups.map(g => g.members)).toEqual([
      [2, 3],
      [6, 7],
      [0, 1],
      [4, 5]
    ]);
  });

  it('reports the weakest link of a chain, not just its worst pair', () => {
    // 0-1-2-3 chained; 1-3 (0.92) holds 3 in more strongly than 2-3 (0.91) does.
    const points = pointsOf(4);
    const pairs = pairsOf([
      [0, 1, 0.99],
      [1, 2, 0.98],
      [2, 3, 0.91],
      [0, 2, 0.97],
      [1, 3, 0.92]
    ]);
    const [group] = groupsAt({ points, pairs, distance: 'Cosine' }, 0.9);
    expect(group.members).toEqual([0, 1, 2, 3]);
    expect(group.bestScore).toBe(Math.fround(0.99));
    expect(group.worstScore).toBe(Math.fround(0.91));
    expect(group.weakestLink).toEqual({ a: 1, b: 3, score: Math.fround(0.92) });
    expect(group.representative).toBe(1);
    // Just above the weakest link the chain falls apart.
    const split = groupsAt({ points, pairs, distance: 'Cosine' }, 0.925);
    expect(split.map(g => g.members)).toEqual([[0, 1, 2]]);
  });

  it('uses the largest distance on the minimum spanning tree for distance metrics', () => {
    const points = pointsOf(4);
    const pairs = pairsOf(
      [
        [0, 1, 0.1],
        [1, 2, 0.2],
        [2, 3, 0.9],
        [1, 3, 0.6],
        [0, 2, 0.3]
      ],
      'Euclid'
    );
    const [group] = groupsAt({ points, pairs, distance: 'Euclid' }, 1);
    expect(group.bestScore).toBe(Math.fround(0.1));
    expect(group.worstScore).toBe(Math.fround(0.9));
    expect(group.weakestLink).toEqual({ a: 1, b: 3, score: Math.fround(0.6) });
  });

  it('finds nothing when no pair passes', () => {
    const groups = groupsAt(
      {
        points: pointsOf(3),
        pairs: pairsOf([[0, 1, 0.95]]),
        distance: 'Cosine'
      },
      0.95
    );
    expect(groups).toEqual([]);
  });
});

describe('regroup', () => {
  it.each<[DistanceKind, number[]]>([
    ['Cosine', [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1]],
    ['Euclid', [2.1, 1.5, 1, 0.7, 0.3, 0.1, 0]]
  ])(
    'gives the same groups as a from-scratch computation at stricter thresholds (%s, random graphs)',
    (distance, thresholds) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const n = 120;
        const pairs = randomGraph(seed, n, 150, distance);
        const scan = {
          points: pointsOf(n),
          pairs,
          distance,
          threshold: thresholds[0]
        };
        for (const t of thresholds) {
          const fast = regroup(scan, t);
          expect(summary(fast)).toEqual(naiveGroups(n, pairs, t, distance));
          // And the same as grouping only the pairs that pass, in a different order.
          const keep: number[] = [];
          for (let k = pairs.score.length - 1; k >= 0; k--) {
            if (passes(pairs.score[k], t, distance)) {
              keep.push(k);
            }
          }
          const filtered: IPairList = {
            a: Uint32Array.from(keep, k => pairs.a[k]),
            b: Uint32Array.from(keep, k => pairs.b[k]),
            score: Float32Array.from(keep, k => pairs.score[k])
          };
          expect(summary(fast).map(g => g.members)).toEqual(
            summary(
              groupsAt({ points: scan.points, pairs: filtered, distance }, t)
            ).map(g => g.members)
          );
        }
      }
    }
  );

  it('regroups from a layout made elsewhere (the worker) as from its own, and refuses one that does not fit', () => {
    const n = 120;
    const pairs = randomGraph(9, n, 150, 'Cosine');
    const worker = {
      points: pointsOf(n),
      pairs,
      distance: 'Cosine' as const,
      threshold: 0.8
    };
    const layout = layoutOf(worker);
    // The panel's copy: the same pairs in new arrays, as after postMessage.
    const copy = (list: IPairList): IPairList => ({
      a: list.a.slice(),
      b: list.b.slice(),
      score: list.score.slice()
    });
    const panel = { ...worker, pairs: copy(pairs) };
    expect(adoptLayout(panel, structuredCloneLayout(layout))).toBe(true);
    for (const t of [0.8, 0.9, 0.97]) {
      expect(summary(regroup(panel, t))).toEqual(
        naiveGroups(n, pairs, t, 'Cosine')
      );
    }
    // Another scan's layout (other pairs), a layout for distances, or junk: not taken.
    const other = { ...worker, pairs: copy(randomGraph(10, n, 140, 'Cosine')) };
    expect(adoptLayout(other, layout)).toBe(false);
    expect(
      adoptLayout({ ...worker, pairs: copy(pairs), distance: 'Euclid' }, layout)
    ).toBe(false);
    expect(
      adoptLayout(
        { ...worker, pairs: copy(pairs) },
        { ...layout, a: new Uint32Array(3) }
      )
    ).toBe(false);
    expect(adoptLayout({ ...worker, pairs: copy(pairs) }, 'layout')).toBe(
      false
    );
    // Same count, other pairs: one pair's end moved.
    const moved = copy(pairs);
    moved.b[0] =
      (moved.b[0] + 1) % n === moved.a[0]
        ? (moved.b[0] + 2) % n
        : (moved.b[0] + 1) % n;
    expect(adoptLayout({ ...worker, pairs: moved }, layout)).toBe(false);
    const outOfRange = { ...layout, point: layout.point.map(() => n + 5) };
    expect(adoptLayout({ ...worker, pairs: copy(pairs) }, outOfRange)).toBe(
      false
    );
  });

  it('refuses a looser threshold, which needs a rescan', () => {
    const scan = {
      points: pointsOf(2),
      pairs: pairsOf([[0, 1, 0.99]]),
      distance: 'Cosine' as const,
      threshold: 0.95
    };
    expect(() => regroup(scan, 0.9)).toThrow(/new scan/);
    expect(regroup(scan, 0.95)).toHaveLength(1);
    expect(regroup(scan, 0.995)).toHaveLength(0);
  });

  it('copes with a million pairs (correctness of the big sort, not its speed)', () => {
    const n = 200000;
    const m = 1000000;
    const a = new Uint32Array(m);
    const b = new Uint32Array(m);
    const score = new Float32Array(m);
    let seed = 11;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let k = 0; k < m; k++) {
      const x = Math.floor(rand() * n);
      const y = (x + 1 + Math.floor(rand() * (n - 1))) % n;
      a[k] = Math.min(x, y);
      b[k] = Math.max(x, y);
      score[k] = 0.9 + rand() * 0.1;
    }
    const pairs = { a, b, score };
    const scan = {
      points: pointsOf(n),
      pairs,
      distance: 'Cosine' as const,
      threshold: 0.9
    };
    // A regroup is right only if the radix sort put every passing pair before every other.
    const t = 0.99999;
    const groups = regroup(scan, t);
    expect(groups.length).toBeGreaterThan(0);
    const members = (list: number[][]) => list.map(g => g.join(',')).sort();
    expect(members(groups.map(g => g.members))).toEqual(
      members(componentsOf(pairs, t))
    );
    const best = new Map<number, number>();
    score.forEach((x, k) => {
      if (x > t) {
        best.set(a[k], Math.max(best.get(a[k]) ?? 0, x));
      }
    });
    for (const g of groups) {
      expect(g.bestScore).toBe(
        Math.max(...g.members.map(i => best.get(i) ?? 0))
      );
    }
  });
});

/** The groups at `threshold` of pairs found at that threshold, through the public regroup. */
function groupsAt(
  input: { points: IScanPoints; pairs: IPairList; distance: DistanceKind },
  threshold: number
): IDuplicateGroup[] {
  return regroup({ ...input, threshold }, threshold);
}

/** The first pair a store kept, as the scan hands it on. */
function firstPair(store: PairStore): { a: number; b: number; score: number } {
  const list = store.toList();
  return { a: list.a[0], b: list.b[0], score: list.score[0] };
}

/** Components of the pairs scoring above `t`, by a plain flood fill: independent of grouping. */
function componentsOf(pairs: IPairList, t: number): number[][] {
  const links = new Map<number, number[]>();
  const link = (x: number, y: number) => {
    const list = links.get(x);
    if (list) {
      list.push(y);
    } else {
      links.set(x, [y]);
    }
  };
  pairs.score.forEach((x, k) => {
    if (x > t) {
      link(pairs.a[k], pairs.b[k]);
      link(pairs.b[k], pairs.a[k]);
    }
  });
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of links.keys()) {
    if (seen.has(start)) {
      continue;
    }
    const members: number[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      const j = stack.pop()!;
      members.push(j);
      for (const k of links.get(j) ?? []) {
        if (!seen.has(k)) {
          seen.add(k);
          stack.push(k);
        }
      }
    }
    out.push(members.sort((x, y) => x - y));
  }
  return out;
}

describe('layOutChunks and pairsOfLayout (the scan lays its pairs out from its store)', () => {
  it('lays out chunks as the same pairs in one list, and gives back every pair once with its score', () => {
    let s = 5;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    const store = new PairStore(true, 4, 4);
    for (let k = 0; k < 3000; k++) {
      // Many small components and ties of score.
      const i = Math.floor(next() * 400);
      const j = (i + 1 + Math.floor(next() * 3)) % 400;
      store.add(i, j, 0.95 + Math.round(next() * 40) / 1000);
    }
    const list = store.toList();
    const chunks = store.takeChunks();
    expect(chunks.length).toBeGreaterThan(1);
    const fromChunks = layOutChunks(chunks, 400, 'Cosine', true);
    const fromList = layoutOf({
      points: { ids: [], sampleIds: [], thumbnails: [], splits: [] },
      pairs: list,
      distance: 'Cosine'
    });
    for (const key of [
      'point',
      'pointStart',
      'pairStart',
      'a',
      'b',
      'score'
    ] as const) {
      expect(Array.from(fromChunks[key])).toEqual(Array.from(fromList[key]));
    }
    const back = pairsOfLayout(fromChunks);
    // The scan's pairs are the layout's own arrays: no second copy of every pair.
    expect(back.a).toBe(fromChunks.a);
    expect(back.b).toBe(fromChunks.b);
    expect(back.score).toBe(fromChunks.score);
    const as = (p: typeof list) =>
      Array.from(p.a, (a, k) => `${a}-${p.b[k]}:${p.score[k]}`).sort();
    expect(as(back)).toEqual(as(list));
    expect(Array.from(back.a).every((a, k) => a < back.b[k])).toBe(true);
  });
});
