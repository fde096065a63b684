// Chaining (issue 15): diameters, Split and complete linkage, against brute force on seeded
// random graphs (plain pair lists, no scan), and on a planted chain.
import { regroup } from '../scan/groups';
import { chainCutoff, diameters, isChained } from '../scan/chain';
import { completeClusters } from '../scan/completeLinkage';
import {
  cutTest,
  groupScan,
  neighboursOf,
  pairsWithin,
  recordSplit,
  spanningOrder,
  splitParts,
  SplitRecord
} from '../scan/linkage';
import { compareAlike, passes } from '../scan/metric';
import { PairStore } from '../scan/pairs';
import type {
  DistanceKind,
  IDuplicateGroup,
  IPairList,
  IScanPoints
} from '../scan/types';

function pointsOf(n: number): IScanPoints {
  return {
    ids: Array.from({ length: n }, (_, i) => i + 1000),
    sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
    thumbnails: Array.from({ length: n }, () => null),
    splits: Array.from({ length: n }, () => null)
  };
}

function pairsOf(
  list: [number, number, number][],
  distance: DistanceKind
): IPairList {
  const store = new PairStore(distance === 'Cosine' || distance === 'Dot');
  for (const [a, b, s] of list) {
    store.add(a, b, s);
  }
  return store.toList();
}

/** A seeded random graph: dense clusters of random sizes with links between some of them. */
function randomScan(seed: number, distance: DistanceKind) {
  let state = seed;
  const rand = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const n = 30 + Math.floor(rand() * 40);
  const floor = distance === 'Cosine' ? 0.8 : 2;
  // Coarse scores so that ties (and the rules that break them) occur.
  const score = () =>
    distance === 'Cosine'
      ? 0.81 + Math.round(rand() * 18) / 100
      : 0.1 + Math.round(rand() * 18) / 10;
  const list: [number, number, number][] = [];
  for (let k = 0; k < n * 3; k++) {
    const a = Math.floor(rand() * n);
    // Mostly near neighbours in index order, so components of several sizes form.
    const b =
      rand() < 0.8 ? a + 1 + Math.floor(rand() * 4) : Math.floor(rand() * n);
    if (b < n) {
      list.push([a, b, score()]);
    }
  }
  return {
    points: pointsOf(n),
    pairs: pairsOf(list, distance),
    distance,
    threshold: floor
  };
}

type Scan = ReturnType<typeof randomScan>;

/** The kept score of every pair of points, or null: the dense matrix brute force reads. */
function matrix(scan: Scan): (number | null)[][] {
  const n = scan.points.ids.length;
  const m: (number | null)[][] = Array.from({ length: n }, () =>
    new Array(n).fill(null)
  );
  for (let k = 0; k < scan.pairs.score.length; k++) {
    m[scan.pairs.a[k]][scan.pairs.b[k]] = scan.pairs.score[k];
    m[scan.pairs.b[k]][scan.pairs.a[k]] = scan.pairs.score[k];
  }
  return m;
}

/** Components over the pairs `keep` accepts, by breadth-first search; groups of 2 or more. */
function bfsComponents(
  members: number[],
  m: (number | null)[][],
  keep: (s: number, a: number, b: number) => boolean
): number[][] {
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of members) {
    if (seen.has(start)) {
      continue;
    }
    const part = [start];
    seen.add(start);
    for (let i = 0; i < part.length; i++) {
      for (const other of members) {
        const s = m[part[i]][other];
        if (!seen.has(other) && s !== null && keep(s, part[i], other)) {
          seen.add(other);
          part.push(other);
        }
      }
    }
    if (part.length > 1) {
      out.push(part.sort((x, y) => x - y));
    }
  }
  return out;
}

const canon = (parts: number[][]): string =>
  JSON.stringify(
    parts.map(p => [...p].sort((x, y) => x - y)).sort((x, y) => x[0] - y[0])
  );

/** Complete linkage the slow way: every step looks at every pair of clusters. */
function naiveComplete(
  n: number,
  m: (number | null)[][],
  keep: (s: number, a: number, b: number) => boolean,
  distance: DistanceKind
): number[][] {
  let clusters: number[][] = Array.from({ length: n }, (_, i) => [i]);
  for (;;) {
    let best: {
      i: number;
      j: number;
      s: number;
      k1: number;
      k2: number;
    } | null = null;
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        let worst: number | null = null;
        let complete = true;
        for (const a of clusters[i]) {
          for (const b of clusters[j]) {
            const s = m[a][b];
            if (s === null || !keep(s, a, b)) {
              complete = false;
            } else if (worst === null || compareAlike(s, worst, distance) > 0) {
              worst = s;
            }
          }
        }
        if (!complete || worst === null) {
          continue;
        }
        const li = Math.min(...clusters[i]);
        const lj = Math.min(...clusters[j]);
        const k1 = Math.min(li, lj);
        const k2 = Math.max(li, lj);
        const c = best ? compareAlike(worst, best.s, distance) : -1;
        if (
          !best ||
          c < 0 ||
          (c === 0 && (k1 < best.k1 || (k1 === best.k1 && k2 < best.k2)))
        ) {
          best = { i, j, s: worst, k1, k2 };
        }
      }
    }
    if (!best) {
      break;
    }
    const merged = [...clusters[best.i], ...clusters[best.j]];
    clusters = clusters.filter((_, k) => k !== best!.i && k !== best!.j);
    clusters.push(merged);
  }
  return clusters.filter(c => c.length > 1);
}

/** A group's weakest link the slow way: the least alike score at which it is still connected. */
function naiveWeakest(
  group: IDuplicateGroup,
  m: (number | null)[][],
  threshold: number,
  distance: DistanceKind
): number {
  const scores = new Set<number>();
  for (const a of group.members) {
    for (const b of group.members) {
      const s = m[a][b];
      if (a < b && s !== null && passes(s, threshold, distance)) {
        scores.add(s);
      }
    }
  }
  // Most alike first: the first score at which links at least that alike connect the group.
  for (const s of [...scores].sort((x, y) => compareAlike(x, y, distance))) {
    const parts = bfsComponents(
      group.members,
      m,
      t => compareAlike(t, s, distance) <= 0
    );
    if (parts.length === 1 && parts[0].length === group.members.length) {
      return s;
    }
  }
  throw new Error('a group that is not connected');
}

const SEEDS = Array.from({ length: 25 }, (_, i) => 17 + i * 7919);
const CASES: [DistanceKind, number[]][] = [
  ['Cosine', [0.8, 0.88, 0.93]],
  ['Euclid', [2, 1.2, 0.7]]
];

describe('diameter (brute force on random graphs)', () => {
  it.each(CASES)(
    '%s: the least alike pair of each group, and the pairs below the floor',
    (distance, thresholds) => {
      for (const seed of SEEDS) {
        const scan = randomScan(seed, distance);
        const m = matrix(scan);
        for (const t of thresholds) {
          const groups = regroup(scan, t);
          const found = diameters(scan, groups);
          groups.forEach((g, i) => {
            let worst: number | null = null;
            let missing = 0;
            for (const a of g.members) {
              for (const b of g.members) {
                if (a < b) {
                  const s = m[a][b];
                  if (s === null) {
                    missing++;
                  } else if (
                    worst === null ||
                    compareAlike(s, worst, distance) > 0
                  ) {
                    worst = s;
                  }
                }
              }
            }
            expect(found[i].missing).toBe(missing);
            expect(found[i].link.score).toBe(worst);
            expect(m[found[i].link.a][found[i].link.b]).toBe(worst);
          });
        }
      }
    }
  );
});

describe('Split (brute force on random graphs)', () => {
  it.each(CASES)(
    '%s: cuts every group at its weakest links into the components above them',
    (distance, thresholds) => {
      let cutSome = 0;
      for (const seed of SEEDS) {
        const scan = randomScan(seed, distance);
        const m = matrix(scan);
        for (const t of thresholds) {
          for (const g of regroup(scan, t)) {
            const weakest = naiveWeakest(g, m, t, distance);
            expect(g.weakestLink.score).toBe(weakest);
            const expected = bfsComponents(
              g.members,
              m,
              s => compareAlike(s, weakest, distance) < 0
            );
            const parts = splitParts(scan, g);
            expect(canon(parts)).toBe(canon(expected));
            // The parts hold more tightly: each part's links are all more alike than the cut.
            cutSome += parts.length > 1 ? 1 : 0;
          }
        }
      }
      // The random graphs do exercise splits into several parts.
      expect(cutSome).toBeGreaterThan(20);
    }
  );

  it.each(CASES)(
    '%s: the list after splits is the components of the links no split cut',
    (distance, thresholds) => {
      for (const seed of SEEDS.slice(0, 10)) {
        const scan = randomScan(seed, distance);
        const m = matrix(scan);
        const t = thresholds[1];
        // Split the two largest groups, then regroup at the other thresholds.
        const splits: SplitRecord[] = [];
        for (const g of regroup(scan, t).slice(0, 2)) {
          splits.push(recordSplit(g, splitParts(scan, g)));
        }
        const isCut = cutTest(splits);
        for (const at of thresholds) {
          const groups = groupScan(scan, at, { splits });
          const expected = bfsComponents(
            scan.points.ids.map((_, i) => i),
            m,
            (s, a, b) => passes(s, at, distance) && !isCut(a, b)
          );
          expect(canon(groups.map(g => g.members))).toBe(canon(expected));
          // Each group's own numbers are those of its links.
          for (const g of groups) {
            expect(g.weakestLink.score).toBe(
              naiveWeakest(
                g,
                m.map((row, a) => row.map((s, b) => (isCut(a, b) ? null : s))),
                at,
                distance
              )
            );
          }
        }
      }
    }
  );
});

describe('complete linkage (brute force on random graphs)', () => {
  it.each(CASES)(
    '%s: the same clusters as the slow agglomeration, every pair inside passing',
    (distance, thresholds) => {
      let refined = 0;
      for (const seed of SEEDS) {
        const scan = randomScan(seed, distance);
        const m = matrix(scan);
        const n = scan.points.ids.length;
        for (const t of thresholds) {
          const groups = groupScan(scan, t, { linkage: 'complete' });
          const expected = naiveComplete(
            n,
            m,
            s => passes(s, t, distance),
            distance
          );
          expect(canon(groups.map(g => g.members))).toBe(canon(expected));
          for (const g of groups) {
            for (const a of g.members) {
              for (const b of g.members) {
                if (a < b) {
                  expect(m[a][b]).not.toBeNull();
                  expect(passes(m[a][b]!, t, distance)).toBe(true);
                }
              }
            }
          }
          // No two clusters could merge: some pair between them fails.
          for (let i = 0; i < groups.length; i++) {
            for (let j = i + 1; j < groups.length; j++) {
              const all = groups[i].members.every(a =>
                groups[j].members.every(
                  b => m[a][b] !== null && passes(m[a][b]!, t, distance)
                )
              );
              expect(all).toBe(false);
            }
          }
          refined += groups.length - regroup(scan, t).length;
        }
      }
      expect(refined).toBeGreaterThan(20);
    }
  );

  it('never marks a group chained', () => {
    for (const seed of SEEDS) {
      const scan = randomScan(seed, 'Cosine');
      for (const t of [0.8, 0.9, 0.95]) {
        const groups = groupScan(scan, t, { linkage: 'complete' });
        for (const d of diameters(scan, groups)) {
          expect(d.missing).toBe(0);
          expect(isChained(d, t, scan.threshold, 'Cosine')).toBe(false);
        }
      }
    }
  });
});

/**
 * A planted chain: two tight sets {0,1,2,3} and {4,5,6,7} (0.99 inside), joined by one link
 * 3-4 at 0.96; across the sets every other pair is far (0.70 to 0.85, or below the floor).
 * Beside it a tight group {8,9,10}. Scanned at a floor of 0.80, viewed at 0.95.
 */
function plantedChain() {
  const list: [number, number, number][] = [];
  const tight = (ids: number[], s: number) =>
    ids.forEach((a, i) => ids.slice(i + 1).forEach(b => list.push([a, b, s])));
  tight([0, 1, 2, 3], 0.99);
  tight([4, 5, 6, 7], 0.985);
  tight([8, 9, 10], 0.995);
  list.push([3, 4, 0.96]);
  list.push([2, 4, 0.86], [3, 5, 0.85], [1, 4, 0.82]);
  return {
    points: pointsOf(12),
    pairs: pairsOf(list, 'Cosine'),
    distance: 'Cosine' as DistanceKind,
    threshold: 0.8
  };
}

describe('a planted chain', () => {
  it('is one group of 8 at 0.95, marked chained; the tight group is not', () => {
    const scan = plantedChain();
    const groups = groupScan(scan, 0.95);
    expect(groups.map(g => g.members)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10]
    ]);
    const [chain, tight] = diameters(scan, groups);
    // 16 pairs across the sets, 4 of them kept: 12 are below the floor of 0.80.
    expect(chain.missing).toBe(12);
    expect(isChained(chain, 0.95, scan.threshold, 'Cosine')).toBe(true);
    expect(tight).toEqual({
      link: { a: 8, b: 9, score: expect.any(Number) },
      missing: 0
    });
    expect(isChained(tight, 0.95, scan.threshold, 'Cosine')).toBe(false);
    // Scanned at 0.95 instead, the missing pairs could be anywhere below 0.95: no mark.
    expect(isChained(chain, 0.95, 0.95, 'Cosine')).toBe(false);
  });

  it('splits into its planted parts at the 0.96 link, and the list shows them', () => {
    const scan = plantedChain();
    const [chain] = groupScan(scan, 0.95);
    expect(chain.weakestLink).toEqual({
      a: 3,
      b: 4,
      score: expect.closeTo(0.96, 6)
    });
    const parts = splitParts(scan, chain);
    expect(parts).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7]
    ]);
    const splits = [recordSplit(chain, parts)];
    const after = groupScan(scan, 0.95, { splits });
    expect(after.map(g => g.members)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10]
    ]);
    expect(after[1].sampleIds).toEqual(['s4', 's5', 's6', 's7']);
    expect(after[1].pointIds).toEqual([1004, 1005, 1006, 1007]);
    expect(after[1].links).toBe(6);
    // The split stands at a looser threshold: the cut links stay cut.
    expect(groupScan(scan, 0.8, { splits }).map(g => g.members)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10]
    ]);
    // Without it, at 0.80 the cross links join them again.
    expect(groupScan(scan, 0.8)[0].members).toHaveLength(8);
  });

  it('falls into its planted parts under complete linkage, with none chained', () => {
    const scan = plantedChain();
    const groups = groupScan(scan, 0.95, { linkage: 'complete' });
    expect(groups.map(g => g.members)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10]
    ]);
    expect(
      diameters(scan, groups).some(d => isChained(d, 0.95, 0.8, 'Cosine'))
    ).toBe(false);
  });
});

describe('the detail view’s member order', () => {
  it('keeps the tightly held parts together, each member once', () => {
    const scan = plantedChain();
    // Members listed in an order that interleaves the parts.
    const members = [4, 0, 5, 1, 6, 2, 7, 3];
    const links = pairsWithin(
      neighboursOf(scan),
      members,
      'Cosine',
      s => s > 0.95
    );
    expect(spanningOrder(members, links, 'Cosine')).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7
    ]);
    for (const seed of SEEDS) {
      const random = randomScan(seed, 'Euclid');
      for (const g of regroup(random, 1.2)) {
        const order = spanningOrder(
          g.members,
          pairsWithin(neighboursOf(random), g.members, 'Euclid', s => s < 1.2),
          'Euclid'
        );
        expect([...order].sort((x, y) => x - y)).toEqual(g.members);
      }
    }
  });
});

describe('the chained mark', () => {
  it('sits at twice the threshold: the angle for similarities, the distance itself otherwise', () => {
    expect(chainCutoff(0.95, 'Cosine')).toBeCloseTo(0.805, 6);
    expect(chainCutoff(0.9, 'Dot')).toBeCloseTo(0.62, 6);
    expect(chainCutoff(0.3, 'Euclid')).toBeCloseTo(0.6, 9);
    expect(chainCutoff(2, 'Manhattan')).toBe(4);
    // A dot product above 1 is no cosine: no angle to double, no mark.
    expect(chainCutoff(1.5, 'Dot')).toBeNull();
  });

  it('marks a group whose least alike pair is beyond the cutoff, and only then', () => {
    const d = (score: number) => ({ link: { a: 0, b: 1, score }, missing: 0 });
    expect(isChained(d(0.8), 0.95, 0.8, 'Cosine')).toBe(true);
    expect(isChained(d(0.81), 0.95, 0.8, 'Cosine')).toBe(false);
    expect(isChained(d(0.61), 0.3, 0.3, 'Euclid')).toBe(true);
    expect(isChained(d(0.59), 0.3, 0.3, 'Euclid')).toBe(false);
  });

  it('completeClusters on a clique gives it back whole', () => {
    const links = [
      { a: 1, b: 2, score: 0.99 },
      { a: 1, b: 3, score: 0.98 },
      { a: 2, b: 3, score: 0.97 }
    ];
    expect(completeClusters([1, 2, 3], links, 'Cosine')).toEqual([[1, 2, 3]]);
  });
});
