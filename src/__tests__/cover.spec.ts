// The cover (src/scan/cover.ts): the balls it builds from the pairs (DOM-free, no fake), and
// the scan's cover phase against a fake Qdrant whose approximate search drops pairs.
import { FakePoint, FakeQdrant, pairsOf } from './fakeQdrant';
import { MemoryCheckpointStore } from '../scan/checkpoint';
import { groupBalls } from '../scan/cover';
import { ballThreshold } from '../scan/metric';
import { PairStore } from '../scan/pairs';
import { NeighbourQuery, scanCollection } from '../scan/scanner';
import type { IScanRequest, IScanResult } from '../scan/types';
import { UnionFind } from '../scan/unionFind';

function store(
  n: number,
  pairs: [number, number, number][],
  higherIsBetter = true
): { pairs: PairStore; components: UnionFind } {
  const store = new PairStore(higherIsBetter, 16, 2);
  const components = new UnionFind(n);
  for (const [a, b, s] of pairs) {
    store.add(a, b, s);
    components.union(a, b);
  }
  return { pairs: store, components };
}

describe('groupBalls', () => {
  it('puts every point of every group in one ball, around a centre it is a known pair of', () => {
    // Group {0..4}: 0 pairs with everyone; group {5, 6, 7} a chain 5-6-7; 8 and 9 alone.
    const { pairs, components } = store(10, [
      [0, 1, 0.99],
      [0, 2, 0.97],
      [0, 3, 0.98],
      [0, 4, 0.96],
      [1, 2, 0.99],
      [5, 6, 0.97],
      [6, 7, 0.98]
    ]);
    const balls = groupBalls(pairs, components, 10, 0.95, 'Cosine')!;
    const placed = balls.flatMap(b => [b.center, ...b.members]).sort();
    expect(placed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The most connected point is the first group's centre, its farthest member at 0.96.
    const first = balls.find(b => b.center === 0)!;
    expect(first.members.sort()).toEqual([1, 2, 3, 4]);
    expect(first.threshold).toBeCloseTo(ballThreshold(0.95, 0.96, 'Cosine')!);
    // The chain's middle point holds both ends.
    const chain = balls.find(b => b.center === 6)!;
    expect(chain.members.sort()).toEqual([5, 7]);
    expect(chain.threshold).toBeCloseTo(ballThreshold(0.95, 0.97, 'Cosine')!);
    for (const ball of balls) {
      for (const m of ball.members) {
        expect(pairs.has(ball.center, m)).toBe(true);
      }
    }
  });

  it("reaches the threshold's angle plus the ball's: cosine angles add, distances add", () => {
    const angle = (c: number) => Math.acos(c);
    const t = ballThreshold(0.95, 0.99, 'Cosine')!;
    expect(angle(t)).toBeCloseTo(angle(0.95) + angle(0.99), 3);
    expect(t).toBeLessThan(0.95);
    expect(ballThreshold(0.5, 0.5, 'Euclid')).toBeCloseTo(1.0, 3);
    expect(ballThreshold(0.95, 0.95, 'Dot')).toBeNull();
    // Past a right angle there is no useful bound.
    expect(ballThreshold(0.5, 0.4, 'Cosine')).toBeNull();
  });

  it('splits a ball whose reach makes no bound into balls of one point, each searched at the threshold', () => {
    // Threshold 0.6 (53 degrees): a centre with a member at 0.65 would need 102 degrees.
    const { pairs, components } = store(3, [
      [0, 1, 0.65],
      [0, 2, 0.7]
    ]);
    const balls = groupBalls(pairs, components, 3, 0.6, 'Cosine')!;
    expect(balls.map(b => b.center).sort()).toEqual([0, 1, 2]);
    expect(balls.every(b => b.members.length === 0)).toBe(true);
    expect(balls[0].threshold).toBeCloseTo(ballThreshold(0.6, 1, 'Cosine')!);
  });

  it('covers only the target points (a scan of changes: its new points)', () => {
    const { pairs, components } = store(6, [
      [0, 1, 0.99],
      [1, 2, 0.99],
      [3, 4, 0.99]
    ]);
    const balls = groupBalls(
      pairs,
      components,
      6,
      0.95,
      'Cosine',
      i => i === 2
    )!;
    expect(balls.flatMap(b => [b.center, ...b.members])).toEqual([2]);
  });

  it('makes no balls for a Dot score (no triangle inequality)', () => {
    const { pairs, components } = store(2, [[0, 1, 5]]);
    expect(groupBalls(pairs, components, 2, 1, 'Dot')).toBeNull();
  });

  it('distances: the centre is the point with most pairs, the reach its farthest pair', () => {
    const { pairs, components } = store(
      4,
      [
        [0, 1, 0.2],
        [1, 2, 0.3],
        [1, 3, 0.1]
      ],
      false
    );
    const [ball] = groupBalls(pairs, components, 4, 0.5, 'Euclid')!;
    expect(ball.center).toBe(1);
    expect(ball.members.sort()).toEqual([0, 2, 3]);
    expect(ball.threshold).toBeCloseTo(0.8, 3);
  });
});

const at = (deg: number) => [
  Math.cos((deg * Math.PI) / 180),
  Math.sin((deg * Math.PI) / 180)
];

// 0.999 reaches 2.56 degrees.
const request: IScanRequest = {
  collection: 'images',
  threshold: 0.999,
  limit: 8,
  batchSize: 4,
  inFlight: 1,
  auditPoints: 0
};

describe('the cover in a scan, on a fake Qdrant whose approximate search drops pairs', () => {
  // Spread points 9 degrees apart (130 to 301 degrees); a group {1, 2} at 100 and 100.5 degrees; point 3 at 102
  // (a pair of 2 at 1.5 degrees and of 1 at 2 degrees) and point 4 at 104 (a pair of 3 only).
  // The approximate search never returns 3 with 1 or 2, nor 4 with 3: both found nothing.
  function points(): FakePoint[] {
    const out: FakePoint[] = [];
    for (let k = 0; k < 20; k++) {
      out.push({ id: 100 + k, vector: at(130 + k * 9) });
    }
    out.push({ id: 1, vector: at(100) });
    out.push({ id: 2, vector: at(100.5) });
    out.push({ id: 3, vector: at(102) });
    out.push({ id: 4, vector: at(104) });
    return out;
  }
  const misses: [number, number][] = [
    [3, 1],
    [3, 2],
    [4, 3]
  ];

  it('finds the pairs of a point the index answers with nothing, and of the point only it pairs with', async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      approximateMisses: misses
    });
    const result = await scanCollection(fake, request);
    expect(pairsOf(result)).toEqual(['1-2', '1-3', '2-3', '3-4']);
    expect(result.groups.map(g => g.members.length)).toEqual([4]);
    const searches = fake.searches();
    const exact = searches.filter(
      s => (s.params as { exact?: boolean }).exact === true && !s.filter
    );
    // One search around the group (from 1 or 2, past a looser threshold), then 3 (which
    // joined the group there) exactly at the threshold: it brings 4.
    expect(exact).toHaveLength(3);
    expect(exact[0].score_threshold).toBeLessThan(0.999);
    expect(exact.map(s => s.query)).toEqual(expect.arrayContaining([3, 4]));
  });

  it("leaves those pairs missed with groupCover 'none' (the design before)", async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      approximateMisses: misses
    });
    const result = await scanCollection(fake, request, {
      policies: { groupCover: 'none' }
    });
    expect(pairsOf(result)).toEqual(['1-2']);
  });

  it('counts what is left to check as the cover queues it, ending with all of it checked', async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      approximateMisses: misses
    });
    const progress: { checked?: number; toCheck?: number; phase: string }[] =
      [];
    await scanCollection(fake, request, {
      onProgress: p => progress.push(p),
      progressIntervalMs: 0
    });
    const checking = progress.filter(p => p.phase === 'checking');
    expect(checking.length).toBeGreaterThan(0);
    const last = checking[checking.length - 1];
    expect(last.checked).toBe(last.toCheck);
    expect(last.checked).toBeGreaterThan(0);
  });
});

describe('the cover in a scan of changes, on a fake Qdrant whose approximate search drops pairs', () => {
  // 16 dimensions: the circle in the first two, lone points in the other 14.
  const flat = (v: number[]) => [...v, ...new Array<number>(14).fill(0)];
  // The base: spread points and a group {1, 2} at 100 and 100.5 degrees. Added since: point 3
  // at 102 (a pair of 2 at 1.5 degrees, of 1 at 2), whose own search misses both, and point
  // 4 at 60 (near nothing).
  function base(): FakePoint[] {
    const out: FakePoint[] = [];
    for (let k = 0; k < 20; k++) {
      out.push({ id: 100 + k, vector: flat(at(130 + k * 9)) });
    }
    out.push({ id: 1, vector: flat(at(100)) });
    out.push({ id: 2, vector: flat(at(100.5)) });
    return out;
  }
  /** `count` random points in the last 14 dimensions: near nothing, nor each other. */
  function lone(count: number): FakePoint[] {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    return Array.from({ length: count }, (_, k) => ({
      id: 10000 + k,
      vector: [0, 0, ...Array.from({ length: 14 }, random)]
    }));
  }
  const now = (more = 0) => [
    ...base(),
    { id: 3, vector: flat(at(102)) },
    { id: 4, vector: flat(at(60)) },
    ...lone(more)
  ];
  const misses: [number, number][] = [
    [3, 1],
    [3, 2]
  ];

  async function scanChanges(
    groupCover: 'groups' | 'none' = 'groups',
    more = 0
  ): Promise<{ result: IScanResult; searches: NeighbourQuery[] }> {
    const store = new MemoryCheckpointStore();
    const checkpoint = { store, key: 'images', everyMs: 0 };
    // The lonely pass off: it would search the new points in no group exactly (lonely.ts),
    // finding these pairs before the cover does.
    const policies = { groupCover, lonelyPairs: 'none' as const };
    await scanCollection(new FakeQdrant(base(), 'Cosine'), request, {
      checkpoint,
      policies
    });
    const fake = new FakeQdrant(now(more), 'Cosine', {
      approximateMisses: misses
    });
    const result = await scanCollection(fake, request, {
      checkpoint: { ...checkpoint, changes: true },
      policies
    });
    expect(result.stats.changes).toEqual({
      added: 2 + more,
      deleted: 0,
      since: expect.any(Number)
    });
    const searches = fake.searches();
    return { result, searches };
  }
  // The old group's ball: exact, past a looser threshold than the scan's.
  const aroundOldGroup = (searches: NeighbourQuery[]) =>
    searches.filter(s => (s.score_threshold ?? 1) < 0.999);

  it('finds the pairs of a new point that found nothing with an old group, as a full rescan does', async () => {
    const { result, searches } = await scanChanges();
    expect(pairsOf(result)).toEqual(['1-2', '1-3', '2-3']);
    const rescan = await scanCollection(
      new FakeQdrant(now(), 'Cosine', { approximateMisses: misses }),
      request,
      { policies: { lonelyPairs: 'none' } }
    );
    expect(pairsOf(result)).toEqual(pairsOf(rescan));
    // The old group is asked about the new points that found nothing (3 and 4) only: not
    // the whole collection.
    const asked = aroundOldGroup(searches);
    expect(asked).toHaveLength(1);
    expect(asked[0].filter).toEqual({ must: [{ has_id: [3, 4] }] });
  });

  it('asks the old group over the whole collection when more new points than a page found nothing', async () => {
    const { result, searches } = await scanChanges('groups', 1100);
    expect(pairsOf(result)).toEqual(['1-2', '1-3', '2-3']);
    const asked = aroundOldGroup(searches);
    expect(asked).toHaveLength(1);
    expect(asked[0].filter).toBeUndefined();
  });

  it("leaves that pair missed with groupCover 'none' (the design before)", async () => {
    const { result } = await scanChanges('none');
    expect(pairsOf(result)).toEqual(['1-2']);
  });
});
