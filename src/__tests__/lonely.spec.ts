// The lonely pass (src/scan/lonely.ts): the plan and the sketches are DOM-free logic tested on
// their own (no fake); the pass in a scan runs against a FAKE Qdrant whose approximate search
// never links a lone pair, as the real index left them at a million points (finding 7e).
import { FakePoint, FakeQdrant, pairsOf } from './fakeQdrant';
import {
  bitOdds,
  lonelyPlan,
  SKETCH_BITS,
  sketchCandidates,
  Sketcher,
  sketchDistance
} from '../scan/lonely';
import { MemoryCheckpointStore } from '../scan/checkpoint';
import { xorshift as rng } from '../scan/random';
import { scanCollection } from '../scan/scanner';
import type { IScanRequest } from '../scan/types';

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function unit(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map(x => x / norm);
}

function randomUnit(next: () => number, d: number): number[] {
  return unit(Array.from({ length: d }, () => gaussian(next)));
}

/** A unit vector at cosine `cos` to unit `v`. */
function atCosine(next: () => number, v: number[], cos: number): number[] {
  const r = randomUnit(next, v.length);
  const dot = r.reduce((s, x, k) => s + x * v[k], 0);
  const ortho = unit(r.map((x, k) => x - dot * v[k]));
  const sin = Math.sqrt(1 - cos * cos);
  return v.map((x, k) => cos * x + sin * ortho[k]);
}

const dotOf = (a: number[], b: number[]) =>
  a.reduce((s, x, k) => s + x * b[k], 0);

describe('lonelyPlan', () => {
  it('makes a pair at the threshold miss every table with odds under 1 in 10,000', () => {
    for (const [count, threshold] of [
      [803_522, 0.95],
      [160_000, 0.95],
      [50, 0.99],
      [1_000_000, 0.9]
    ]) {
      const plan = lonelyPlan(count, threshold)!;
      const share = Math.pow(1 - bitOdds(threshold), plan.keyBits);
      expect(Math.pow(1 - share, plan.tables)).toBeLessThan(1e-4);
      expect(plan.tables).toBeLessThanOrEqual(64);
      // Past the bits a pair at the threshold differs in on average.
      expect(plan.hamming).toBeGreaterThan(SKETCH_BITS * bitOdds(threshold));
    }
    // A million points at 0.95: keys of 16 bits (a bucket holds about 12 points).
    expect(lonelyPlan(803_522, 0.95)!.keyBits).toBe(16);
  });

  it('does not plan for a threshold too loose for the sketches', () => {
    expect(lonelyPlan(1_000_000, 0.5)).toBeNull();
  });
});

describe('Sketcher and sketchCandidates (no fake)', () => {
  it.each([32, 64, 256, 300])(
    'differs in about angle / pi of the bits (%i dimensions)',
    d => {
      const next = rng(3);
      const sketcher = new Sketcher(d);
      const sketches = new Uint32Array(2 * (SKETCH_BITS / 32));
      let total = 0;
      const trials = 40;
      for (let t = 0; t < trials; t++) {
        const v = randomUnit(next, d);
        sketcher.sketch(v, sketches, 0);
        sketcher.sketch(atCosine(next, v, 0.9), sketches, SKETCH_BITS / 32);
        total += sketchDistance(sketches, 0, 1, SKETCH_BITS);
      }
      const expected = SKETCH_BITS * bitOdds(0.9);
      expect(total / trials).toBeGreaterThan(expected * 0.85);
      expect(total / trials).toBeLessThan(expected * 1.15);
    }
  );

  it.each([48, 256])(
    'finds every planted pair past the threshold among random points, comparing few others (%i dimensions)',
    d => {
      const next = rng(11);
      const n = 4000;
      const vectors: number[][] = [];
      for (let i = 0; i < n; i++) {
        vectors.push(randomUnit(next, d));
      }
      // 60 pairs at cosine 0.95 to 0.999 (each a fresh point beside a background one).
      const planted: string[] = [];
      for (let k = 0; k < 60; k++) {
        const i = k * 50;
        vectors.push(atCosine(next, vectors[i], 0.95 + (0.049 * k) / 59));
        planted.push(`${i}-${vectors.length - 1}`);
      }
      const count = vectors.length;
      const sketcher = new Sketcher(d);
      const sketches = new Uint32Array(count * (SKETCH_BITS / 32));
      vectors.forEach((v, i) => sketcher.sketch(v, sketches, i * 8));
      const plan = lonelyPlan(count, 0.95)!;
      const found: string[] = [];
      let compared = 0;
      for (const c of sketchCandidates(sketches, count, plan, (i, j) =>
        found.push(`${i}-${j}`)
      )) {
        compared = c;
      }
      for (const pair of planted) {
        expect(found).toContain(pair);
      }
      // Each candidate told once.
      expect(new Set(found).size).toBe(found.length);
      // The background points are at random angles: few of them become candidates.
      expect(found.length).toBeLessThan(planted.length + 20);
      expect(compared).toBeLessThan((count * (count - 1)) / 2 / 10);
      for (const pair of found) {
        const [i, j] = pair.split('-').map(Number);
        if (!planted.includes(pair)) {
          expect(dotOf(vectors[i], vectors[j])).toBeLessThan(0.95);
        }
      }
    }
  );

  it('stops when the buckets would hold more pairs than allowed', () => {
    const sketches = new Uint32Array(100 * 8);
    const plan = lonelyPlan(100, 0.95)!;
    const yields = [...sketchCandidates(sketches, 100, plan, () => 0, 1000)];
    expect(yields).toEqual([-1]);
  });
});

/** The scrolls that asked for vectors (the lonely pass's sketches). */
const vectorReads = (fake: FakeQdrant) =>
  fake.calls.filter(
    c =>
      c.method === 'scroll' && (c.body as { with_vector?: unknown }).with_vector
  );

const request: IScanRequest = {
  collection: 'images',
  threshold: 0.95,
  limit: 8,
  batchSize: 16,
  inFlight: 2,
  auditPoints: 0
};

describe('the lonely pass in a scan, on a FAKE Qdrant whose approximate search never links a lone pair', () => {
  // 300 random points in 32 dimensions, and two lone pairs (cosine 0.97 and 0.995) whose own
  // approximate searches never return each other: both points of each found nothing.
  function points(): FakePoint[] {
    const next = rng(5);
    const out: FakePoint[] = [];
    for (let k = 0; k < 300; k++) {
      out.push({ id: 1000 + k, vector: randomUnit(next, 32) });
    }
    const a = randomUnit(next, 32);
    const b = randomUnit(next, 32);
    out.push({ id: 1, vector: a });
    out.push({ id: 2, vector: atCosine(next, a, 0.97) });
    out.push({ id: 3, vector: b });
    out.push({ id: 4, vector: atCosine(next, b, 0.995) });
    return out;
  }
  const misses: [number, number][] = [
    [1, 2],
    [3, 4]
  ];

  it('finds both lone pairs, each compared exactly once, and says so in the stats', async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      approximateMisses: misses,
      servesVectors: true
    });
    const result = await scanCollection(fake, request);
    expect(pairsOf(result)).toEqual(['1-2', '3-4']);
    expect(result.groups.map(g => g.members.length)).toEqual([2, 2]);
    const lonely = result.stats.lonely!;
    expect(lonely.points).toBe(304);
    expect(lonely.found).toBe(2);
    expect(lonely.skipped).toBeUndefined();
    // The exact comparisons name only candidates: far fewer than every pair of the 304.
    const asked = fake
      .searches()
      .filter(s => s.filter && (s.params as { exact?: boolean }).exact);
    const named = asked.reduce(
      (sum, s) =>
        sum +
        ((s.filter as { must: { has_id: unknown[] }[] }).must[0].has_id
          .length ?? 0),
      0
    );
    expect(named).toBeGreaterThanOrEqual(2);
    expect(named).toBeLessThan(304);
  });

  it('moves the checking bar as the points are sketched, ending with all of it checked', async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      approximateMisses: misses,
      servesVectors: true
    });
    const progress: { checked?: number; toCheck?: number; phase: string }[] =
      [];
    await scanCollection(fake, request, {
      onProgress: p => progress.push({ ...p }),
      progressIntervalMs: 0
    });
    const checking = progress.filter(p => p.phase === 'checking');
    // The 304 points in no group are steps of the check, and the bar passes through them.
    expect(
      Math.max(...checking.map(p => p.toCheck ?? 0))
    ).toBeGreaterThanOrEqual(304);
    expect(
      checking.some(p => (p.checked ?? 0) > 0 && p.checked! < p.toCheck!)
    ).toBe(true);
    const last = checking[checking.length - 1];
    expect(last.checked).toBe(last.toCheck);
  });

  it("leaves them missed with lonelyPairs 'none' (the design before)", async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      approximateMisses: misses,
      servesVectors: true
    });
    const result = await scanCollection(fake, request, {
      policies: { lonelyPairs: 'none' }
    });
    expect(pairsOf(result)).toEqual([]);
    expect(result.stats.lonely).toBeUndefined();
  });

  it('is not run on a collection with no vector in an HNSW index (every search was exact), reading no vector', async () => {
    const fake = new FakeQdrant(points(), 'Cosine', {
      servesVectors: true,
      indexedVectors: 0
    });
    const result = await scanCollection(fake, request);
    expect(result.stats.lonely!.skipped).toBe('unindexed');
    expect(vectorReads(fake)).toEqual([]);
    // Indexed, it runs.
    const indexed = await scanCollection(
      new FakeQdrant(points(), 'Cosine', {
        approximateMisses: misses,
        servesVectors: true,
        indexedVectors: 304
      }),
      request
    );
    expect(indexed.stats.lonely!.found).toBe(2);
  });

  it('is not run for a Dot score (sign projections measure angles only)', async () => {
    const fake = new FakeQdrant(points(), 'Dot', {
      approximateMisses: misses,
      servesVectors: true
    });
    const result = await scanCollection(fake, { ...request, threshold: 0.9 });
    expect(result.stats.lonely!.skipped).toBe('distance');
  });

  async function changesScan(added: FakePoint[], base: FakePoint[]) {
    const store = new MemoryCheckpointStore();
    const key = 'images';
    await scanCollection(
      new FakeQdrant(base, 'Cosine', {
        approximateMisses: misses,
        servesVectors: true
      }),
      request,
      { checkpoint: { store, key } }
    );
    const fake = new FakeQdrant([...base, ...added], 'Cosine', {
      approximateMisses: misses,
      servesVectors: true
    });
    const result = await scanCollection(fake, request, {
      checkpoint: { store, key, changes: true }
    });
    return { fake, result };
  }

  it('in a scan of changes with few new points in no group, searches each exactly instead of reading vectors', async () => {
    const all = points();
    // The base scan's lonely pass found 1-2; the new point 4 pairs with 3 only.
    const { fake, result } = await changesScan(
      all.filter(p => p.id === 4),
      all.filter(p => p.id !== 4)
    );
    expect(pairsOf(result)).toEqual(['1-2', '3-4']);
    expect(result.stats.lonely!.searchedExactly).toBe(1);
    expect(result.stats.lonely!.found).toBe(1);
    const exact = fake
      .searches()
      .filter(s => !s.filter && (s.params as { exact?: boolean }).exact);
    expect(exact.map(s => s.query)).toContain(4);
    // No vector was read: the base scan's lonely points are not sketched again.
    expect(vectorReads(fake)).toEqual([]);
  });

  it('in a scan of changes with many new points in no group, compares only pairs with a new point', async () => {
    const next = rng(9);
    const all = points();
    // 1,100 new random points (more than a page of them) besides the partner 4.
    const added = [
      ...all.filter(p => p.id === 4),
      ...Array.from({ length: 1100 }, (_, k) => ({
        id: 5000 + k,
        vector: randomUnit(next, 32)
      }))
    ];
    const { fake, result } = await changesScan(
      added,
      all.filter(p => p.id !== 4)
    );
    expect(pairsOf(result)).toContain('3-4');
    expect(result.stats.lonely!.searchedExactly).toBeUndefined();
    const isNew = (id: unknown) => id === 4 || (id as number) >= 5000;
    const asked = fake
      .searches()
      .filter(s => s.filter && (s.params as { exact?: boolean }).exact);
    expect(asked.length).toBeGreaterThan(0);
    for (const s of asked) {
      const ids = [
        s.query,
        ...(s.filter as { must: { has_id: unknown[] }[] }).must[0].has_id
      ];
      expect(ids.some(isNew)).toBe(true);
    }
  });
});
